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

from .param_values import format_value, parse_text

BIG = 2_147_483_647
ERROR_STYLE = "border: 2px solid #d04040; border-radius: 3px;"


class ParamEditor(QtWidgets.QWidget):
    """A field for one parameter: the input widget, and an error line below it."""

    def __init__(self, param: Param, on_commit: Callable[[Param, Any, bool], None], *,
                 base_dir: str = "") -> None:
        super().__init__()
        self.param = param
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
        self.setToolTip(f"{param.help}\n({param.describe_range()})" if param.help else param.describe_range())

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> QtWidgets.QWidget:
        p = self.param
        if p.widget == "int" and not p.optional:
            box = QtWidgets.QSpinBox()
            box.setRange(int(p.min) if p.min is not None else -BIG, int(p.max) if p.max is not None else BIG)
            box.setSingleStep(int(p.step or 1))
            box.setKeyboardTracking(False)  # commit on Enter, focus-out or arrows, not per keystroke
            box.valueChanged.connect(lambda v: self.commit(int(v)))
            self.field = box
            return box
        if p.widget == "float" and not p.optional:
            box = QtWidgets.QDoubleSpinBox()
            step = p.step or 0.1
            decimals = max(2, min(6, len(f"{step:g}".split(".")[-1]) if "." in f"{step:g}" else 2))
            box.setDecimals(decimals)
            box.setRange(p.min if p.min is not None else -1e12, p.max if p.max is not None else 1e12)
            box.setSingleStep(step)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v: self.commit(float(v)))
            self.field = box
            return box
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
        field = self.field
        blocker = QtCore.QSignalBlocker(field)
        if isinstance(field, (QtWidgets.QSpinBox, QtWidgets.QDoubleSpinBox)):
            field.setValue(value)
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
        start = self.field.text() or self.base_dir
        if self.param.io == "write":
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Choose {self.param.name}", start)
        else:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, f"Choose {self.param.name}", start)
        if path:
            self.field.setText(path)
            self.commit(path, is_text=True)

    def _pick_color(self) -> None:
        try:
            current = parse_text(self.param, self.field.text())
            initial = QtGui.QColor(*current)
        except ValueError:
            initial = QtGui.QColor(255, 255, 255)
        color = QtWidgets.QColorDialog.getColor(initial, self, f"Choose {self.param.name}")
        if color.isValid():
            self.commit(color.name(), is_text=True)


def _row(main: QtWidgets.QWidget, extra: QtWidgets.QWidget, *, vertical: bool = False) -> QtWidgets.QWidget:
    box = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(box) if vertical else QtWidgets.QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(main)
    layout.addWidget(extra, 0, QtCore.Qt.AlignRight if vertical else QtCore.Qt.Alignment())
    return box
