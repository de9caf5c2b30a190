"""Subgraphs in the editor, driven with key and mouse events on the canvas.

The acceptance path: make a subgraph from three nodes of graphs/quickstart.yaml (Ctrl+Shift+G),
use it twice in a new graph, get the same outputs in the editor and from ``thyra run``, change
one inner param of one instance and see only that instance's dependants re-run; Tab enters a
subgraph, Back saves its file and every instance runs the edited version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6 import QtCore  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from .conftest import REPO, StubPrompter, run_and_wait  # noqa: E402
from thyra_graph.engine.executor import Executor  # noqa: E402
from thyra_graph.engine.diskcache import DiskCache  # noqa: E402
from thyra_graph.engine.subgraph import SubgraphSpec  # noqa: E402
from thyra_graph.nodes.discovery import discover  # noqa: E402

ENV_KEYS = ("THYRA_LIBRARY", "XDG_DATA_HOME", "THYRA_CACHE_DIR")


@pytest.fixture
def library(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    monkeypatch.setenv("THYRA_LIBRARY", str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    return folder


@pytest.fixture
def sub_window(qtbot, library, tmp_path):
    """A window on its own registry (subgraphs made here must not leak into other tests)."""
    from thyra_graph.editor.main_window import MainWindow

    registry = discover(entry_points=False, plugin_path=[], user_plugins=False)
    win = MainWindow(registry, Executor(disk=DiskCache(tmp_path / "cache")), config_dir=tmp_path / "config",
                     prompter=StubPrompter())
    qtbot.addWidget(win)
    win.show()
    # On a real X display (the editor suite's xcb) shortcuts reach only the active window.
    win.activateWindow()
    qtbot.waitExposed(win)
    qtbot.waitUntil(win.isActiveWindow, timeout=5_000)
    yield win
    win.controller.stop()
    win.controller.wait(10_000)
    win.document.undo_stack.mark_clean()


@pytest.fixture
def quickstart(tmp_path) -> Path:
    (tmp_path / "graphs").mkdir()
    shutil.copy(REPO / "graphs" / "quickstart.yaml", tmp_path / "graphs")
    (tmp_path / "thyra_graph" / "samples").mkdir(parents=True)
    shutil.copy(REPO / "thyra_graph" / "samples" / "coins.png", tmp_path / "thyra_graph" / "samples")
    return tmp_path / "graphs" / "quickstart.yaml"


def viewport(window):
    return window.canvas.view.viewer().viewport()


def make_from_keys(window, ids: list[str], name: str) -> str:
    window.canvas.select(ids)
    window.prompter.text_answer = name
    window.canvas.view.viewer().setFocus()
    QTest.keyClick(viewport(window), QtCore.Qt.Key_G, QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    made = [n for n in window.document.graph.nodes if n not in ids and n.startswith(name)]
    assert made, window.prompter.errors
    return made[0]


def test_make_subgraph_from_three_quickstart_nodes_with_ctrl_shift_g(sub_window, qtbot, quickstart, library):
    window = sub_window
    window.open_file(quickstart)
    before = run_and_wait(window, qtbot, ["coins.count"]).outputs["coins.count"].value
    instance = make_from_keys(window, ["gray", "blur", "threshold"], "coin_mask")

    graph = window.document.graph
    assert not {"gray", "blur", "threshold"} & set(graph.nodes)
    assert graph.nodes[instance].type_id == "subgraph.coin_mask"
    assert graph.nodes[instance].inputs == {"image": ("load", "image")}
    assert graph.nodes["open"].inputs == {"mask": (instance, "mask")}
    assert (library / "coin_mask.yaml").is_file()
    assert window.palette.item_for("subgraph.coin_mask") is not None
    assert window.canvas.node(instance).get_output("mask") is not None
    assert run_and_wait(window, qtbot, ["coins.count"]).outputs["coins.count"].value == before

    window.undo()  # one step puts the three nodes back
    assert {"gray", "blur", "threshold"} <= set(graph.nodes) and instance not in graph.nodes
    assert graph.nodes["blur"].inputs == {"image": ("gray", "image")}
    assert graph.nodes["open"].inputs == {"mask": ("threshold", "mask")}
    assert len(window.canvas.node("open").input(0).connected_ports()) == 1


def build_twice(window, tmp_path) -> Path:
    """A new graph using subgraph.coin_mask twice, saved beside the test's files."""
    window.new_document()
    document = window.document
    coins = (tmp_path / "thyra_graph" / "samples" / "coins.png").as_posix()
    document.add_node("io.load_image", (0, 0), node_id="load", params={"path": coins})
    for i, name in enumerate(("a", "b")):
        document.add_node("subgraph.coin_mask", (300, 200 * i), node_id=f"mask_{name}")
        document.add_node("image.contours", (600, 200 * i), node_id=f"count_{name}", params={"min_area": 300})
        document.connect("load.image", f"mask_{name}.image")
        document.connect(f"mask_{name}.mask", f"count_{name}.mask")
    document.graph.outputs = ["count_a.count", "count_b.count"]
    path = tmp_path / "graphs" / "twice.yaml"
    assert window.save_as(path)
    return path


def test_a_subgraph_used_twice_runs_alike_in_the_editor_and_headless_and_caches_per_instance(
        sub_window, qtbot, quickstart, library, tmp_path):
    window = sub_window
    window.open_file(quickstart)
    make_from_keys(window, ["gray", "blur", "threshold"], "coin_mask")
    assert window.save()
    path = build_twice(window, tmp_path)

    result = run_and_wait(window, qtbot)
    assert result.ok
    counts = {ref: result.outputs[ref].value for ref in ("count_a.count", "count_b.count")}
    assert counts["count_a.count"] > 10
    env = {**os.environ, "PYTHONPATH": str(REPO), "THYRA_CACHE_DIR": str(tmp_path / "other-cache")}
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "run", str(path), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    headless = json.loads(done.stdout)["outputs"]
    assert {ref: headless[ref] for ref in counts} == counts

    window.canvas.select(["mask_a"])
    window.properties.editor("blur_sigma").field.setValue(3.0)  # one inner param of one instance
    result = run_and_wait(window, qtbot)
    executed = {n for n, r in result.nodes.items() if r.status == "executed"}
    assert executed == {"mask_a/blur", "mask_a/threshold", "count_a"}
    assert window.controller.states.get("mask_a").status == "done"
    assert window.controller.states.get("mask_b").status == "cached"


def test_tab_enters_a_subgraph_and_back_saves_it_for_every_instance(sub_window, qtbot, quickstart, library, tmp_path):
    window = sub_window
    window.open_file(quickstart)
    instance = make_from_keys(window, ["gray", "blur", "threshold"], "coin_mask")
    window.canvas.select([instance])
    QTest.keyClick(viewport(window), QtCore.Qt.Key_Tab)
    assert window.document.path == library / "coin_mask.yaml"
    assert window.subgraphs.breadcrumb.isVisible()
    assert window.subgraphs.breadcrumb.label.text() == "quickstart.yaml  ›  coin_mask.yaml"
    assert set(window.document.graph.nodes) == {"gray", "blur", "threshold"}

    window.document.set_param("blur", "sigma", 4.0)
    QTest.keyClick(viewport(window), QtCore.Qt.Key_Up, QtCore.Qt.AltModifier)
    assert window.document.path == quickstart and instance in window.document.graph.nodes
    assert not window.subgraphs.breadcrumb.isVisible()
    assert "sigma: 4.0" in (library / "coin_mask.yaml").read_text()
    spec = window.registry["subgraph.coin_mask"]
    assert isinstance(spec, SubgraphSpec) and spec.param("blur_sigma").default == 4.0


def test_double_click_on_a_subgraph_node_enters_it(sub_window, qtbot, quickstart, library):
    window = sub_window
    window.open_file(quickstart)
    instance = make_from_keys(window, ["gray", "blur", "threshold"], "coin_mask")
    view = window.canvas.view.viewer()
    center = window.canvas.node(instance).view.sceneBoundingRect().center()
    QTest.mouseDClick(viewport(window), QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, view.mapFromScene(center))
    assert window.document.path == library / "coin_mask.yaml"


def test_a_name_in_use_is_refused_with_the_reason(sub_window, quickstart, library):
    window = sub_window
    window.open_file(quickstart)
    make_from_keys(window, ["gray"], "coin_mask")
    window.canvas.select(["blur"])
    window.prompter.text_answer = "coin_mask"
    assert window.subgraphs.make() is None
    assert "exists already" in window.prompter.errors[-1][1]
    assert "blur" in window.document.graph.nodes
