"""The window layout, changed with the mouse and the keyboard, is there again on the next start:
a panel made wider by dragging its edge, a panel closed with its title bar's button, the
editor quit with Ctrl+Q."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from thyra_graph.editor.main_window import MainWindow

from ..conftest import StubPrompter
from .conftest import click, drag, key


def dock(window, name: str) -> QtWidgets.QDockWidget:
    return window.findChild(QtWidgets.QDockWidget, name)


def close_button(d: QtWidgets.QDockWidget) -> QtWidgets.QAbstractButton:
    return d.findChild(QtWidgets.QAbstractButton, "qt_dockwidget_closebutton")


def test_a_panel_widened_and_one_closed_with_the_mouse_stay_so_after_ctrl_q_and_a_restart(
        real_window, qtbot, registry, executor, tmp_path):
    window = real_window
    nodes = dock(window, "Nodes")
    width = nodes.width()
    # The splitter between the palette and the canvas: just right of the palette's dock.
    edge = window.mapFrom(nodes, QtCore.QPoint(nodes.width(), nodes.height() // 2)) + QtCore.QPoint(2, 0)
    drag(window, edge, edge + QtCore.QPoint(120, 0))
    qtbot.waitUntil(lambda: nodes.width() > width + 80, timeout=3_000)
    widened = nodes.width()
    problems = dock(window, "Problems")
    button = close_button(problems)
    click(button, button.rect().center())
    assert problems.isHidden()

    key(window.canvas.view.viewer().viewport(), QtCore.Qt.Key_Q, QtCore.Qt.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3_000)

    again = MainWindow(registry, executor, config_dir=tmp_path / "config", prompter=StubPrompter())
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert abs(dock(again, "Nodes").width() - widened) <= 2
    assert dock(again, "Problems").isHidden()
    assert again.close()
