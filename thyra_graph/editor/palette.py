"""The node palette (a dock: categories, filter, drag or double-click to create). It lists
what :class:`Catalog` holds, so plugin nodes appear as-is (so does the search popup)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from .canvas import DROP_PREFIX
from .catalog import Catalog, CatalogEntry

TYPE_ROLE = QtCore.Qt.UserRole + 1


def describe(entry: CatalogEntry) -> str:
    lines = [f"<b>{entry.title}</b> <code>{entry.type_id}</code>", entry.summary]
    if not entry.available:
        lines.append(f"<font color='#d66'>{entry.reason}</font>")
    if entry.origin and "builtin" not in entry.origin:
        lines.append(f"<i>from {entry.origin}</i>")
    return "<br>".join(line for line in lines if line)


class PaletteTree(QtWidgets.QTreeWidget):
    """Categories and their nodes; items drag onto the canvas as ``thyra-node:<id>`` text."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QtWidgets.QAbstractItemView.DragOnly)

    def mimeData(self, items) -> QtCore.QMimeData:
        mime = QtCore.QMimeData()
        type_id = items[0].data(0, TYPE_ROLE) if items else None
        if type_id:
            mime.setText(DROP_PREFIX + type_id)
        return mime


class Palette(QtWidgets.QWidget):
    node_chosen = QtCore.Signal(str)  # a type id to create

    def __init__(self, catalog: Catalog, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.filter = QtWidgets.QLineEdit(placeholderText="Filter nodes…")
        self.filter.setClearButtonEnabled(True)
        self.tree = PaletteTree()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self.refill)
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.refill()

    def refill(self) -> None:
        query = self.filter.text()
        shown = {e.type_id for e in self.catalog.search(query, limit=10_000)} if query.strip() else None
        self.tree.clear()
        grey = QtGui.QBrush(QtGui.QColor(120, 120, 120))
        for category, entries in self.catalog.by_category().items():
            entries = [e for e in entries if shown is None or e.type_id in shown]
            if not entries:
                continue
            group = QtWidgets.QTreeWidgetItem([category])
            group.setFlags(QtCore.Qt.ItemIsEnabled)
            self.tree.addTopLevelItem(group)
            for entry in entries:
                item = QtWidgets.QTreeWidgetItem([entry.title])
                item.setData(0, TYPE_ROLE, entry.type_id)
                item.setToolTip(0, describe(entry))
                if entry.available:
                    item.setFlags(QtCore.Qt.ItemIsEnabled | QtCore.Qt.ItemIsSelectable | QtCore.Qt.ItemIsDragEnabled)
                else:
                    item.setFlags(QtCore.Qt.ItemIsEnabled)  # shown with its reason, not creatable
                    item.setForeground(0, grey)
                    item.setText(0, f"{entry.title} (unavailable)")
                group.addChild(item)
        self.tree.expandAll()

    def item_for(self, type_id: str) -> QtWidgets.QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                if group.child(j).data(0, TYPE_ROLE) == type_id:
                    return group.child(j)
        return None

    def _on_double_click(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id and item.flags() & QtCore.Qt.ItemIsSelectable:
            self.node_chosen.emit(type_id)
