"""The minimap: an overview of the whole graph in the canvas's lower right corner.

Every node is a box in its header colour; the part of the graph the canvas shows is a
rectangle. A click or a drag on the minimap pans the canvas so that its centre is there.
Toggled from View → Minimap (remembered with the window layout).

It draws boxes from the node items' scene rectangles, not a second view of the scene: a
second QGraphicsView would repaint every NodeGraphQt item (Python paint code) again on each
change, halving the frame rate of a drag on a large graph. Redraws are throttled
(:data:`REFRESH_MS`), so moving a node or panning costs the canvas nothing per frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

REFRESH_MS = 80     # at most ~12 redraws a second, whatever the canvas does
SIZE = QtCore.QSize(220, 150)
MARGIN = 12         # from the canvas's corner
PAD = 6             # inside the minimap, around the drawing
BACKGROUND = QtGui.QColor(20, 20, 24)  # opaque: the canvas is not repainted under it
VISIBLE = QtGui.QColor(240, 240, 240)

if TYPE_CHECKING:
    from .canvas import Canvas


class Minimap(QtWidgets.QWidget):
    """An overview of ``canvas``, drawn over the lower right corner of its view."""

    def __init__(self, canvas: "Canvas") -> None:
        viewer = canvas.view.viewer()
        super().__init__(viewer)
        self.canvas = canvas
        self.viewer = viewer
        self._cached: list[tuple[QtCore.QRectF, QtGui.QColor]] = []
        self._frozen: QtGui.QTransform | None = None  # the mapping while a drag pans
        self.setObjectName("minimap")
        self.setFixedSize(SIZE)
        self.setCursor(QtCore.Qt.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view (View → Minimap hides it)")
        self.setAttribute(QtCore.Qt.WA_OpaquePaintEvent)  # never makes the canvas repaint under it
        self._timer = QtCore.QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._viewport = viewer.viewport()  # kept: the filter must not ask a viewer being deleted
        viewer.installEventFilter(self)
        self._viewport.installEventFilter(self)
        if viewer.scene() is not None:
            viewer.scene().changed.connect(self.schedule)
        self._place()

    # -- keeping up with the canvas ----------------------------------------------------------
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        kind = event.type()
        if kind == QtCore.QEvent.Resize and watched is self.viewer:
            self._place()
        elif kind == QtCore.QEvent.Paint and watched is self._viewport:
            self.schedule()  # a pan or zoom repaints the canvas: the rectangle follows
        return False

    def schedule(self, *_args) -> None:
        """Redraw soon; many requests within :data:`REFRESH_MS` make one redraw (a throttle)."""
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Read the node boxes again and redraw now."""
        self._cached = [(node.view.sceneBoundingRect(), QtGui.QColor(*node.model.color[:3]))
                        for node in self.canvas.nodes().values()]
        self.update()

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        self.refresh()
        super().showEvent(event)

    def _place(self) -> None:
        area = self.viewer.rect()
        self.move(area.right() - SIZE.width() - MARGIN, area.bottom() - SIZE.height() - MARGIN)
        self.raise_()

    # -- geometry ----------------------------------------------------------------------------
    def visible_scene_rect(self) -> QtCore.QRectF:
        """The part of the scene the canvas shows."""
        return self.viewer.mapToScene(self.viewer.viewport().rect()).boundingRect()

    def _transform(self) -> QtGui.QTransform:
        """Scene → minimap pixels, fitting every node and the visible area, keeping the aspect."""
        if self._frozen is not None:
            return self._frozen
        world = QtCore.QRectF(self.visible_scene_rect())
        for rect, _ in self._cached:
            world = world.united(rect)
        inner = QtCore.QRectF(self.rect()).adjusted(PAD, PAD, -PAD, -PAD)
        scale = min(inner.width() / max(world.width(), 1.0), inner.height() / max(world.height(), 1.0))
        dx = inner.left() + (inner.width() - world.width() * scale) / 2 - world.left() * scale
        dy = inner.top() + (inner.height() - world.height() * scale) / 2 - world.top() * scale
        return QtGui.QTransform(scale, 0, 0, scale, dx, dy)

    def to_scene(self, point: QtCore.QPointF | QtCore.QPoint) -> QtCore.QPointF:
        """The scene point under a minimap pixel."""
        inverted, _ = self._transform().inverted()
        return inverted.map(QtCore.QPointF(point))

    def to_minimap(self, point: QtCore.QPointF) -> QtCore.QPointF:
        """The minimap pixel showing a scene point."""
        return self._transform().map(QtCore.QPointF(point))

    # -- drawing and input -------------------------------------------------------------------
    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        transform = self._transform()
        painter.setPen(QtCore.Qt.NoPen)
        for rect, color in self._cached:
            painter.setBrush(color)
            painter.drawRect(transform.mapRect(rect))
        painter.setBrush(QtCore.Qt.NoBrush)
        painter.setPen(QtGui.QPen(VISIBLE, 1.5))
        painter.drawRect(transform.mapRect(self.visible_scene_rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.setPen(QtGui.QPen(QtGui.QColor(90, 90, 100), 1))
        painter.drawRect(QtCore.QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.button() == QtCore.Qt.LeftButton:
            # The mapping drawn when the press began holds until the release: panning changes
            # the visible rectangle, and with it the fit, which must not shift under the pointer.
            self._frozen = self._transform()
            self._pan_to(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.buttons() & QtCore.Qt.LeftButton:
            self._pan_to(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        self._frozen = None
        self.update()
        event.accept()

    def _pan_to(self, point: QtCore.QPointF) -> None:
        center_view_on(self.viewer, self.to_scene(point))
        self.update()


def center_view_on(viewer: QtWidgets.QGraphicsView, point: QtCore.QPointF) -> None:
    """Pan NodeGraphQt's viewer, keeping its zoom, so that ``point`` is in the middle.

    NodeGraphQt pans by moving the scene rectangle it fits into the view (its ``_scene_range``),
    not with scroll bars, so QGraphicsView.centerOn would do nothing.
    """
    scene_range = viewer._scene_range
    scene_range.translate(point - scene_range.center())
    viewer._update_scene()


SETTING = "view/minimap"  # remembered with the window layout (window_state.py)


def install_minimap(canvas: "Canvas", menu: QtWidgets.QMenu, *, visible: bool) -> tuple[Minimap, QtGui.QAction]:
    """The minimap over ``canvas`` and its checkable action in ``menu`` (the View menu)."""
    minimap = Minimap(canvas)
    action = QtGui.QAction("&Minimap", menu, checkable=True, checked=visible)
    action.setStatusTip("an overview of the whole graph in the canvas's corner; click or drag on it to move the view")
    action.toggled.connect(minimap.setVisible)
    minimap.setVisible(visible)
    menu.addAction(action)
    return minimap, action
