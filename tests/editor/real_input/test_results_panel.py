"""The results panel after a run started with F5 on the canvas, and a click on one of its rows."""

from __future__ import annotations

from PySide6 import QtCore

from .conftest import click, key, viewport


def press_f5_and_wait(window, qtbot):
    with qtbot.waitSignal(window.controller.run_finished, timeout=60_000) as blocker:
        key(viewport(window), QtCore.Qt.Key_F5)
    return blocker.args[0]


def row_point(panel, ref: str) -> QtCore.QPoint:
    return panel.visualItemRect(panel.item(panel.row_of(ref), 1)).center()


def test_after_f5_the_declared_outputs_come_first_in_bold_then_what_the_sinks_wrote(quickstart, qtbot):
    panel = quickstart.results
    assert "coins.count" not in panel.values()
    result = press_f5_and_wait(quickstart, qtbot)
    assert result.status == "ok"
    shown = panel.values()
    assert list(shown)[0] == "coins.count"
    assert shown["coins.count"] == str(result.outputs["coins.count"].value) == "24"
    assert panel.item(0, 0).font().bold()
    assert shown["save.path"].startswith("wrote ") and shown["save.path"].endswith("coins_overlay.png")
    assert not panel.item(panel.row_of("save.path"), 0).font().bold()


def test_clicking_a_row_selects_its_node_and_shows_its_preview(quickstart, qtbot):
    press_f5_and_wait(quickstart, qtbot)
    panel = quickstart.results
    click(panel.viewport(), row_point(panel, "coins.count"))
    assert quickstart.canvas.selected_ids() == ["coins"]
    qtbot.waitUntil(lambda: "coins" in quickstart.preview.title.text() and bool(quickstart.preview.values))
    assert "count" in quickstart.preview.values
    assert quickstart.preview.output.currentText() == "count"  # the row's output, not the first one


def test_a_new_run_replaces_the_values_and_an_output_not_reached_says_why(quickstart, qtbot):
    press_f5_and_wait(quickstart, qtbot)
    quickstart.document.set_param("coins", "min_area", 100_000)  # bigger than any coin
    press_f5_and_wait(quickstart, qtbot)
    assert quickstart.results.values()["coins.count"] == "0"
    quickstart.document.set_param("load", "path", "missing.png")
    result = press_f5_and_wait(quickstart, qtbot)
    assert result.status == "failed"
    reason = quickstart.results.values()["coins.count"]
    assert reason.startswith("(skipped") and "load" in reason
