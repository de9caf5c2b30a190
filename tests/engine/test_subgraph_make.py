"""Making a subgraph from nodes of graphs/quickstart.yaml: the links crossing the selection
become its inputs and outputs, and the graph with one instance in their place computes the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import GraphError
from thyra_graph.engine.graphfile import load_graph_file
from thyra_graph.engine.subgraph import library_id
from thyra_graph.engine.subgraph_files import read_subgraph
from thyra_graph.engine.subgraph_make import extract, replace_with_instance
from thyra_graph.nodes.discovery import discover

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def quickstart(tmp_path):
    """graphs/quickstart.yaml copied with its sample, so that its relative paths still hold."""
    (tmp_path / "graphs").mkdir()
    shutil.copy(REPO / "graphs" / "quickstart.yaml", tmp_path / "graphs")
    (tmp_path / "thyra_graph" / "samples").mkdir(parents=True)
    shutil.copy(REPO / "thyra_graph" / "samples" / "coins.png", tmp_path / "thyra_graph" / "samples")
    registry = discover(entry_points=False, plugin_path=[], user_plugins=False, subgraphs=False)
    return load_graph_file(tmp_path / "graphs" / "quickstart.yaml", registry).graph


def test_the_crossing_links_become_inputs_and_outputs(quickstart, tmp_path):
    sub = extract(quickstart, ["blur", "threshold", "open"], name="coin_mask", folder=tmp_path / "lib")
    assert list(sub.nodes) == ["blur", "threshold", "open"]
    assert sub.inputs == {"image": ["blur.image"]}
    assert sub.outputs == ["open.mask"]
    assert sub.params("blur")["sigma"] == 2.0 and sub.params("threshold")["block_size"] == 101
    assert sub.ui["positions"]["blur"] == [0, 0]


def test_one_outside_output_feeding_two_inner_inputs_is_one_input(quickstart, tmp_path):
    sub = extract(quickstart, ["overlay", "coco"], name="exports", folder=tmp_path / "lib")
    assert sub.inputs == {"image": ["overlay.image", "coco.image"], "instances": ["overlay.instances", "coco.instances"]}
    assert sub.outputs == ["overlay.image"]


def test_reported_outputs_of_the_selection_become_outputs(quickstart, tmp_path):
    sub = extract(quickstart, ["coins"], name="count", folder=tmp_path / "lib")
    assert sub.outputs == ["coins.instances", "coins.count"]


def test_a_selection_nothing_uses_cannot_be_a_subgraph(quickstart, tmp_path):
    with pytest.raises(GraphError, match="no outputs"):
        extract(quickstart, ["save"], name="saver", folder=tmp_path / "lib")
    with pytest.raises(GraphError, match="name"):
        extract(quickstart, ["blur"], name="../evil", folder=tmp_path / "lib")


def test_a_read_path_inside_points_at_the_same_file_from_the_library(quickstart, tmp_path):
    assert extract(quickstart, ["load", "gray"], name="portable", folder=tmp_path / "lib").nodes["load"].params["path"] \
        == "samples:coins.png"  # a bundled sample is found from anywhere: kept as written
    quickstart.set_param("load", "path", "../thyra_graph/samples/coins.png")  # the copy the fixture made
    sub = extract(quickstart, ["load", "gray"], name="loader", folder=tmp_path / "lib")
    assert sub.nodes["load"].params["path"] == "../thyra_graph/samples/coins.png"
    assert sub.resolve_path(sub.nodes["load"].params["path"]) == tmp_path / "thyra_graph" / "samples" / "coins.png"


def test_the_graph_with_an_instance_computes_the_same_count(quickstart, tmp_path):
    before = Executor().run(quickstart, ["coins.count"])["coins.count"].value
    folder = tmp_path / "lib"
    sub = extract(quickstart, ["gray", "blur", "threshold"], name="coin_mask", folder=folder)
    path = sub.save(folder / "coin_mask.yaml")
    spec = read_subgraph(path, quickstart.registry, library_id(path))
    quickstart.registry.add(spec, str(path))
    instance = replace_with_instance(quickstart, ["gray", "blur", "threshold"], spec, sub)
    assert instance == "coin_mask"
    assert quickstart.nodes["open"].inputs == {"mask": ("coin_mask", "mask")}
    assert quickstart.nodes["coin_mask"].inputs == {"image": ("load", "image")}
    assert quickstart.outputs == ["coins.count"]
    assert Executor().run(quickstart, ["coins.count"])["coins.count"].value == before
    reloaded = load_graph_file(quickstart.save(tmp_path / "graphs" / "quickstart.yaml"), quickstart.registry)
    assert reloaded.ok and reloaded.graph.nodes["coin_mask"].type_id == "subgraph.coin_mask"
