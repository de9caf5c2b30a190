"""Saving a graph file that was loaded edits that file: a person's comments, blank lines,
quoting and layout survive, and one change in the graph is one changed line in ``git diff``."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.graphfile import load_graph_file, save_graph
from thyra_graph.engine.registry import Registry

REPO = Path(__file__).resolve().parents[2]
GRAPHS = sorted((REPO / "graphs").glob("*.yaml"))

HAND_WRITTEN = """\
# Count the coins. Tuned by hand: see the notes on each node.
thyra: 1
name: "coins, by hand"
description: 'Find the coins.'

nodes:
  # the sample that ships with Thyra
  load:      {type: io.load_image, params: {path: "../samples/coins.png"}}
  gray:      {type: image.to_gray, inputs: {image: load.image}}

  blur:
    type: image.blur
    inputs:
      image: gray.image
    params:
      sigma: 2.0   # px; 3 merges touching coins

  threshold:
    type: image.threshold
    inputs: {image: blur.image}
    params: {method: adaptive, block_size: 101, offset: 15}
outputs: [threshold.mask]   # what `thyra run` prints
ui:
  positions:
    load: [0, 0]
    gray: [240, 0]
    blur: [480, 0]
    threshold: [720, 0]
"""


@pytest.fixture(scope="module")
def builtins() -> Registry:
    return default_registry()


@pytest.fixture
def graph_file(tmp_path) -> Path:
    path = tmp_path / "graphs" / "coins.yaml"
    path.parent.mkdir()
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return path


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def load(path: Path, registry: Registry) -> Graph:
    result = load_graph_file(path, registry)
    assert result.ok, result.diagnostics
    return result.graph


def saved_diff(path: Path, graph: Graph) -> list[str]:
    before = path.read_text(encoding="utf-8")
    save_graph(graph, path)
    return changed_lines(before, path.read_text(encoding="utf-8"))


def test_changing_one_param_changes_one_line_and_keeps_everything_else(graph_file, builtins):
    graph = load(graph_file, builtins)
    graph.set_param("blur", "sigma", 3.0)

    assert saved_diff(graph_file, graph) == [
        "-      sigma: 2.0   # px; 3 merges touching coins",
        "+      sigma: 3.0   # px; 3 merges touching coins",
    ]
    assert load(graph_file, builtins).params("blur")["sigma"] == 3.0


def test_changing_a_param_of_a_hand_aligned_flow_node_changes_that_line_only(graph_file, builtins):
    graph = load(graph_file, builtins)
    graph.set_param("load", "path", "../samples/other.png")

    assert saved_diff(graph_file, graph) == [
        '-  load:      {type: io.load_image, params: {path: "../samples/coins.png"}}',
        '+  load: {type: io.load_image, params: {path: "../samples/other.png"}}',
    ]


def test_saving_an_unedited_file_writes_the_same_bytes(graph_file, builtins):
    assert saved_diff(graph_file, load(graph_file, builtins)) == []
    assert graph_file.read_text(encoding="utf-8") == HAND_WRITTEN


@pytest.mark.parametrize("path", GRAPHS, ids=[p.name for p in GRAPHS])
def test_every_shipped_graph_saves_back_byte_for_byte(path, tmp_path, builtins):
    copy = tmp_path / "graphs" / path.name  # the same folder depth: relative paths stay
    copy.parent.mkdir()
    shutil.copy(path, copy)
    result = load_graph_file(copy, builtins)

    save_graph(result.graph, copy)

    assert copy.read_bytes() == path.read_bytes()


def test_a_file_without_name_and_versions_is_saved_without_them(tmp_path, builtins):
    path = tmp_path / "bare.yaml"
    text = "thyra: 1\nnodes:\n  load: {type: io.load_image, params: {path: a.png}}  # the input\n"
    path.write_text(text, encoding="utf-8")
    graph = load(path, builtins)
    graph.set_param("load", "path", "b.png")

    assert saved_diff(path, graph) == [
        "-  load: {type: io.load_image, params: {path: a.png}}  # the input",
        "+  load: {type: io.load_image, params: {path: b.png}}  # the input",
    ]


def test_adding_a_node_adds_its_lines_and_its_position(graph_file, builtins):
    graph = load(graph_file, builtins)
    graph.add_node("image.contours", "coins", params={"min_area": 300})
    graph.connect("threshold.mask", "coins.mask")
    graph.ui["positions"]["coins"] = [960, 0]

    assert saved_diff(graph_file, graph) == [
        "+  coins:",
        "+    type: image.contours",
        "+    version: 1",
        "+    inputs: {mask: threshold.mask}",
        "+    params: {min_area: 300}",
        "+    coins: [960, 0]",
    ]


def test_removing_a_node_removes_its_lines_only(graph_file, builtins):
    graph = load(graph_file, builtins)
    graph.remove_node("threshold")
    graph.outputs = ["blur.image"]

    diff = saved_diff(graph_file, graph)

    assert diff == [
        "-  threshold:",
        "-    type: image.threshold",
        "-    inputs: {image: blur.image}",
        "-    params: {method: adaptive, block_size: 101, offset: 15}",
        "-outputs: [threshold.mask]   # what `thyra run` prints",
        "+outputs: [blur.image]       # what `thyra run` prints",  # ruamel keeps the comment's column
        "-    threshold: [720, 0]",
    ]


def test_renaming_a_node_changes_its_key_and_the_lines_that_name_it(graph_file, builtins):
    graph = load(graph_file, builtins)
    graph.rename_node("blur", "smooth")

    assert saved_diff(graph_file, graph) == [
        "-  blur:", "+  smooth:",
        "-    inputs: {image: blur.image}", "+    inputs: {image: smooth.image}",
        "-    blur: [480, 0]", "+    smooth: [480, 0]",
    ]


def test_moving_a_node_changes_its_position_line(graph_file, builtins):
    graph = load(graph_file, builtins)
    graph.ui["positions"]["gray"] = [250, 40]

    assert saved_diff(graph_file, graph) == ["-    gray: [240, 0]", "+    gray: [250, 40]"]


def test_a_graph_made_from_scratch_is_written_in_the_standard_layout(tmp_path, builtins):
    graph = Graph(builtins, name="new", base_dir=tmp_path)
    graph.add_node("io.load_image", "load", params={"path": "coins.png"})
    graph.add_node("image.to_gray", "gray")
    graph.connect("load.image", "gray.image")
    graph.ui["positions"] = {"load": [0, 0], "gray": [240, 0]}

    save_graph(graph, tmp_path / "new.yaml")

    assert (tmp_path / "new.yaml").read_text(encoding="utf-8") == (
        "thyra: 1\n"
        "name: new\n"
        "nodes:\n"
        "  load:\n"
        "    type: io.load_image\n"
        "    version: 1\n"
        "    params: {path: coins.png}\n"
        "  gray:\n"
        "    type: image.to_gray\n"
        "    version: 1\n"
        "    inputs: {image: load.image}\n"
        "ui:\n"
        "  positions:\n"
        "    load: [0, 0]\n"
        "    gray: [240, 0]\n"
    )
