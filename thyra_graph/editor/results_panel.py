"""The results panel: what the last run produced, read as ``thyra run`` prints it.

The graph's declared ``outputs:`` (``coins.count``) come first, in bold; then what the other
requested nodes returned, sinks saying which files they wrote. An output the last run did not
reach (a run to the selected node, a failure upstream, a cancelled run) is listed with why,
never left showing an older value. Clicking a row selects that node on the canvas, which
shows its preview. Another file opened clears the panel.
"""

from __future__ import annotations

import json

from PySide6 import QtCore, QtGui, QtWidgets

from thyra_graph.engine.graph import Graph
from thyra_graph.engine.results import RunResult, summary_of
from thyra_graph.types import PortType

NODE_ROLE = QtCore.Qt.UserRole
HINT = "Run the graph (F5) to see its outputs here."
MAX_TEXT = 160


def format_value(value: PortType) -> str:
    """One line for a value: a number or text as is, a sink's files, else its summary."""
    summary = summary_of(value)
    if isinstance(summary, float):
        return f"{summary:.6g}"
    if isinstance(summary, (int, str)):
        return _shorten(str(summary))
    files = value.files()
    if files:
        return _shorten(f"wrote {', '.join(files)}" if len(files) <= 3 else f"wrote {len(files)} files")
    return _shorten(json.dumps(summary))


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def unreached(result: RunResult, ref: str) -> str:
    """Why the run has no value for a declared output ``ref``."""
    node = result.nodes.get(ref.split(".")[0])
    if node is None:
        return "(not in this run: run the whole graph, F5)"
    if node.error:
        return f"({node.status}: {node.error})"
    return f"({node.status})"


class ResultsPanel(QtWidgets.QTableWidget):
    """Output | value rows for the last run; a click on a row selects its node, showing that output."""

    output_clicked = QtCore.Signal(str, str)  # node, output

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Output", "Value"])
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.setWordWrap(False)
        self.cellClicked.connect(self._on_clicked)
        self.clear_results()

    def clear_results(self, hint: str = HINT) -> None:
        """No values to show: one grey row saying why."""
        self.setRowCount(1)
        item = QtWidgets.QTableWidgetItem(hint)
        item.setForeground(QtGui.QColor(140, 140, 140))
        self.setItem(0, 0, QtWidgets.QTableWidgetItem(""))
        self.setItem(0, 1, item)

    def values(self) -> dict[str, str]:
        """What the panel shows, output ref → value text, in the order shown."""
        return {self.item(r, 0).text(): self.item(r, 1).text() for r in range(self.rowCount()) if self.item(r, 0).text()}

    def row_of(self, ref: str) -> int:
        return next(r for r in range(self.rowCount()) if self.item(r, 0).text() == ref)

    def show_result(self, graph: Graph, result: RunResult) -> None:
        """The declared outputs first (bold), then every other value the run returned."""
        rows: list[tuple[str, str, bool]] = []
        for ref in graph.outputs:
            value = result.outputs.get(ref)
            rows.append((ref, format_value(value) if value is not None else unreached(result, ref), True))
        rows += [(ref, format_value(value), False) for ref, value in result.outputs.items() if ref not in graph.outputs]
        if not rows:
            self.clear_results("This run returned no values: declare some with 'outputs: [node.port]' in the graph file.")
            return
        self.setRowCount(len(rows))
        bold = QtGui.QFont(self.font())
        bold.setBold(True)
        for row, (ref, text, declared) in enumerate(rows):
            name, value = QtWidgets.QTableWidgetItem(ref), QtWidgets.QTableWidgetItem(text)
            name.setData(NODE_ROLE, ref.split(".")[0])
            value.setToolTip(text)
            if declared:
                name.setFont(bold)
                value.setFont(bold)
            self.setItem(row, 0, name)
            self.setItem(row, 1, value)
        self.resizeColumnToContents(0)

    def _on_clicked(self, row: int, _column: int) -> None:
        node = self.item(row, 0).data(NODE_ROLE) if self.item(row, 0) else None
        if node:
            self.output_clicked.emit(node, self.item(row, 0).text().split(".", 1)[-1])
