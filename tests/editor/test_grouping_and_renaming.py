"""Backdrops, renaming node ids, field animations and untitled recovery in the editor
window, through the calls and signals its widgets use."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from thyra_graph.engine.yamlfile import parse_yaml

pytest.importorskip("PySide6")
pytest.importorskip("NodeGraphQt")

from thyra_graph.editor.main_window import MainWindow  # noqa: E402

from .conftest import COINS, REPO, StubPrompter  # noqa: E402

QUICKSTART = REPO / "graphs" / "quickstart.yaml"


@pytest.fixture
def quickstart(window, tmp_path):
    path = tmp_path / "g.yaml"
    # Its outputs go into tmp_path/out/: a graph may write only under its own folder (and the current one).
    path.write_text(QUICKSTART.read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix())
                    .replace("../out/", "out/"))
    assert window.open_file(path)
    return path


# -- backdrops -------------------------------------------------------------------------------
def test_ctrl_g_groups_the_selected_nodes_in_a_backdrop_that_undo_removes(window, quickstart):
    window.canvas.select(["gray", "blur"])
    window.group_selected()

    [backdrop] = window.document.backdrops
    assert backdrop["nodes"] == ["gray", "blur"] and backdrop["title"] == "Group"
    drawn = window.canvas.backdrop(0)
    assert sorted(n.thyra_id for n in drawn.nodes()) == ["blur", "gray"]  # it really surrounds them
    window.undo()
    assert window.document.backdrops == []
    assert window.canvas.selected_backdrops() == [] and not window.canvas._backdrops


def test_dragging_a_backdrop_moves_its_nodes_in_one_undo_step(window, quickstart):
    window.canvas.select(["gray", "blur"])
    window.group_selected()
    before = {n: window.document.position(n) for n in ("gray", "blur", "load")}
    drawn = window.canvas.backdrop(0)
    x, y = drawn.pos()

    # What NodeGraphQt does on a drag: the backdrop and the nodes on it move, then it reports them.
    drawn.set_pos(x + 100, y + 50)
    for node_id in ("gray", "blur"):
        node = window.canvas.node(node_id)
        node.set_pos(before[node_id][0] + 100, before[node_id][1] + 50)
    views = [drawn.view, window.canvas.node("gray").view, window.canvas.node("blur").view]
    window.canvas.view.viewer().moved_nodes.emit({v: (0, 0) for v in views})

    assert window.document.position("gray") == (before["gray"][0] + 100, before["gray"][1] + 50)
    assert window.document.position("load") == before["load"]
    assert (window.document.backdrops[0]["x"], window.document.backdrops[0]["y"]) == (x + 100, y + 50)
    window.undo()
    assert {n: window.document.position(n) for n in before} == before
    assert window.canvas.backdrop(0).pos() == [x, y]


def test_move_backdrop_moves_the_nodes_it_groups(window, quickstart):
    window.canvas.select(["blur"])
    window.group_selected()
    bx, by = window.document.position("blur")
    window.document.move_backdrop(0, 30, -20)
    assert window.document.position("blur") == (bx + 30, by - 20)
    assert window.canvas.node("blur").pos() == [bx + 30, by - 20]


def test_a_backdrop_title_is_edited_with_f2_and_deleted_with_delete(window, quickstart):
    window.canvas.select(["blur"])
    window.group_selected()
    window.canvas.select([])
    window.canvas.backdrop(0).set_selected(True)
    window.prompter.text_answer = "Denoise"
    window.rename_selected()
    assert window.document.backdrops[0]["title"] == "Denoise"
    assert window.canvas.backdrop(0).name() == "Denoise"

    window.canvas.backdrop(0).set_selected(True)
    window.delete_selected()
    assert window.document.backdrops == [] and "blur" in window.document.graph.nodes
    window.undo()
    assert window.document.backdrops[0]["title"] == "Denoise"


def test_a_title_typed_on_the_canvas_goes_to_the_document(window, quickstart, qtbot):
    window.canvas.select(["blur"])
    window.group_selected()
    drawn = window.canvas.backdrop(0)
    window.canvas.view.viewer().node_name_changed.emit(drawn.id, "Smoothing")
    qtbot.waitUntil(lambda: window.document.backdrops[0]["title"] == "Smoothing")


def test_backdrops_are_saved_under_ui_reopen_and_do_not_change_a_headless_run(window, quickstart, tmp_path, registry, executor, qtbot):
    window.canvas.select(["gray", "blur"])
    window.group_selected()
    window.document.set_backdrop_title(0, "Preprocess")
    saved = tmp_path / "grouped.yaml"
    assert window.save_as(saved)

    data = parse_yaml(saved.read_text()).data
    [backdrop] = data["ui"]["backdrops"]
    assert backdrop["title"] == "Preprocess" and backdrop["nodes"] == ["gray", "blur"]
    assert set(backdrop) == {"title", "x", "y", "width", "height", "nodes"}

    other = MainWindow(registry, executor, config_dir=tmp_path / "config2", prompter=StubPrompter())
    qtbot.addWidget(other)
    assert other.open_file(saved)
    assert other.document.backdrops == window.document.backdrops
    assert other.canvas.backdrop(0).name() == "Preprocess"
    assert not other.document.modified

    out = tmp_path / "headless"
    run = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "run", str(saved), "--json"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "THYRA_CACHE_DIR": str(out)})
    assert run.returncode == 0, run.stderr


# -- renaming node ids -----------------------------------------------------------------------
def test_renaming_a_node_on_the_canvas_renames_it_everywhere_and_undoes(window, quickstart, qtbot):
    window.canvas.select(["gray", "blur"])
    window.group_selected()
    position = window.document.position("blur")
    window.canvas.view.viewer().node_name_changed.emit(window.canvas.node("blur").id, "smooth")
    qtbot.waitUntil(lambda: "smooth" in window.document.graph.nodes)

    graph = window.document.graph
    assert "blur" not in graph.nodes
    assert graph.nodes["threshold"].inputs["image"] == ("smooth", "image")
    assert window.document.position("smooth") == position
    assert window.document.backdrops[0]["nodes"] == ["gray", "smooth"]
    pipe = window.canvas.node("threshold").inputs()["image"].connected_ports()
    assert [p.node().thyra_id for p in pipe] == ["smooth"]
    assert window.canvas.selected_ids() == ["smooth"]

    window.undo()
    assert "blur" in graph.nodes and graph.nodes["threshold"].inputs["image"] == ("blur", "image")
    assert window.document.backdrops[0]["nodes"] == ["gray", "blur"]
    assert window.canvas.node("blur").name() == "blur"


@pytest.mark.parametrize("bad, reason", [("gray", "exists already"), ("two words", "must start with a letter")])
def test_a_taken_or_invalid_id_is_refused_in_the_status_bar(window, quickstart, bad, reason):
    window.canvas.select(["blur"])
    window.prompter.text_answer = bad
    window.rename_selected()
    assert "blur" in window.document.graph.nodes
    assert reason in window.statusBar().currentMessage()
    assert window.canvas.node("blur").name() == "blur"
    assert not window.document.modified


# -- field animation -------------------------------------------------------------------------
def wave_sequence(tmp_path, frames: int = 6):
    from thyra_graph.engine.chunks import FieldSequenceWriter

    with FieldSequenceWriter(tmp_path / "seq", (8, 10), ["height"], dx=1.0, dy=1.0, chunk_bytes=8 * 10 * 4 * 2) as writer:
        for i in range(frames):
            writer.append(0.1 * i, i, {"height": np.full((8, 10), float(i), np.float32)})
        return writer.finish()


def test_a_field_sequence_gets_a_slider_and_play_that_read_one_snapshot_at_a_time(window, tmp_path, qtbot, monkeypatch):
    sequence = wave_sequence(tmp_path)
    read: list[int] = []
    original = type(sequence).at
    monkeypatch.setattr(type(sequence), "at", lambda self, i, names=None: read.append(i) or original(self, i, names))
    monkeypatch.setattr(type(sequence), "fields", lambda *a, **k: pytest.fail("the preview read the whole sequence"))
    panel = window.preview
    from thyra_graph.editor.previews import Background

    panel.show_values("seq", {"snapshots": sequence}, Background())
    assert not panel.slider.isHidden() and panel.slider.maximum() == 5
    assert not panel.play.isHidden()
    assert read == [0]  # opening shows the first snapshot only
    assert "snapshot 1/6" in panel.caption.text()

    panel.slider.setValue(3)
    qtbot.waitUntil(lambda: "snapshot 4/6" in panel.caption.text())
    assert read[-1] == 3

    panel.play.click()
    assert panel.play.text() == "Pause"
    qtbot.waitUntil(lambda: panel.slider.value() == 5, timeout=3000)
    panel.play.click()
    assert panel.play.text() == "Play"
    assert panel.image.image_shape == (8, 10)


def test_other_previews_get_no_play_button(window):
    from thyra_graph.editor.previews import Background
    from thyra_graph.types import Number

    window.preview.show_values("n", {"value": Number(3.0)}, Background())
    assert window.preview.play.isHidden()


# -- untitled recovery -----------------------------------------------------------------------
def test_an_autosaved_untitled_graph_is_offered_back_at_startup(window, registry, executor, tmp_path, qtbot):
    window.document.add_node("image.blur", (10, 20))
    assert window.autosave() == window.recovery.file_for(None)

    prompter = StubPrompter()
    other = MainWindow(registry, executor, config_dir=tmp_path / "config", prompter=prompter)
    qtbot.addWidget(other)
    assert other.offer_untitled_recovery()
    assert prompter.asked == ["restore untitled.recovery.yaml"]
    assert "blur" in other.document.graph.nodes and other.document.path is None
    assert other.document.modified and other.document.position("blur") == (10.0, 20.0)
    other.document.undo_stack.mark_clean()
    window.document.undo_stack.mark_clean()


def test_declining_the_untitled_autosave_deletes_it(window, registry, executor, tmp_path, qtbot):
    window.document.add_node("image.blur")
    window.autosave()
    prompter = StubPrompter()
    prompter.restore_answer = False
    other = MainWindow(registry, executor, config_dir=tmp_path / "config", prompter=prompter)
    qtbot.addWidget(other)
    assert not other.offer_untitled_recovery()
    assert not other.document.graph.nodes
    assert window.recovery.pending(None) is None
    window.document.undo_stack.mark_clean()
