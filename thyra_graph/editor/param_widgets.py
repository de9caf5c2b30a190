"""One input widget per parameter kind, generated from the declaration.

A plugin's param kind gets the widget family it declared (``Param.widget``): a line of text,
a colour picker, a point list or a YAML box.

Each :class:`ParamEditor` shows a value and calls ``on_commit`` with what the user settled
on: a typed value from spin boxes, check boxes and combos, or text that
:func:`~.param_values.parse_text` turns into a typed value. ``show_error`` marks the
field red with the reason; the panel decides what is valid (the declaration does).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from thyra_graph.engine.declaration import Param
from thyra_graph.engine.samples import dialog_start, path_text

from .list_editor import ListEditor, row_kind
from .param_values import format_value, parse_text
from .spin_steps import decimals_for, log_step, spin_steps

BIG = 2_147_483_647
ERROR_STYLE = "border: 2px solid #d04040; border-radius: 3px;"


class ParamEditor(QtWidgets.QWidget):
    """A field for one parameter: the input widget, and an error line below it."""

    def __init__(self, param: Param, on_commit: Callable[[Param, Any, bool], None], *,
                 base_dir: str = "", value: Any = None) -> None:
        super().__init__()
        self.param = param
        self._value = param.default if value is None else value  # picks the list rows or the YAML box
        self._on_commit = on_commit  # (param, value or text, is_text)
        self.base_dir = base_dir
        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #e06060;")
        self.error.hide()
        self.input = self._build()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.input)
        layout.addWidget(self.error)
        self._help = f"{param.help}\n({param.describe_range()})" if param.help else param.describe_range()
        self.setToolTip(self._help)

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> QtWidgets.QWidget:
        p = self.param
        if p.widget in ("int", "float") and not p.optional:
            self.field = number_box(p)
            self.field.valueChanged.connect(lambda v: self.commit(int(v) if p.kind == "int" else float(v)))
            return self.field
        if p.widget == "bool":
            check = QtWidgets.QCheckBox()
            check.toggled.connect(lambda v: self.commit(bool(v)))
            self.field = check
            return check
        if p.widget == "choice":
            combo = QtWidgets.QComboBox()
            for choice in p.choices:
                combo.addItem(str(choice))
            if p.optional:
                combo.addItem("")
            combo.activated.connect(self._combo_chosen)
            self.field = combo
            return combo
        kind = row_kind(p, self._value)
        if kind is not None:
            self.field = ListEditor(kind, self.commit)
            return self.field
        if p.widget in ("points", "json"):
            text = QtWidgets.QPlainTextEdit()
            text.setFixedHeight(80 if p.widget == "points" else 60)
            text.setPlaceholderText("x, y, label (1 positive, 0 negative), one point per line" if p.widget == "points" else "YAML or JSON")
            apply = QtWidgets.QPushButton("Apply")
            apply.clicked.connect(lambda: self.commit(text.toPlainText(), is_text=True))
            self.field = text
            return _row(text, apply, vertical=True)
        line = QtWidgets.QLineEdit()
        if p.optional:
            line.setPlaceholderText("none")
        line.editingFinished.connect(lambda: self.commit(line.text(), is_text=True))
        self.field = line
        if p.widget == "path":
            browse = QtWidgets.QToolButton(text="…")
            browse.setToolTip("choose a file")
            browse.clicked.connect(self._browse)
            return _row(line, browse)
        if p.widget == "color":
            self.swatch = QtWidgets.QToolButton()
            self.swatch.setToolTip("choose a colour")
            self.swatch.clicked.connect(self._pick_color)
            return _row(line, self.swatch)
        return line

    # -- values ------------------------------------------------------------------------------
    def set_value(self, value: Any) -> None:
        """Show ``value`` without committing it."""
        if isinstance(self.field, ListEditor) and row_kind(self.param, value) != self.field.kind:
            self._rebuild(value)  # e.g. undo back to a value only the YAML box can hold
        field = self.field
        blocker = QtCore.QSignalBlocker(field)
        if isinstance(field, QtWidgets.QDoubleSpinBox):
            field.setDecimals(max(field.decimals(), min(10, decimals_for(value))))  # never shown rounded
            field.setValue(value)
        elif isinstance(field, QtWidgets.QSpinBox):
            field.setValue(value)
        elif isinstance(field, ListEditor):
            field.set_value(value)
        elif isinstance(field, QtWidgets.QCheckBox):
            field.setChecked(bool(value))
        elif isinstance(field, QtWidgets.QComboBox):
            index = list(self.param.choices).index(value) if value in self.param.choices else field.count() - 1
            field.setCurrentIndex(index)
        elif isinstance(field, QtWidgets.QPlainTextEdit):
            field.setPlainText(format_value(self.param, value))
        else:
            field.setText(format_value(self.param, value))
        del blocker
        if self.param.widget == "color" and isinstance(value, (list, tuple)):
            self.swatch.setStyleSheet(f"background: rgb({value[0]}, {value[1]}, {value[2]});")
        self.clear_error()

    def _rebuild(self, value: Any) -> None:
        self._value = value
        old, self.input = self.input, self._build()
        self.layout().replaceWidget(old, self.input)
        old.deleteLater()

    def set_applicable(self, reason: str | None) -> None:
        """Grey the field (with ``reason`` as its tooltip) while the param does not apply."""
        self.input.setEnabled(reason is None)
        self.setToolTip(self._help if reason is None else f"Not used: {reason}.\n{self._help}")

    def commit(self, value: Any, *, is_text: bool = False) -> None:
        self._on_commit(self.param, value, is_text)

    def _combo_chosen(self, index: int) -> None:
        choices = list(self.param.choices)
        self.commit(choices[index] if index < len(choices) else None)

    def show_error(self, message: str) -> None:
        self.input.setStyleSheet(ERROR_STYLE) if self.input is self.field else self.field.setStyleSheet(ERROR_STYLE)
        self.error.setText(message)
        self.error.show()

    def clear_error(self) -> None:
        self.field.setStyleSheet("")
        self.input.setStyleSheet("")
        self.error.hide()

    @property
    def has_error(self) -> bool:
        return not self.error.isHidden()

    def _browse(self) -> None:
        start = dialog_start(self.field.text().strip(), self.base_dir)
        if self.param.io == "write":
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Choose {self.param.name}", start)
        else:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, f"Choose {self.param.name}", start)
        if path:
            # Written as the graph file should hold it: a bundled sample as samples:NAME, a file
            # beside the graph relative to it, so the graph still works when copied elsewhere.
            text = path_text(path, self.base_dir, writes=self.param.io != "read")
            self.field.setText(text)
            self.commit(text, is_text=True)

    def _pick_color(self) -> None:
        try:
            current = parse_text(self.param, self.field.text())
            initial = QtGui.QColor(*current)
        except ValueError:
            initial = QtGui.QColor(255, 255, 255)
        color = QtWidgets.QColorDialog.getColor(initial, self, f"Choose {self.param.name}")
        if color.isValid():
            self.commit(color.name(), is_text=True)


def number_box(param: Param) -> QtWidgets.QAbstractSpinBox:
    """A spin box with the param's range, stepping by its scale (see spin_steps.py)."""
    steps = spin_steps(param)
    if param.kind == "int":
        box: QtWidgets.QAbstractSpinBox = LogSpinBox(steps.factor, param.min) if steps.factor else QtWidgets.QSpinBox()
        box.setRange(int(param.min) if param.min is not None else -BIG, int(param.max) if param.max is not None else BIG)
        box.setSingleStep(int(steps.step))
    else:
        box = LogDoubleSpinBox(steps.factor, param.min) if steps.factor else QtWidgets.QDoubleSpinBox()
        box.setDecimals(steps.decimals)
        box.setRange(param.min if param.min is not None else -1e12, param.max if param.max is not None else 1e12)
        box.setSingleStep(steps.step)
    box.setKeyboardTracking(False)  # commit on Enter, focus-out or arrows, not per keystroke
    return box


class LogDoubleSpinBox(QtWidgets.QDoubleSpinBox):
    """Arrows multiply or divide by a factor: a value spanning decades moves a decade in a few presses."""

    def __init__(self, factor: float, minimum: float | None) -> None:
        super().__init__()
        self.factor, self.floor = factor, minimum or 0.0

    def stepBy(self, steps: int) -> None:
        self.setValue(log_step(self.value(), steps, self.factor, self.floor))


class LogSpinBox(QtWidgets.QSpinBox):
    def __init__(self, factor: float, minimum: float | None) -> None:
        super().__init__()
        self.factor, self.floor = factor, minimum or 1

    def stepBy(self, steps: int) -> None:
        moved = round(log_step(self.value(), steps, self.factor, self.floor))
        self.setValue(moved if moved != self.value() else self.value() + (1 if steps > 0 else -1))


def _row(main: QtWidgets.QWidget, extra: QtWidgets.QWidget, *, vertical: bool = False) -> QtWidgets.QWidget:
    box = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(box) if vertical else QtWidgets.QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(main)
    layout.addWidget(extra, 0, QtCore.Qt.AlignRight if vertical else QtCore.Qt.Alignment())
    return box
