"""An interactive 3D view: point clouds, meshes and camera frusta drawn by :mod:`thyra_graph.render3d`.

Left-drag orbits around the scene's centre, right-drag, middle-drag or shift-drag pans, the
wheel zooms and a double-click resets the view. While the mouse drags, big scenes are drawn
from a subset (points strided, a big mesh as shaded vertices) so the view keeps up; the full
picture is drawn when the button is released. No OpenGL: the renderer is NumPy.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from thyra_graph.render3d import BACKGROUND, OrbitCamera, Scene, render

from .image_view import to_qimage

DRAG_POINTS = 60_000   # points drawn while dragging (benchmarks/preview3d_speed.py)
DRAG_FACES = 30_000    # above this many faces, a dragged mesh is drawn as shaded vertices
MAX_PIXELS = 800_000   # larger widgets render at a lower resolution, scaled up when painted
WHEEL_STEP = 1.15      # zoom factor per wheel notch


class OrbitView(QtWidgets.QWidget):
    """Shows one :class:`~thyra_graph.render3d.Scene`; ``camera`` is the current view."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 90)
        self.setFocusPolicy(QtCore.Qt.StrongFocus)
        self.setToolTip("drag: orbit · right/shift-drag: pan · wheel: zoom · double-click: reset")
        self.scene = Scene()
        self.camera = OrbitCamera.fitted(self.scene)
        self.frame: np.ndarray | None = None    # the last rendered picture (RGB)
        self._image: QtGui.QImage | None = None
        self._stale = True
        self._last: QtCore.QPointF | None = None
        self._mode: str | None = None            # "orbit" or "pan" while a button is held

    def set_scene(self, scene: Scene, *, keep_view: bool = False) -> None:
        """Show ``scene`` from the default view fitted to its bounds, or from the current view
        (``keep_view``: the frames of one series, so the slider does not undo a turn)."""
        self.scene = scene
        if keep_view:
            self._redraw()
        else:
            self.reset_view()

    def reset_view(self) -> None:
        self.camera = OrbitCamera.fitted(self.scene)
        self._redraw()

    @property
    def dragging(self) -> bool:
        return self._mode is not None

    def render_size(self) -> tuple[int, int]:
        width, height = max(self.width(), 1), max(self.height(), 1)
        shrink = max(1.0, (width * height / MAX_PIXELS) ** 0.5)
        return max(1, int(width / shrink)), max(1, int(height / shrink))

    def rendered(self) -> np.ndarray:
        """The picture as it is shown now, rendering first if the view changed."""
        if self._stale or self.frame is None:
            quick = self.dragging
            self.frame = render(self.scene, self.camera, self.render_size(),
                                max_points=DRAG_POINTS if quick else None, max_faces=DRAG_FACES if quick else None)
            self._image = to_qimage(self.frame)
            self._stale = False
        return self.frame

    def _redraw(self) -> None:
        self._stale = True
        self.update()  # Qt merges repaints: one render per frame, however many mouse events

    # -- Qt events ----------------------------------------------------------------------------------
    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(*BACKGROUND))
        try:
            self.rendered()
        except Exception as exc:  # a preview must never take the window down
            painter.setPen(QtGui.QColor(230, 230, 230))
            painter.drawText(self.rect(), QtCore.Qt.AlignCenter, f"cannot draw this scene: {exc}")
            return
        painter.setRenderHint(QtGui.QPainter.SmoothPixmapTransform)
        painter.drawImage(self.rect(), self._image)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._stale = True

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        shifted = bool(event.modifiers() & QtCore.Qt.ShiftModifier)
        if event.button() == QtCore.Qt.LeftButton and not shifted:
            self._mode = "orbit"
        elif event.button() in (QtCore.Qt.LeftButton, QtCore.Qt.RightButton, QtCore.Qt.MiddleButton):
            self._mode = "pan"
        self._last = event.position()
        event.accept()

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        if self._mode is None or self._last is None:
            return
        delta = event.position() - self._last
        self._last = event.position()
        # The view may render smaller than the widget: convert the drag to rendered pixels.
        scale = self.render_size()[1] / max(self.height(), 1)
        if self._mode == "orbit":
            self.camera.rotate(delta.x(), delta.y())
        else:
            self.camera.pan(delta.x() * scale, delta.y() * scale, self.render_size()[1])
        self._redraw()

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        if self._mode is not None:
            self._mode = None
            self._last = None
            self._redraw()  # full detail again

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:
        self.reset_view()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if notches:
            self.camera.zoom(WHEEL_STEP ** notches)
            self._redraw()
        event.accept()

    def contextMenuEvent(self, event) -> None:
        event.accept()  # right-drag pans; no menu
