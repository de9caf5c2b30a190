"""The editor window end to end under Qt's offscreen platform, through the same calls and
signals its widgets use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("NodeGraphQt")

from PySide6 import QtCore  # noqa: E402

from thyra_graph.editor.run_states import CACHED, CANCELLED, DONE, RUNNING  # noqa: E402

from .conftest import COINS, GRAPHS, REPO, redirect_outputs, run_and_wait  # noqa: E402

QUICKSTART = REPO / "graphs" / "quickstart.yaml"


def open_quickstart(window, tmp_path):
    assert window.open_file(QUICKSTART)
    redirect_outputs(window.document, tmp_path / "out")


@pytest.mark.parametrize("path", GRAPHS, ids=[p.name for p in GRAPHS])
def test_every_example_graph_opens_and_runs_with_every_node_done(window, qtbot, tmp_path, path, use_tiny_models, local_chat_server):
    assert window.open_file(path)
    redirect_outputs(window.document, tmp_path / "out")
    result = run_and_wait(window, qtbot, timeout=120_000)  # whole example graphs: slow on a loaded 2-core CI machine
    assert result.status == "ok", {n: r.error for n, r in result.nodes.items() if r.error}
    states = window.controller.states
    assert {n: states.get(n).status for n in window.document.graph.nodes} == {n: DONE for n in window.document.graph.nodes}
    assert all(window.canvas.badge(n).text.startswith("done") for n in window.document.graph.nodes)


def test_nodes_and_links_made_through_the_canvas_api_appear_as_pipes(window, qtbot):
    load = window.canvas.add_node("io.load_image", (0, 0))
    blur = window.canvas.add_node("image.blur", (260, 0))
    window.document.connect(f"{load}.image", f"{blur}.image")
    port = window.canvas.node(blur).inputs()["image"]
    assert [p.node().thyra_id for p in port.connected_ports()] == [load]
    assert window.canvas.selected_ids() == [blur]
    window.undo()
    assert port.connected_ports() == []


def test_a_palette_drop_and_the_tab_search_create_nodes(window, qtbot):
    mime = QtCore.QMimeData()
    mime.setText("thyra-node:image.blur")
    window.canvas._on_drop(mime, QtCore.QPoint(100, 50))
    assert window.document.position("blur") == (100.0, 50.0)
    window.open_search()
    qtbot.keyClicks(window.search.line, "thresh")
    qtbot.keyClick(window.search.line, QtCore.Qt.Key_Return)
    assert "threshold" in window.document.graph.nodes
    assert window.palette.item_for("editortest.click_mask") is not None  # plugin nodes listed


def test_an_illegal_pipe_is_refused_with_both_types_in_the_status_bar(window, tmp_path):
    open_quickstart(window, tmp_path)
    mask_out = window.canvas.node("threshold").outputs()["mask"]
    image_in = window.canvas.node("gray").inputs()["image"]
    window.canvas.view.viewer().connection_changed.emit([], [(mask_out.view, image_in.view)])
    message = window.statusBar().currentMessage()
    assert "Mask" in message and "Image" in message
    assert [p.node().thyra_id for p in image_in.connected_ports()] == ["load"]


def test_a_pipe_that_would_make_a_cycle_is_refused(window, tmp_path):
    open_quickstart(window, tmp_path)
    extra = window.canvas.add_node("image.blur")
    window.document.connect("blur.image", f"{extra}.image")
    out = window.canvas.node(extra).outputs()["image"]
    into = window.canvas.node("gray").inputs()["image"]
    window.canvas.view.viewer().connection_changed.emit([], [(out.view, into.view)])
    assert "cycle" in window.statusBar().currentMessage()
    assert [p.node().thyra_id for p in into.connected_ports()] == ["load"]


def test_editing_a_parameter_widget_reruns_only_the_descendants(window, qtbot, tmp_path):
    open_quickstart(window, tmp_path)
    run_and_wait(window, qtbot)
    window.canvas.select(["blur"])
    field = window.properties.editor("sigma").field
    with qtbot.waitSignal(window.controller.run_finished, timeout=30_000):
        field.setValue(3.0)  # what the spin box does on Enter
    assert window.document.graph.params("blur")["sigma"] == 3.0
    states = window.controller.states
    assert set(states.executed) == {"blur"} | window.document.descendants("blur")
    assert states.get("load").status == CACHED and states.get("gray").status == CACHED


def test_an_invalid_value_is_highlighted_with_the_reason(window, tmp_path):
    open_quickstart(window, tmp_path)
    window.canvas.select(["coins"])
    editor = window.properties.editor("max_area")  # optional: a text field
    editor.field.setText("-5")
    editor.field.editingFinished.emit()
    assert editor.has_error and "out of range" in editor.error.text()
    assert window.document.graph.params("coins")["max_area"] is None


def test_a_saved_graph_runs_headless_with_the_same_results(window, qtbot, tmp_path):
    open_quickstart(window, tmp_path)
    window.canvas.select(["blur"])
    window.properties.editor("sigma").field.setValue(2.5)
    editor_result = run_and_wait(window, qtbot)
    saved = tmp_path / "saved" / "coins.yaml"
    assert window.save_as(saved) and not window.document.modified
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "run", str(saved), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**__import__("os").environ, "THYRA_CACHE_DIR": str(tmp_path / "other-cache")})
    assert done.returncode == 0, done.stderr
    headless = json.loads(done.stdout)
    assert headless["outputs"]["coins.count"] == editor_result.outputs["coins.count"].value
    assert "positions" in saved.read_text()


def test_clicking_the_preview_prompts_the_node_and_reruns_it(window, qtbot):
    document = window.document
    load = document.add_node("io.load_image", (0, 0), params={"path": str(COINS)})
    click = document.add_node("editortest.click_mask", (260, 0))
    document.connect(f"{load}.image", f"{click}.image")
    run_and_wait(window, qtbot)
    window.canvas.select([click])
    view = window.preview.image
    qtbot.waitUntil(lambda: view.image_shape is not None, timeout=10_000)

    def click_at(x, y, modifier=QtCore.Qt.NoModifier):
        pos = view.mapFromScene(QtCore.QPointF(x, y))
        with qtbot.waitSignal(window.controller.run_finished, timeout=30_000):
            qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, modifier, pos)

    click_at(120, 100)
    points = document.graph.params(click)["points"]
    assert len(points) == 1 and points[0][2] == 1 and abs(points[0][0] - 120) < 3 and abs(points[0][1] - 100) < 3
    assert click in window.controller.states.executed
    assert window.controller.last_result.outputs[f"{click}.mask"].data[100, 120]
    click_at(200, 150, QtCore.Qt.ShiftModifier)
    assert document.graph.params(click)["points"][1][2] == 0
    click_at(points[0][0], points[0][1])  # on the first point: removes it
    assert [p[2] for p in document.graph.params(click)["points"]] == [0]


def test_a_malformed_file_opens_its_valid_part_and_lists_the_problems(window, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"""thyra: 1
nodes:
  load: {{type: io.load_image, params: {{path: {COINS.as_posix()}}}}}
  blur: {{type: image.blurr, inputs: {{image: load.image}}}}
  gray: {{type: image.to_gray, inputs: {{image: load.mask}}}}
""")
    assert window.open_file(bad)
    assert "load" in window.document.graph.nodes and "blur" not in window.document.graph.nodes
    problems = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any("image.blurr" in p for p in problems) and any("mask" in p for p in problems)
    assert window.isVisible()
    (tmp_path / "garbage.yaml").write_text("- just\n- a list\n")
    assert not window.open_file(tmp_path / "garbage.yaml")
    assert window.prompter.errors and window.isVisible()
    assert "load" in window.document.graph.nodes  # the open document stays


def test_stop_cancels_a_long_run_promptly(window, qtbot):
    document = window.document
    document.add_node("testkit.constant", node_id="x")
    document.add_node("testkit.slow", node_id="slow", params={"seconds": 60.0})
    document.connect("x.value", "slow.x")
    window.run()
    qtbot.waitUntil(lambda: window.controller.states.get("slow").status == RUNNING, timeout=10_000)
    with qtbot.waitSignal(window.controller.run_finished, timeout=5000) as finished:
        window.stop()
    assert finished.args[0].status == "cancelled"
    assert window.controller.states.get("slow").status == CANCELLED  # stopped, not held back by a failure
    assert window.controller.states.get("slow").badge == "cancelled"
    assert window.isVisible()


def test_unsaved_changes_are_asked_about_and_autosaved_work_is_offered_back(window, tmp_path, registry, executor, qtbot):
    path = tmp_path / "g.yaml"
    QUICKSTART_TEXT = QUICKSTART.read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix())
    path.write_text(QUICKSTART_TEXT)
    assert window.open_file(path)
    window.document.set_param("blur", "sigma", 4.0)
    window.prompter.save_answer = "cancel"
    window.new_document()
    assert window.document.path == path  # cancelled: still the same document
    assert window.autosave() is not None

    from thyra_graph.editor.main_window import MainWindow

    from .conftest import StubPrompter

    other = MainWindow(registry, executor, config_dir=tmp_path / "config", prompter=StubPrompter())
    qtbot.addWidget(other)
    assert other.open_file(path)
    assert other.prompter.asked == ["restore " + window.recovery.file_for(path).name]
    assert other.document.graph.params("blur")["sigma"] == 4.0 and other.document.modified
    other.document.undo_stack.mark_clean()
    window.prompter.save_answer = "discard"


def test_undo_brings_the_old_value_back_into_the_widget(window, tmp_path):
    open_quickstart(window, tmp_path)
    window.canvas.select(["blur"])
    window.properties.editor("sigma").field.setValue(3.0)
    window.undo()
    assert window.properties.editor("sigma").field.value() == 2.0
    assert window.document.graph.params("blur")["sigma"] == 2.0


def test_free_model_memory_empties_the_resource_cache_and_says_so(window):
    resources = window.controller.executor.resources
    resources.get(("model", "a"), lambda: object(), nbytes=10)
    resources.get(("model", "b"), lambda: object(), nbytes=10)
    assert window.free_models() == 2
    assert resources.keys() == []
    assert "freed 2 loaded models" in window.statusBar().currentMessage()


def test_clicking_the_preview_of_sam2_points_adds_a_click_and_runs_sam2(window, qtbot, tmp_path, use_tiny_models):
    assert window.open_file(REPO / "graphs" / "segment_clicks.yaml")
    redirect_outputs(window.document, tmp_path / "out")
    run_and_wait(window, qtbot)
    window.canvas.select(["sam"])
    view = window.preview.image
    qtbot.waitUntil(lambda: view.image_shape is not None, timeout=10_000)
    before = len(window.document.graph.params("sam")["clicks"])
    pos = view.mapFromScene(QtCore.QPointF(250, 200))
    with qtbot.waitSignal(window.controller.run_finished, timeout=60_000):
        qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, pos)
    clicks = window.document.graph.params("sam")["clicks"]
    assert len(clicks) == before + 1 and clicks[-1][2] == 1
    assert "sam" in window.controller.states.executed
    assert len(window.controller.last_result.outputs["sam.instances"]) == before + 1  # object_per: point


def test_a_parameter_edited_in_its_widget_saves_as_a_one_line_diff_of_the_hand_written_file(window, tmp_path):
    source = QUICKSTART.read_text(encoding="utf-8")
    path = tmp_path / "graphs" / "quickstart.yaml"  # the same depth: relative paths still hold
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    assert window.open_file(path)
    window.canvas.select(["blur"])
    window.properties.editor("sigma").field.setValue(2.5)

    assert window.save() and not window.document.modified

    import difflib
    diff = [line for line in difflib.unified_diff(source.splitlines(), path.read_text(encoding="utf-8").splitlines(),
                                                  lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert diff == [
        "-  blur:      {type: image.blur, inputs: {image: gray.image}, params: {sigma: 2.0}}",
        "+  blur: {type: image.blur, inputs: {image: gray.image}, params: {sigma: 2.5}}",
    ]
