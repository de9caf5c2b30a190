"""A list param edited row by row: add, remove, move up and down, each row the widget its item
kind needs (numbers in spin boxes, text in line edits, points as x, y and a +/− label).

Every finished edit hands the whole new list to ``on_change`` once, so the document records
it as one undoable command. A new text row waits, empty, until something is typed in it.
Values the rows cannot hold (mappings, nested lists) are left to the raw YAML box:
:func:`row_kind` says which, and :mod:`.param_widgets` picks the editor.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from PySide6 import QtCore, QtWidgets

from thyra_graph.engine.declaration import Param

from .spin_steps import decimals_for

BIG = 1e12
POINT_LABELS = ("+ on", "− off")  # SAM 2's labels 1 and 0: a click on the object, or off it


def row_kind(param: Param, value: Any) -> str | None:
    """How the rows of ``param`` holding ``value`` are edited, or None for the raw YAML box.

    ``points`` params get point rows with a label; a json param gets its declared ``items``
    kind, or, undeclared, the kind its current items share (``scalar`` reads "3" as a number
    and "car" as a word, as YAML does).
    """
    if param.widget == "points":
        return "labelled_point" if isinstance(value, list) else None
    if param.widget != "json" or param.plugin_kind is not None or not isinstance(value, list):
        return None
    if param.items is not None:
        return param.items if all(_fits(param.items, v) for v in value) else None
    if value and all(_fits("number", v) for v in value):
        return "number"
    if value and all(_fits("scalar", v) for v in value):
        return "scalar"
    return None


def _fits(kind: str, value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "number":
        return number
    if kind == "int":
        return number and float(value).is_integer()
    if kind == "text":
        return isinstance(value, str)
    if kind == "scalar":
        return number or isinstance(value, str)
    return isinstance(value, list) and len(value) == 2 and all(_fits("number", v) for v in value)  # point


class ListEditor(QtWidgets.QWidget):
    """The rows of one list param and an Add button."""

    def __init__(self, kind: str, on_change: Callable[[list[Any]], None]) -> None:
        super().__init__()
        self.kind = kind
        self._on_change = on_change
        self.rows: list[_Row] = []
        self._last: list[Any] = []  # the list last shown or handed over: an edit that keeps it is none
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._rows_box = QtWidgets.QVBoxLayout()
        self._rows_box.setSpacing(2)
        layout.addLayout(self._rows_box)
        self.add_button = QtWidgets.QPushButton("+ Add")
        self.add_button.setToolTip("add a row at the end")
        self.add_button.clicked.connect(self.add_row)
        layout.addWidget(self.add_button, 0, QtCore.Qt.AlignLeft)

    # -- the value -----------------------------------------------------------------------------
    def value(self) -> list[Any]:
        """The list the rows hold (rows still empty are left out)."""
        values = [row.value() for row in self.rows]
        return [v for v in values if v is not None]

    def set_value(self, value: list[Any]) -> None:
        """Show ``value``; rows already showing it are kept (with the focus and cursor)."""
        self._last = list(value)
        if value != self.value() or len(self.rows) != len(value):
            self._show(list(value))

    def _show(self, values: list[Any]) -> None:
        for row in self.rows:
            self._rows_box.removeWidget(row)
            row.hide()
            row.deleteLater()
        self.rows = []
        for item in values:
            self._append(item)

    def _append(self, item: Any) -> _Row:
        row = _Row(self, self.kind, item)
        self.rows.append(row)
        self._rows_box.addWidget(row)
        for index, each in enumerate(self.rows):  # the first row cannot go up, nor the last down
            each.buttons[0].setEnabled(index > 0)
            each.buttons[1].setEnabled(index < len(self.rows) - 1)
        return row

    # -- edits: each one hands over the whole list once --------------------------------------------
    def add_row(self) -> None:
        """A new row at the end; a number or point row counts at once, a text row when typed in."""
        last = self.rows[-1].value() if self.rows else None
        row = self._append(_new_item(self.kind, last))
        row.focus()
        if row.value() is not None:
            self.changed()

    def remove_row(self, row: _Row) -> None:
        values = [r.value() for r in self.rows]
        del values[self.rows.index(row)]
        self._show([v for v in values if v is not None])
        self.changed()

    def move_row(self, row: _Row, offset: int) -> None:
        index = self.rows.index(row)
        target = index + offset
        if not 0 <= target < len(self.rows):
            return
        values = [r.value() for r in self.rows]
        values[index], values[target] = values[target], values[index]
        self._show([v for v in values if v is not None])
        self.rows[min(target, len(self.rows) - 1)].focus()
        self.changed()

    def changed(self) -> None:
        value = self.value()
        if value != self._last:
            self._last = value
            self._on_change(value)


def _new_item(kind: str, last: Any) -> Any:
    if kind in ("text", "scalar"):
        return None  # an empty row, counted once something is typed
    if kind == "labelled_point":
        return [last[0], last[1], 1] if last else [0.0, 0.0, 1]
    if kind == "point":
        return list(last) if last else [0.0, 0.0]
    return last if last is not None else 0


class _Row(QtWidgets.QWidget):
    """One item: its field(s), then move up, move down and remove buttons."""

    def __init__(self, owner: ListEditor, kind: str, item: Any) -> None:
        super().__init__()
        self.kind = kind
        self.fields: list[QtWidgets.QWidget] = []
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if kind in ("text", "scalar"):
            line = QtWidgets.QLineEdit("" if item is None else str(item))
            line.setPlaceholderText("a word or a number" if kind == "scalar" else "text")
            line.editingFinished.connect(owner.changed)
            self.fields.append(line)
        elif kind in ("point", "labelled_point"):
            for axis, number in zip("xy", item):
                self.fields.append(_number_box(owner, float(number), f"{axis} (pixels)"))
            if kind == "labelled_point":
                label = QtWidgets.QComboBox()
                label.addItems(POINT_LABELS)
                label.setCurrentIndex(0 if (item[2] if len(item) > 2 else 1) == 1 else 1)
                label.setToolTip("on the object (1) or not on it (0)")
                label.activated.connect(lambda _index: owner.changed())
                self.fields.append(label)
        else:
            self.fields.append(_number_box(owner, item, "", whole=kind == "int"))
        for field in self.fields:
            layout.addWidget(field, 1 if not isinstance(field, QtWidgets.QComboBox) else 0)
        self.buttons: list[QtWidgets.QToolButton] = []  # move up, move down, remove
        for text, tip, action in (("↑", "move up", lambda: owner.move_row(self, -1)),
                                  ("↓", "move down", lambda: owner.move_row(self, 1)),
                                  ("✕", "remove this row", lambda: owner.remove_row(self))):
            button = QtWidgets.QToolButton(text=text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(action)
            layout.addWidget(button)
            self.buttons.append(button)

    def value(self) -> Any:
        """The row's item, or None for a text row left empty."""
        if self.kind in ("text", "scalar"):
            text = self.fields[0].text().strip()
            if not text:
                return None
            return text if self.kind == "text" else read_scalar(text)
        if self.kind in ("point", "labelled_point"):
            point: list[Any] = [self.fields[0].value(), self.fields[1].value()]
            if self.kind == "labelled_point":
                point.append(1 if self.fields[2].currentIndex() == 0 else 0)
            return point
        number = self.fields[0].value()
        return int(number) if self.kind == "int" else float(number)

    def focus(self) -> None:
        self.fields[0].setFocus(QtCore.Qt.OtherFocusReason)


def _number_box(owner: ListEditor, value: float, tip: str, *, whole: bool = False) -> QtWidgets.QAbstractSpinBox:
    if whole:
        box: QtWidgets.QAbstractSpinBox = QtWidgets.QSpinBox()
        box.setRange(-2_147_483_647, 2_147_483_647)
    else:
        box = QtWidgets.QDoubleSpinBox()
        box.setRange(-BIG, BIG)
        box.setDecimals(max(2, min(10, decimals_for(float(value)))))
    box.setValue(value)
    box.setKeyboardTracking(False)  # one change per Enter or arrow press, not per keystroke
    box.setToolTip(tip)
    box.valueChanged.connect(lambda _value: owner.changed())
    return box


def read_scalar(text: str) -> int | float | str:
    """``3`` → 3, ``0.5`` → 0.5, anything else the text itself (a class name)."""
    for convert in (int, float):
        try:
            number = convert(text)
        except ValueError:
            continue
        return number if math.isfinite(number) else text
    return text
