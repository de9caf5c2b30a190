"""Real input for the editor: QTest mouse and key events on the canvas view's viewport, on the
``xcb`` platform of the private Xvfb that ``tests/editor/conftest.py`` starts.

These tests press, move and release the mouse where a user would (on a port, on a node's
title, on empty canvas), so NodeGraphQt's own event handling runs exactly as it does for a
person; they never emit NodeGraphQt's signals themselves. Without Xvfb they are skipped with
the reason. The helpers take points in the viewport's coordinates; ``port_point`` and
``node_point`` find them from Thyra node ids.
"""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("NodeGraphQt")

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from ..conftest import PLATFORM, XVFB_MISSING  # noqa: E402

LEFT = QtCore.Qt.LeftButton
NO_MODIFIER = QtCore.Qt.KeyboardModifier.NoModifier


@pytest.fixture
def real_window(window, qtbot):
    """The editor window, shown and focused on the X display, ready for real events."""
    if PLATFORM != "xcb":
        pytest.skip(XVFB_MISSING)
    window.activateWindow()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5_000)
    return window


def viewport(window) -> QtWidgets.QWidget:
    return window.canvas.view.viewer().viewport()


def port_point(window, node_id: str, port: str, *, output: bool = False) -> QtCore.QPoint:
    """The viewport point at the centre of a node's input (or output) port."""
    node = window.canvas.node(node_id)
    item = (node.outputs() if output else node.inputs())[port].view
    return _to_viewport(window, item.sceneBoundingRect().center())


def node_point(window, node_id: str) -> QtCore.QPoint:
    """A point on a node's title bar (where a user grabs or clicks it)."""
    rect = window.canvas.node(node_id).view.sceneBoundingRect()
    return _to_viewport(window, QtCore.QPointF(rect.center().x(), rect.top() + 12))


def empty_point(window) -> QtCore.QPoint:
    """A viewport point with no node, port or pipe under it."""
    viewer = window.canvas.view.viewer()
    area = viewer.viewport().rect()
    for y in range(20, area.height() - 20, 25):
        for x in range(20, area.width() - 20, 25):
            if not viewer.items(QtCore.QPoint(x, y)):
                return QtCore.QPoint(x, y)
    raise AssertionError("the canvas has no empty spot in view")


def _to_viewport(window, scene_point: QtCore.QPointF) -> QtCore.QPoint:
    viewer = window.canvas.view.viewer()
    point = viewer.mapFromScene(scene_point)
    assert viewer.viewport().rect().contains(point), f"{scene_point} is outside the view; frame the nodes first"
    return point


def click(widget: QtWidgets.QWidget, point: QtCore.QPoint, modifiers=NO_MODIFIER, button=LEFT) -> None:
    QTest.mouseClick(widget, button, modifiers, point)
    QtWidgets.QApplication.processEvents()


def double_click(widget: QtWidgets.QWidget, point: QtCore.QPoint) -> None:
    QTest.mouseDClick(widget, LEFT, NO_MODIFIER, point)
    QtWidgets.QApplication.processEvents()


def drag(widget: QtWidgets.QWidget, start: QtCore.QPoint, end: QtCore.QPoint, *, steps: int = 8,
         modifiers=NO_MODIFIER, button=LEFT) -> None:
    """Press at ``start``, move there in ``steps`` moves as a hand would, release at ``end``."""
    QTest.mousePress(widget, button, modifiers, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(widget, start + (end - start) * (i / steps))
        QtWidgets.QApplication.processEvents()
    QTest.mouseRelease(widget, button, modifiers, end)
    QtWidgets.QApplication.processEvents()


def key(widget: QtWidgets.QWidget, key, modifiers=NO_MODIFIER) -> None:
    QTest.keyClick(widget, key, modifiers)
    QtWidgets.QApplication.processEvents()


def context_menu(widget: QtWidgets.QWidget, point: QtCore.QPoint) -> None:
    """A right click as X delivers it: press, release, then the context-menu event."""
    QTest.mouseClick(widget, QtCore.Qt.RightButton, NO_MODIFIER, point)
    event = QtGui.QContextMenuEvent(QtGui.QContextMenuEvent.Mouse, point, widget.mapToGlobal(point))
    QtWidgets.QApplication.sendEvent(widget, event)


@pytest.fixture
def quickstart(real_window, tmp_path):
    """The editor showing the quickstart, its sinks writing under ``tmp_path``, unmodified."""
    from ..conftest import REPO, redirect_outputs

    assert real_window.open_file(REPO / "graphs" / "quickstart.yaml")
    redirect_outputs(real_window.document, tmp_path / "out")
    real_window.document.undo_stack.mark_clean()
    return real_window
