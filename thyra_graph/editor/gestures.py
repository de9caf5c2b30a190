"""The canvas gestures node-editor users expect, on top of NodeGraphQt's viewer.

- double-click on empty canvas opens the node search there (ComfyUI, Blender's Shift+A);
- a pipe dropped on empty canvas opens the search filtered to nodes that can take it, and the
  node chosen is created there, connected (ComfyUI's link release, Blender's link-drag-search);
- while a pipe is dragged, ports that cannot take it (and nodes with none that can) are dimmed,
  so the refusal is seen before the release, not read afterwards in the status bar;
- Ctrl, Shift and Alt count as held only while they are: NodeGraphQt tracks them from key
  events, and a release that went to a dialog (Ctrl+Q → Cancel) left Ctrl "held", so clicks
  stopped selecting.

:class:`ThyraViewer` only reports these gestures as signals; the canvas maps port items to
Thyra ports and the window decides what to create.
"""

from __future__ import annotations

from dataclasses import dataclass

from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.qgraphics.node_backdrop import BackdropNodeItem
from NodeGraphQt.qgraphics.pipe import PipeItem
from NodeGraphQt.qgraphics.port import PortItem
from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6 import QtCore, QtWidgets

from thyra_graph.types import PortType, is_compatible

DIMMED = 0.2        # opacity of a port that cannot take the dragged pipe
DIMMED_NODE = 0.45  # opacity of a node none of whose ports can


@dataclass(frozen=True)
class LooseEnd:
    """The port a pipe was dragged from and dropped on nothing: the new node connects to it."""

    node: str
    port: str
    is_output: bool
    type: type[PortType]

    def fits(self, other_type: type[PortType]) -> bool:
        """Whether a port of ``other_type`` (on the other side) can take this end."""
        return is_compatible(self.type, other_type) if self.is_output else is_compatible(other_type, self.type)


class ThyraViewer(NodeViewer):
    """NodeGraphQt's viewer, reporting the gestures NodeGraphQt itself ignores."""

    empty_double_clicked = QtCore.Signal(QtCore.QPointF, QtCore.QPoint)      # scene, global
    pipe_dropped_on_empty = QtCore.Signal(object, QtCore.QPointF, QtCore.QPoint)  # PortItem, scene, global
    pipe_drag_started = QtCore.Signal(object)  # PortItem
    pipe_drag_ended = QtCore.Signal()

    def focusInEvent(self, event) -> None:
        # Keys let go while a modal dialog (Ctrl+Q → Cancel) or another window had the
        # keyboard were never seen here: NodeGraphQt's Ctrl/Shift/Alt flags would stay set.
        self.clear_key_state()
        super().focusInEvent(event)

    def mousePressEvent(self, event) -> None:
        # A click carries the modifiers really held; trust them over flags from key events.
        self.follow_modifiers(event.modifiers())
        super().mousePressEvent(event)

    def follow_modifiers(self, held) -> None:
        """Set NodeGraphQt's modifier flags as its key handlers would for ``held``."""
        alt, ctrl, shift = QtCore.Qt.AltModifier, QtCore.Qt.ControlModifier, QtCore.Qt.ShiftModifier
        self.ALT_state, self.CTRL_state, self.SHIFT_state = held == alt, held == ctrl, held == shift
        if held == alt | shift:  # the pipe slicer
            self.ALT_state = self.SHIFT_state = True

    def mouseDoubleClickEvent(self, event) -> None:
        scene_pos = self.mapToScene(event.position().toPoint())
        hits = [i for i in self._items_near(scene_pos, None, 6, 6)
                if isinstance(i, (PortItem, PipeItem)) or (isinstance(i, AbstractNodeItem) and not isinstance(i, BackdropNodeItem))]
        if event.button() == QtCore.Qt.LeftButton and not hits:
            event.accept()
            self.empty_double_clicked.emit(scene_pos, event.globalPosition().toPoint())
            return
        super().mouseDoubleClickEvent(event)

    def start_live_connection(self, selected_port) -> None:
        super().start_live_connection(selected_port)
        if selected_port is not None:
            self.pipe_drag_started.emit(selected_port)

    def end_live_connection(self) -> None:
        super().end_live_connection()
        self.pipe_drag_ended.emit()

    def mouseReleaseEvent(self, event) -> None:
        # A pipe released on its own port ends without end_live_connection: undim here too.
        super().mouseReleaseEvent(event)
        self.pipe_drag_ended.emit()

    def apply_live_connection(self, event) -> None:
        start = self._start_port
        loose = (self._LIVE_PIPE.isVisible() and start is not None and self._detached_port is None
                 and not any(isinstance(i, PortItem) for i in self.scene().items(event.scenePos())))
        super().apply_live_connection(event)
        if loose and isinstance(event, QtWidgets.QGraphicsSceneMouseEvent):
            self.pipe_dropped_on_empty.emit(start, event.scenePos(), event.screenPos())

    def _combined_rect(self, nodes) -> QtCore.QRectF:
        """The scene rectangle around ``nodes`` (with their ports and badges), for framing.

        NodeGraphQt groups the items in a QGraphicsItemGroup and ungroups them again, which
        takes quadratic time: 26 s to frame 1,000 nodes, against milliseconds for this union.
        """
        rect = QtCore.QRectF()
        for item in nodes:
            rect = rect.united(item.sceneBoundingRect()).united(item.mapRectToScene(item.childrenBoundingRect()))
        return rect


def dim_incompatible(canvas, loose: LooseEnd) -> None:
    """Dim every port that cannot take ``loose``, and every node that has no such port."""
    graph = canvas.document.graph
    for node_id, node in canvas.nodes().items():
        spec = graph.spec(node_id)
        ports = spec.inputs if loose.is_output else spec.outputs
        views = node.inputs() if loose.is_output else node.outputs()
        others = node.outputs() if loose.is_output else node.inputs()
        any_fits = False
        for port in ports:
            fits = node_id != loose.node and loose.fits(port.type)
            any_fits |= fits
            if port.name in views:
                views[port.name].view.setOpacity(1.0 if fits else DIMMED)
        for view in others.values():
            if not (node_id == loose.node and view.name() == loose.port):
                view.view.setOpacity(DIMMED)
        node.view.setOpacity(1.0 if any_fits or node_id == loose.node else DIMMED_NODE)


def undim(canvas) -> None:
    for node in canvas.nodes().values():
        node.view.setOpacity(1.0)
        for port in [*node.inputs().values(), *node.outputs().values()]:
            port.view.setOpacity(1.0)
