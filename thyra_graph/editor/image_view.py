"""A picture with zoom (wheel) and pan (drag), reporting clicks in image pixels."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

CLICK_SLOP = 4  # pixels the mouse may move between press and release and still "click"


def to_qimage(rgb: np.ndarray) -> QtGui.QImage:
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    image = QtGui.QImage(rgb.data, width, height, 3 * width, QtGui.QImage.Format_RGB888)
    return image.copy()  # own the pixels: the array may go away


class ImageView(QtWidgets.QGraphicsView):
    clicked = QtCore.Signal(float, float, bool)  # x, y in image pixels; negative (shift or right)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QtWidgets.QGraphicsScene(self))
        self.pixmap = self.scene().addPixmap(QtGui.QPixmap())
        self.pixmap.setTransformationMode(QtCore.Qt.FastTransformation)  # see the real pixels
        self.setDragMode(QtWidgets.QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.AnchorUnderMouse)
        self.setBackgroundBrush(QtGui.QColor(28, 28, 28))
        self._press: QtCore.QPoint | None = None
        self._size: tuple[int, int] | None = None
        self._user_zoomed = False  # until the user zooms, the picture follows the view's size
        self.image_shape: tuple[int, int] | None = None

    def set_image(self, rgb: np.ndarray) -> None:
        """Show ``rgb``; the zoom is kept while the picture keeps its size (prompting)."""
        self.pixmap.setPixmap(QtGui.QPixmap.fromImage(to_qimage(rgb)))
        size = (rgb.shape[1], rgb.shape[0])
        self.image_shape = rgb.shape[:2]
        self.scene().setSceneRect(0, 0, *size)
        if size != self._size:
            self._size = size
            self._user_zoomed = False
        if not self._user_zoomed:
            self.fit()

    def fit(self) -> None:
        self.fitInView(self.pixmap, QtCore.Qt.KeepAspectRatio)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._size is not None and not self._user_zoomed:
            self.fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._size is not None and not self._user_zoomed:
            self.fit()

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        scale = self.transform().m11() * factor
        if 0.05 < scale < 64:
            self._user_zoomed = True
            self.scale(factor, factor)

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if press is None or (event.position().toPoint() - press).manhattanLength() > CLICK_SLOP:
            return  # that was a pan
        if self.image_shape is None:
            return
        point = self.mapToScene(event.position().toPoint())
        height, width = self.image_shape
        if 0 <= point.x() < width and 0 <= point.y() < height:
            negative = event.button() == QtCore.Qt.RightButton or bool(event.modifiers() & QtCore.Qt.ShiftModifier)
            self.clicked.emit(point.x(), point.y(), negative)

    def contextMenuEvent(self, event) -> None:
        event.accept()  # right-click is a negative point, not a menu
