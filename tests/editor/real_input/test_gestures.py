"""The canvas gestures node-editor users expect, done with the mouse: a double-click on empty
canvas opens the node search there; a pipe dropped on empty canvas opens the search filtered
to nodes that can take it and connects the node chosen; while a pipe is dragged, ports that
cannot take it are dimmed; a new node never lands on top of another."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from thyra_graph.editor.gestures import DIMMED

from .conftest import LEFT, NO_MODIFIER, double_click, drag, empty_point, port_point, viewport


def _type(window, text: str) -> None:
    QTest.keyClicks(window.search.line, text)
    QTest.keyClick(window.search.line, QtCore.Qt.Key_Return)


def test_double_click_on_empty_canvas_opens_the_search_and_creates_the_node_there(real_window, qtbot):
    window = real_window
    window.canvas.add_node("io.load_image", (0, 0))
    window.canvas.fit()
    spot = empty_point(window)
    double_click(viewport(window), spot)
    qtbot.waitUntil(window.search.isVisible, timeout=3_000)
    _type(window, "blur")
    new = [n for n in window.document.graph.nodes if n != "load_image"]
    assert [window.document.graph.nodes[n].type_id for n in new] == ["image.blur"]
    wanted = window.canvas.view.viewer().mapToScene(spot)
    x, y = window.document.graph.ui["positions"][new[0]]
    assert abs(x - wanted.x()) < 200 and abs(y - wanted.y()) < 200


def test_a_pipe_dropped_on_empty_canvas_offers_only_nodes_that_take_it_and_connects_the_choice(real_window, qtbot):
    window = real_window
    load = window.canvas.add_node("io.load_image", (0, 0))
    window.canvas.fit()
    start = port_point(window, load, "image", output=True)
    drag(viewport(window), start, start + QtCore.QPoint(250, 120))
    qtbot.waitUntil(window.search.isVisible, timeout=3_000)
    shown = window.search.shown_types()
    assert "image.blur" in shown
    assert "io.load_image" not in shown  # has no input at all
    _type(window, "blur")
    blur = next(n for n in window.document.graph.nodes if n != load)
    assert window.document.graph.nodes[blur].inputs == {"image": (load, "image")}
    window.document.undo()
    assert list(window.document.graph.nodes) == [load]  # node and link were one step


def test_ports_that_cannot_take_the_dragged_pipe_are_dimmed_until_release(real_window):
    window = real_window
    load = window.canvas.add_node("io.load_image", (0, 0))
    blur = window.canvas.add_node("image.blur", (300, 0))
    other = window.canvas.add_node("io.load_image", (300, 250))
    window.canvas.fit()
    port = viewport(window)
    start = port_point(window, load, "image", output=True)
    QTest.mousePress(port, LEFT, NO_MODIFIER, start)
    for i in range(1, 6):
        QTest.mouseMove(port, start + QtCore.QPoint(20 * i, 40 * i))
    assert window.canvas.node(blur).inputs()["image"].view.opacity() == 1.0
    assert window.canvas.node(other).outputs()["image"].view.opacity() == DIMMED
    QTest.mouseRelease(port, LEFT, NO_MODIFIER, start)
    assert window.canvas.node(other).outputs()["image"].view.opacity() == 1.0


def test_a_node_created_where_another_stands_is_placed_beside_it(real_window):
    window = real_window
    first = window.canvas.add_node("image.blur", (0, 0))
    second = window.canvas.add_node("image.blur", (0, 0))
    a = window.canvas.node(first).view.sceneBoundingRect()
    b = window.canvas.node(second).view.sceneBoundingRect()
    assert not a.intersects(b)
