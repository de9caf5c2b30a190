"""Subgraphs: a graph file with declared inputs/outputs is a node type, expanded when it runs
so that its inner nodes keep their own cache keys; where a graph may take one from; cycles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graphfile import load_graph_file, load_graph_text
from thyra_graph.engine.planner import make_plan
from thyra_graph.engine.subgraph import SubgraphSpec, flatten
from thyra_graph.engine.trust import Policy, review
from thyra_graph.engine.userconfig import UserConfig
from thyra_graph.nodes.discovery import discover

REPO = Path(__file__).resolve().parents[2]
COINS = (REPO / "thyra_graph" / "samples" / "coins.png").as_posix()

COIN_MASK = """\
thyra: 1
name: coin_mask
description: Gray, blur and threshold an image into a mask.
inputs: {image: gray.image}
nodes:
  gray:      {type: image.to_gray}
  blur:      {type: image.blur, inputs: {image: gray.image}, params: {sigma: 2.0}}
  threshold: {type: image.threshold, inputs: {image: blur.image}, params: {method: fixed, value: 110}}
outputs: [threshold.mask]
"""

TWICE = f"""\
thyra: 1
name: twice
nodes:
  load:    {{type: io.load_image, params: {{path: {COINS}}}}}
  mask_a:  {{type: subgraph.coin_mask, inputs: {{image: load.image}}}}
  mask_b:  {{type: subgraph.coin_mask, inputs: {{image: load.image}}, params: {{blur_sigma: 3.0}}}}
  count_a: {{type: image.contours, inputs: {{mask: mask_a.mask}}, params: {{min_area: 300}}}}
  count_b: {{type: image.contours, inputs: {{mask: mask_b.mask}}, params: {{min_area: 300}}}}
outputs: [count_a.count, count_b.count, mask_a.mask]
"""

INLINE = f"""\
thyra: 1
name: inline
nodes:
  load:      {{type: io.load_image, params: {{path: {COINS}}}}}
  gray:      {{type: image.to_gray, inputs: {{image: load.image}}}}
  blur:      {{type: image.blur, inputs: {{image: gray.image}}, params: {{sigma: 2.0}}}}
  threshold: {{type: image.threshold, inputs: {{image: blur.image}}, params: {{method: fixed, value: 110}}}}
  coins:     {{type: image.contours, inputs: {{mask: threshold.mask}}, params: {{min_area: 300}}}}
outputs: [coins.count]
"""


@pytest.fixture
def library(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "coin_mask.yaml").write_text(COIN_MASK)
    monkeypatch.setenv("THYRA_LIBRARY", str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # no real user library
    return folder


def registry_with_library():
    return discover(entry_points=False, plugin_path=[], user_plugins=False)


def load(text: str, registry, folder: Path, name: str = "graph.yaml"):
    path = folder / name
    path.write_text(text)
    loaded = load_graph_file(path, registry)
    assert loaded.ok, [str(d) for d in loaded.errors]
    return loaded.graph


# -- the node type ------------------------------------------------------------------------------
def test_a_library_file_is_a_node_type_with_its_declared_ports_and_inner_params(library):
    registry = registry_with_library()
    spec = registry["subgraph.coin_mask"]
    assert isinstance(spec, SubgraphSpec) and spec.category == "subgraph"
    assert [(i.name, i.type.type_name, i.required) for i in spec.inputs] == [("image", "Image", True)]
    assert [(o.name, o.type.type_name) for o in spec.outputs] == [("mask", "Mask")]
    assert spec.param("blur_sigma").default == 2.0
    assert spec.param("threshold_value").default == 110
    assert spec.param("threshold_method").choices == registry["image.threshold"].param("method").choices
    assert spec.summary == "Gray, blur and threshold an image into a mask."
    assert not registry.problems


def test_a_subgraph_file_alone_does_not_report_its_fed_inputs_as_unconnected(library):
    loaded = load_graph_file(library / "coin_mask.yaml", registry_with_library())
    assert loaded.ok
    assert loaded.graph.inputs == {"image": ["gray.image"]}


def test_saving_keeps_the_declared_inputs(library):
    graph = load_graph_file(library / "coin_mask.yaml", registry_with_library()).graph
    graph.set_param("blur", "sigma", 2.5)
    text = graph.dumps()
    assert "inputs: {image: gray.image}" in text and "sigma: 2.5" in text


# -- running --------------------------------------------------------------------------------------
def test_instances_run_as_their_inner_nodes_with_the_same_keys_as_written_inline(library, tmp_path):
    registry = registry_with_library()
    twice = load(TWICE, registry, tmp_path)
    inline = load(INLINE, registry, tmp_path, "inline.yaml")
    plan, inline_plan = make_plan(twice), make_plan(inline)
    assert {"mask_a/gray", "mask_a/blur", "mask_a/threshold", "mask_b/threshold"} <= set(plan.order)
    for inner in ("gray", "blur", "threshold"):
        assert plan.keys[f"mask_a/{inner}"] == inline_plan.keys[inner]
    assert plan.keys["mask_b/gray"] == plan.keys["mask_a/gray"]  # identical work is shared
    assert plan.keys["mask_b/blur"] != plan.keys["mask_a/blur"]  # the instance's own param

    result = Executor().run(twice)
    inline_result = Executor().run(inline)
    assert result.ok
    assert result["count_a.count"].value == inline_result["coins.count"].value
    assert {"count_a.count", "count_b.count", "mask_a.mask"} <= set(result.outputs)


def test_changing_one_inner_param_of_one_instance_reruns_only_its_dependants(library, tmp_path):
    registry = registry_with_library()
    graph = load(TWICE, registry, tmp_path)
    executor = Executor()
    executor.run(graph)
    graph.set_param("mask_a", "threshold_value", 120)
    result = executor.run(graph)
    executed = {n for n, r in result.nodes.items() if r.status == "executed"}
    assert executed == {"mask_a/threshold", "count_a"}
    assert all(result.nodes[n].status == "cached" for n in ("mask_b/threshold", "count_b", "mask_a/blur"))


def test_a_target_may_name_an_instance_or_its_output(library, tmp_path):
    graph = load(TWICE, registry_with_library(), tmp_path)
    result = Executor().run(graph, ["mask_b.mask"])
    assert set(result.outputs) == {"mask_b.mask"}
    assert "count_a" not in result.nodes and "mask_a/blur" not in result.nodes
    assert set(Executor().run(graph, ["mask_b"]).outputs) == {"mask_b.mask"}


def test_subgraphs_nest_and_flatten_to_prefixed_ids(library, tmp_path):
    (library / "counted.yaml").write_text(
        "thyra: 1\nname: counted\ninputs: {image: mask.image}\nnodes:\n"
        "  mask: {type: subgraph.coin_mask}\n"
        "  coins: {type: image.contours, inputs: {mask: mask.mask}, params: {min_area: 300}}\n"
        "outputs: [coins.count]\n")
    registry = registry_with_library()
    assert registry["subgraph.counted"].param("mask_blur_sigma").default == 2.0
    graph = load(f"thyra: 1\nnodes:\n  load: {{type: io.load_image, params: {{path: {COINS}}}}}\n"
                 "  c: {type: subgraph.counted, inputs: {image: load.image}, params: {mask_blur_sigma: 2.0}}\n"
                 "outputs: [c.count]\n", registry, tmp_path)
    flat = flatten(graph)
    assert "c/mask/threshold" in flat.graph.nodes
    inline = Executor().run(load(INLINE, registry, tmp_path, "inline.yaml"))
    assert Executor().run(graph)["c.count"].value == inline["coins.count"].value


# -- where paths point ------------------------------------------------------------------------------
def test_inner_reads_resolve_beside_the_subgraph_and_writes_beside_the_using_graph(library, tmp_path):
    (library / "sample.png").write_bytes(Path(COINS).read_bytes())
    (library / "saver.yaml").write_text(
        "thyra: 1\nname: saver\nnodes:\n"
        "  load: {type: io.load_image, params: {path: sample.png}}\n"
        "  save: {type: io.save_image, inputs: {image: load.image}, params: {path: out/copy.png}}\n"
        "outputs: [load.image]\n")
    using = tmp_path / "project"
    using.mkdir()
    graph = load("thyra: 1\nnodes:\n  s: {type: subgraph.saver}\n", registry_with_library(), using)
    checked = review(graph, Policy(UserConfig(tmp_path / "config.yaml"), cwd=using))
    assert checked.ok, [str(p) for p in checked.problems]
    assert [w.path for w in checked.writes] == [(using / "out" / "copy.png").resolve()]
    assert Executor().run(graph).ok
    assert (using / "out" / "copy.png").is_file()

    graph.set_param("s", "save_path", "/elsewhere/copy.png")  # an instance may not escape the roots
    assert not review(graph, Policy(UserConfig(tmp_path / "config.yaml"), cwd=using)).ok


# -- where a graph may take a subgraph from -------------------------------------------------------
def test_a_graph_may_use_a_subgraph_file_beside_itself(library, tmp_path):
    (tmp_path / "mine.yaml").write_text(COIN_MASK)
    registry = registry_with_library()
    graph = load(f"thyra: 1\nnodes:\n  load: {{type: io.load_image, params: {{path: {COINS}}}}}\n"
                 "  m: {type: ./mine.yaml, inputs: {image: load.image}}\n"
                 "  coins: {type: image.contours, inputs: {mask: m.mask}, params: {min_area: 300}}\n"
                 "outputs: [coins.count]\n", registry, tmp_path)
    assert "./mine.yaml" not in registry  # the file's own, not everyone's
    assert Executor().run(graph)["coins.count"].value > 0
    assert "type: ./mine.yaml" in graph.dumps()


@pytest.mark.parametrize("ref, says", [
    ("../mine.yaml", "not allowed"),
    ("/tmp/mine.yaml", "not allowed"),
    ("sub/mine.yaml", "not allowed"),
    ("./missing.yaml", "there is no file"),
])
def test_a_graph_may_not_reach_for_subgraphs_elsewhere(library, tmp_path, ref, says):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.yaml").write_text(COIN_MASK)
    (tmp_path / "mine.yaml").write_text(COIN_MASK)
    folder = tmp_path / "sub"
    result = load_graph_text(f"thyra: 1\nnodes:\n  m: {{type: {ref}}}\n", registry_with_library(),
                             source="g.yaml", base_dir=folder)
    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert says in message and "node 'm'" in message and "g.yaml:3" in message


def test_a_link_out_of_the_graphs_folder_is_refused(library, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "mine.yaml").write_text(COIN_MASK)
    here = tmp_path / "here"
    here.mkdir()
    os.symlink(outside / "mine.yaml", here / "mine.yaml")
    result = load_graph_text("thyra: 1\nnodes:\n  m: {type: ./mine.yaml}\n", registry_with_library(),
                             source="g.yaml", base_dir=here)
    assert "outside the graph's folder" in str(result.errors[0])


def test_an_unknown_library_subgraph_is_named_with_the_closest(library):
    result = load_graph_text("thyra: 1\nnodes:\n  m: {type: subgraph.coin_msk}\n", registry_with_library())
    assert "unknown node type 'subgraph.coin_msk'" in str(result.errors[0])
    assert "subgraph.coin_mask" in str(result.errors[0])
    assert "put coin_msk.yaml in a folder named by THYRA_LIBRARY" in str(result.errors[0])


def test_a_graph_using_a_broken_library_file_is_told_why_it_did_not_load(library):
    (library / "broken.yaml").write_text("thyra: 1\ninputs: {image: b.image}\nnodes:\n  b: {type: image.blur}\n")  # no outputs
    result = load_graph_text("thyra: 1\nnodes:\n  m: {type: subgraph.broken}\n", registry_with_library())
    assert "its library file did not load" in str(result.errors[0])
    assert "a subgraph needs declared outputs" in str(result.errors[0])


# -- cycles -----------------------------------------------------------------------------------------
def test_library_subgraphs_using_each_other_in_a_ring_are_refused_with_the_chain(library):
    (library / "ping.yaml").write_text("thyra: 1\nnodes:\n  p: {type: subgraph.pong}\noutputs: [p.mask]\n")
    (library / "pong.yaml").write_text("thyra: 1\nnodes:\n  p: {type: subgraph.ping}\noutputs: [p.mask]\n")
    registry = registry_with_library()
    assert "subgraph.ping" not in registry and "subgraph.pong" not in registry
    assert "subgraph.coin_mask" in registry
    messages = " ".join(str(p) for p in registry.problems)
    assert "uses itself (ping.yaml → pong.yaml → ping.yaml)" in messages


def test_a_file_using_itself_beside_itself_is_refused(library, tmp_path):
    (tmp_path / "self.yaml").write_text("thyra: 1\nnodes:\n  me: {type: ./self.yaml}\noutputs: [me.mask]\n")
    result = load_graph_file(tmp_path / "self.yaml", registry_with_library())
    assert not result.ok
    assert "uses itself (self.yaml → self.yaml)" in str(result.errors[0])


# -- plugins ship subgraphs -------------------------------------------------------------------------
def test_a_plugin_ships_subgraph_files_through_discovery(library, tmp_path):
    plugins = tmp_path / "plugins"
    (plugins / "coinkit" / "subgraphs").mkdir(parents=True)
    (plugins / "coinkit" / "subgraphs" / "coin_blur.yaml").write_text(
        "thyra: 1\nname: coin blur\ninputs: {image: blur.image}\nnodes:\n  blur: {type: image.blur}\noutputs: [blur.image]\n")
    (plugins / "coinkit" / "__init__.py").write_text(
        "from pathlib import Path\nTHYRA_SUBGRAPHS = [Path(__file__).parent / 'subgraphs']\n")
    registry = discover(entry_points=False, plugin_path=[plugins], user_plugins=False)
    assert not registry.problems, [str(p) for p in registry.problems]
    assert "coinkit" in registry.origins["subgraph.coin_blur"]
    assert registry["subgraph.coin_blur"].title == "Coin blur"
