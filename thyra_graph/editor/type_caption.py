"""The node type's display name, small and grey under a canvas node.

A canvas node's own title is its id in the graph (``sam2_points``, ``birds``: what links and
the graph file name it, and what a rename changes); the caption under it says what the node
is, in the declaration's words ("SAM 2 points"), as Blender shows a renamed node's type.
"""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

CAPTION_COLOR = QtGui.QColor(150, 150, 150)


class TypeCaption(QtWidgets.QGraphicsSimpleTextItem):
    """``title`` under ``node_item``'s bottom-left corner; it moves with the node."""

    def __init__(self, node_item: QtWidgets.QGraphicsItem, title: str) -> None:
        super().__init__(title, node_item)
        font = QtGui.QFont()
        font.setPointSizeF(7.5)
        self.setFont(font)
        self.setBrush(CAPTION_COLOR)
        rect = node_item.boundingRect()
        self.setPos(rect.left() + 6, rect.bottom() + 1)
