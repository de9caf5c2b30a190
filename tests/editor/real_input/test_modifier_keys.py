"""Bug 3: after Ctrl+Q → Cancel, a plain click on a node selects it again.

The keys are released while the "Unsaved changes" question is up, so those releases go to the
dialog, never to the canvas, just as on a desktop; the canvas must not go on believing that
Ctrl is held (NodeGraphQt's viewer keeps its own Ctrl/Shift/Alt flags from key events).
"""

from __future__ import annotations

import contextlib

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from thyra_graph.editor.dialogs import Prompter

from .conftest import click, empty_point, node_point, viewport

CTRL = QtCore.Qt.ControlModifier


def answer_cancel_releasing_the_keys(answered: list[str]) -> None:
    """While the question is up: Q and Ctrl are let go (the dialog gets it), then Cancel."""
    dialog = QtWidgets.QApplication.activeModalWidget()
    if not isinstance(dialog, QtWidgets.QMessageBox):
        QtCore.QTimer.singleShot(50, lambda: answer_cancel_releasing_the_keys(answered))
        return
    QTest.keyRelease(dialog, QtCore.Qt.Key_Q, CTRL)
    QTest.keyRelease(dialog, QtCore.Qt.Key_Control, QtCore.Qt.NoModifier)
    button = dialog.button(QtWidgets.QMessageBox.Cancel)
    answered.append(dialog.text())
    QTest.mouseClick(button, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, button.rect().center())


@contextlib.contextmanager
def real_questions(window):
    """The window asks its real questions (modal message boxes) inside; unmodified after, so
    that closing it at teardown (before fixtures end) asks nothing."""
    stub, window.prompter = window.prompter, Prompter(window)
    try:
        yield
    finally:
        window.prompter = stub
        window.document.undo_stack.mark_clean()


def test_a_node_click_selects_after_ctrl_q_is_cancelled(real_window):
    window = real_window
    load = window.canvas.add_node("io.load_image", (0, 0))
    blur = window.canvas.add_node("image.blur", (300, 0))
    window.canvas.fit()
    canvas = window.canvas.view.viewer()
    click(viewport(window), empty_point(window))  # the canvas has the keyboard focus
    assert window.canvas.selected_ids() == []
    answered: list[str] = []
    QtCore.QTimer.singleShot(50, lambda: answer_cancel_releasing_the_keys(answered))
    with real_questions(window):
        QTest.keyPress(canvas, QtCore.Qt.Key_Control, CTRL)
        QTest.keyPress(canvas, QtCore.Qt.Key_Q, CTRL)  # Quit → "Save them?" → Cancel
    assert answered and "unsaved changes" in answered[0]
    assert window.isVisible()
    click(viewport(window), node_point(window, blur))
    assert window.canvas.selected_ids() == [blur]
    click(viewport(window), node_point(window, load))
    assert window.canvas.selected_ids() == [load]


def test_modifiers_held_during_a_click_still_count(real_window):
    window = real_window
    load = window.canvas.add_node("io.load_image", (0, 0))
    blur = window.canvas.add_node("image.blur", (300, 0))
    window.canvas.fit()
    click(viewport(window), node_point(window, load))
    click(viewport(window), node_point(window, blur), QtCore.Qt.ShiftModifier)  # Shift adds
    assert sorted(window.canvas.selected_ids()) == sorted([load, blur])
    click(viewport(window), node_point(window, load), CTRL)  # Ctrl takes away
    assert window.canvas.selected_ids() == [blur]
