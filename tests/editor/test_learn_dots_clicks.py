"""Dots for count.learn_density are clicked on its preview, as SAM 2 prompts are: each click
re-runs the learner and what follows it, and nothing else."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("NodeGraphQt")

from PySide6 import QtCore  # noqa: E402

from .conftest import REPO, redirect_outputs, run_and_wait  # noqa: E402


def test_a_shift_click_on_the_learner_preview_adds_a_background_dot_and_retrains_only_it(window, qtbot, tmp_path):
    assert window.open_file(REPO / "graphs" / "count_from_dots.yaml")
    redirect_outputs(window.document, tmp_path / "out")
    run_and_wait(window, qtbot, timeout=120_000)
    window.canvas.select(["learn"])
    view = window.preview.image
    qtbot.waitUntil(lambda: view.image_shape is not None, timeout=10_000)
    assert view.image_shape[:2] == (256, 256)  # the image the dots belong to: the learner's input
    pos = view.mapFromScene(QtCore.QPointF(4, 4))  # a corner: the scenes keep objects off the border
    with qtbot.waitSignal(window.controller.run_finished, timeout=120_000):
        qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, QtCore.Qt.ShiftModifier, pos)
    points = window.document.graph.params("learn")["points"]
    assert len(points) == 1 and points[0][2] == 0
    executed = window.controller.states.executed
    assert {"learn", "apply"} <= set(executed) and "train" not in executed and "scene" not in executed
