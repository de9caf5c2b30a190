"""The node search popup: Tab, Ctrl+Space, a double-click on empty canvas, or a pipe dropped
on empty canvas. Type part of a name, id or description; Enter creates the first match where
the search was opened.

Opened from a dropped pipe it lists only the nodes that can take that pipe (a Mask output
offers nodes with a Mask input), and the node chosen is created connected to it.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .canvas import Canvas
from .catalog import Catalog, CatalogEntry
from .gestures import LooseEnd
from .palette import TYPE_ROLE, describe


class NodeSearch(QtWidgets.QFrame):
    node_chosen = QtCore.Signal(str)  # the type id, after the node was created

    def __init__(self, catalog: Catalog, canvas: Canvas, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, QtCore.Qt.Popup)
        self.catalog = catalog
        self.canvas = canvas
        self.loose: LooseEnd | None = None
        self._at: tuple[float, float] | None = None
        self.setFrameShape(QtWidgets.QFrame.StyledPanel)
        self.heading = QtWidgets.QLabel()
        self.heading.setVisible(False)
        self.line = QtWidgets.QLineEdit(placeholderText="Search nodes by name, id or description")
        self.results = QtWidgets.QListWidget()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.line)
        layout.addWidget(self.results)
        self.resize(380, 300)
        self.line.textChanged.connect(self.update_results)
        self.line.returnPressed.connect(self._choose_current)
        self.results.itemActivated.connect(lambda item: self._choose(item))
        self.line.installEventFilter(self)
        canvas.search_at.connect(self.open_at)

    def open_at_cursor(self) -> None:
        """Tab or Ctrl+Space: the node goes where the mouse is (or the view's centre)."""
        x, y = self.canvas.free_position()
        viewer = self.canvas.view.viewer()
        self.open_at(QtCore.QPointF(x, y), viewer.mapToGlobal(viewer.mapFromScene(QtCore.QPointF(x, y))), None)

    def open_at(self, scene: QtCore.QPointF, screen: QtCore.QPoint, loose: LooseEnd | None = None) -> None:
        self._at = (scene.x(), scene.y())
        self.loose = loose
        if loose is not None:
            side = "output" if loose.is_output else "input"
            self.heading.setText(f"Nodes that connect to <b>{loose.node}.{loose.port}</b> ({loose.type.type_name} {side})")
        self.heading.setVisible(loose is not None)
        self.line.clear()
        self.update_results("")
        self.move(screen)
        self.show()
        self.line.setFocus()

    def _fits(self, entry: CatalogEntry) -> bool:
        types = entry.input_types if self.loose.is_output else entry.output_types
        return any(self.loose.fits(t) for t in types)

    def update_results(self, text: str) -> None:
        self.results.clear()
        for entry in self.catalog.search(text, limit=30, only=self._fits if self.loose else None):
            item = QtWidgets.QListWidgetItem(f"{entry.title}  —  {entry.type_id}")
            item.setData(TYPE_ROLE, entry.type_id)
            item.setToolTip(describe(entry))
            if not entry.available:
                item.setFlags(QtCore.Qt.NoItemFlags)
            self.results.addItem(item)
        for i in range(self.results.count()):
            if self.results.item(i).flags() & QtCore.Qt.ItemIsEnabled:
                self.results.setCurrentRow(i)
                break

    def shown_types(self) -> list[str]:
        return [self.results.item(i).data(TYPE_ROLE) for i in range(self.results.count())]

    def eventFilter(self, watched, event) -> bool:
        if watched is self.line and event.type() == QtCore.QEvent.KeyPress and event.key() in (QtCore.Qt.Key_Down, QtCore.Qt.Key_Up):
            row = self.results.currentRow() + (1 if event.key() == QtCore.Qt.Key_Down else -1)
            self.results.setCurrentRow(max(0, min(row, self.results.count() - 1)))
            return True
        return super().eventFilter(watched, event)

    def _choose_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._choose(item)

    def _choose(self, item: QtWidgets.QListWidgetItem) -> None:
        if item.flags() & QtCore.Qt.ItemIsEnabled:
            self.hide()
            type_id = item.data(TYPE_ROLE)
            if self.canvas.add_node(type_id, self._at, self.loose) is not None:
                self.node_chosen.emit(type_id)
