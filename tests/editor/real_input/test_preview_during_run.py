"""Bug 5: the preview follows a run as each node's result arrives, and its title is always the
selected node's, even while a slow node is still running."""

from __future__ import annotations

from PySide6 import QtCore

from .conftest import click, key, node_point, viewport


def test_the_preview_shows_results_during_a_run_and_always_names_the_selected_node(real_window, qtbot):
    window = real_window
    document = window.document
    seven = document.add_node("testkit.constant", (0, 0), node_id="seven", params={"value": 7.0})
    nine = document.add_node("testkit.constant", (0, 200), node_id="nine", params={"value": 9.0})
    slow = document.add_node("testkit.slow", (300, 0), node_id="slow", params={"seconds": 30.0})
    document.connect(f"{seven}.value", f"{slow}.x")
    window.canvas.fit()
    click(viewport(window), node_point(window, seven))
    assert window.canvas.selected_ids() == [seven]
    try:
        key(viewport(window), QtCore.Qt.Key_F5)
        qtbot.waitUntil(lambda: window.controller.states.get(slow).status == "running", timeout=10_000)
        qtbot.waitUntil(lambda: "7" in str(window.preview.values.get("value", "")), timeout=10_000)
        assert window.controller.running  # shown before the run is over
        assert "seven" in window.preview.title.text()

        click(viewport(window), node_point(window, nine))
        assert "nine" in window.preview.title.text()  # at once, not the last node's title
        assert "seven" not in window.preview.title.text()
        qtbot.waitUntil(lambda: "9" in str(window.preview.values.get("value", "")), timeout=10_000)
        assert window.controller.running
    finally:
        window.stop()
        window.controller.wait(10_000)
