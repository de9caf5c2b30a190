"""The toolbar holds still: an undoable edit renames Undo in the menu, not on the toolbar."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .conftest import drag, node_point, viewport


def toolbar_button(window, action) -> QtWidgets.QToolButton:
    return window.findChild(QtWidgets.QToolBar, "Main").widgetForAction(action)


def test_the_run_button_does_not_move_when_an_edit_can_be_undone(quickstart):
    window = quickstart  # just opened: nothing to undo yet
    assert not window.document.undo_stack.can_undo()
    run = toolbar_button(window, window.run_action)
    before = run.mapTo(window, QtCore.QPoint(0, 0)).x()
    start = node_point(window, "load")
    drag(viewport(window), start, start + QtCore.QPoint(120, 60))  # an undoable move
    assert window.document.undo_stack.undo_label()
    QtWidgets.QApplication.processEvents()
    assert run.mapTo(window, QtCore.QPoint(0, 0)).x() == before
    undo = toolbar_button(window, window.undo_action)
    assert undo.text() == "Undo"
    assert window.undo_action.text() == f"&Undo {window.document.undo_stack.undo_label()}"
    assert window.document.undo_stack.undo_label() in undo.toolTip()
