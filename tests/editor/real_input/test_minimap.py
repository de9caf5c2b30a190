"""The minimap in the canvas's corner, used with the mouse: a click there moves the canvas's
visible centre to that spot, a drag pans along; it shows every node, follows nodes as they are
added and moved, and is switched from the View menu (remembered on the next start)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from thyra_graph.editor.main_window import MainWindow

from ..conftest import COINS, REPO, StubPrompter
from .conftest import LEFT, NO_MODIFIER, click, drag, node_point, viewport

QUICKSTART = REPO / "graphs" / "quickstart.yaml"


def visible_centre(window) -> QtCore.QPointF:
    viewer = window.canvas.view.viewer()
    return viewer.mapToScene(viewer.viewport().rect().center())


def close_to(a: QtCore.QPointF, b: QtCore.QPointF, tolerance: float) -> bool:
    return abs(a.x() - b.x()) <= tolerance and abs(a.y() - b.y()) <= tolerance


def scene_per_pixel(window) -> float:
    minimap = window.minimap
    return abs(minimap.to_scene(QtCore.QPointF(10, 0)).x() - minimap.to_scene(QtCore.QPointF(0, 0)).x()) / 10


def open_quickstart(window, qtbot) -> None:
    assert window.open_file(QUICKSTART)
    qtbot.waitUntil(lambda: len(window.minimap._cached) == len(window.document.graph.nodes), timeout=3_000)


def test_a_click_in_the_minimap_moves_the_visible_centre_there(real_window, qtbot):
    window = real_window
    open_quickstart(window, qtbot)
    minimap = window.minimap
    assert minimap.isVisible()
    # The quickstart opens on its start (readable): its last node, 'save', is off screen.
    save_box = window.canvas.node("save").view.sceneBoundingRect()
    assert not viewport(window).rect().contains(window.canvas.view.viewer().mapFromScene(save_box.center()))
    target = minimap.to_minimap(save_box.center()).toPoint()
    wanted = minimap.to_scene(target)
    before = visible_centre(window)
    click(minimap, target)
    after = visible_centre(window)
    assert not close_to(after, before, 50)
    assert close_to(after, wanted, 2 + scene_per_pixel(window))
    assert viewport(window).rect().contains(window.canvas.view.viewer().mapFromScene(save_box.center()))


def test_dragging_in_the_minimap_pans_the_canvas_along(real_window, qtbot):
    window = real_window
    open_quickstart(window, qtbot)
    minimap = window.minimap
    start = minimap.to_minimap(window.canvas.node("load").view.sceneBoundingRect().center()).toPoint()
    end = minimap.to_minimap(window.canvas.node("coco").view.sceneBoundingRect().center()).toPoint()
    wanted = minimap.to_scene(end)  # the mapping when the drag begins holds until the release
    per_pixel = scene_per_pixel(window)
    centres = []
    QTest.mousePress(minimap, LEFT, NO_MODIFIER, start)
    for i in range(1, 7):
        QTest.mouseMove(minimap, start + (end - start) * (i / 6))
        QtWidgets.QApplication.processEvents()
        centres.append(visible_centre(window).x())
    QTest.mouseRelease(minimap, LEFT, NO_MODIFIER, end)
    assert centres == sorted(centres) and centres[-1] > centres[0]  # it followed the pointer rightwards
    assert close_to(visible_centre(window), wanted, 2 + per_pixel)


def test_the_minimap_follows_nodes_added_and_dragged_on_the_canvas(real_window, qtbot):
    window = real_window
    minimap = window.minimap
    window.canvas.add_node("io.load_image", (0, 0))
    blur = window.canvas.add_node("image.blur", (300, 0))
    window.canvas.fit()
    qtbot.waitUntil(lambda: len(minimap._cached) == 2, timeout=3_000)
    old = window.canvas.node(blur).view.sceneBoundingRect()
    grab = node_point(window, blur)
    drag(viewport(window), grab, grab + QtCore.QPoint(0, 120))
    moved = window.canvas.node(blur).view.sceneBoundingRect()
    assert moved.top() > old.top() + 50
    qtbot.waitUntil(lambda: any(rect == moved for rect, _ in minimap._cached), timeout=3_000)


def test_view_minimap_hides_it_and_the_choice_is_remembered(real_window, qtbot, registry, executor, tmp_path):
    window = real_window
    assert window.minimap_action.isChecked() and window.minimap.isVisible()
    window.menuBar().actions()  # the action lives in the View menu
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.minimap_action in view_menu.actions()
    window.minimap_action.trigger()
    assert not window.minimap.isVisible()
    assert window.close()
    again = MainWindow(registry, executor, config_dir=tmp_path / "config", prompter=StubPrompter())
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert not again.minimap_action.isChecked() and not again.minimap.isVisible()
    again.minimap_action.trigger()
    assert again.minimap.isVisible()
    assert again.close()
