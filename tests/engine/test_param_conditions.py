"""Conditional params: ``Param(..., when={...})`` says when a param applies; a condition that
could never hold, or names no param of the node, is a declaration error."""

from __future__ import annotations

import pytest

from thyra_graph.engine.declaration import DeclarationError, Output, Param, node
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.param_conditions import inapplicable
from thyra_graph.engine.planner import make_plan
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Number

METHODS = ("otsu", "fixed", "adaptive")


def threshold_like(**when_value):
    def f(*, method, value, block, invert):
        pass

    return node("test.threshold", outputs=[Output("out", Number)], params=[
        Param("method", "otsu", choices=METHODS, help="how"),
        Param("value", 128, when=when_value or {"method": "fixed"}, help="level"),
        Param("block", 51, when={"method": ["adaptive"]}, help="width"),
        Param("invert", False, help="dark objects"),
    ])(f)


def test_a_param_applies_only_when_its_controlling_param_has_a_listed_value():
    spec = threshold_like()
    values = {"method": "otsu", "value": 128, "block": 51, "invert": False}
    assert inapplicable(spec.params, values) == {
        "value": "applies only when method is fixed (now otsu)",
        "block": "applies only when method is adaptive (now otsu)",
    }
    assert set(inapplicable(spec.params, {**values, "method": "fixed"})) == {"block"}
    assert inapplicable(threshold_like(method=["fixed", "adaptive"]).params, {**values, "method": "adaptive"}) == {}


def test_several_names_must_all_hold_and_a_chain_follows_the_controlling_param():
    def f(*, enabled, method, radius):
        pass

    spec = node("test.chain", outputs=[Output("out", Number)], params=[
        Param("enabled", True, help="on"),
        Param("method", "radius", choices=("radius", "count"), when={"enabled": True}, help="how"),
        Param("radius", 1.0, when={"method": "radius"}, help="size"),
    ])(f)
    assert inapplicable(spec.params, {"enabled": True, "method": "radius"}) == {}
    reasons = inapplicable(spec.params, {"enabled": False, "method": "radius"})
    assert reasons["method"] == "applies only when enabled is on (now off)"
    assert reasons["radius"] == "applies only when method is radius, and method does not apply now"


def test_the_condition_is_listed_with_the_declaration():
    assert threshold_like().to_json()["params"][1]["when"] == {"method": "fixed"}
    assert threshold_like(method=["fixed", "adaptive"]).to_json()["params"][1]["when"] == {"method": ["fixed", "adaptive"]}
    assert "when" not in threshold_like().to_json()["params"][3]


@pytest.mark.parametrize("when, message", [
    ({"methd": "fixed"}, r"when= names 'methd', which is not another param of this node \(params: method, block, invert\)"),
    ({"method": "fixd"}, r"when=\{'method': 'fixd'\} can never hold: 'fixd' is not allowed"),
    ({"block": 3.5}, r"when=\{'block': 3.5\} can never hold"),
    ({"value": 1}, r"when= names 'value', which is not another param"),
])
def test_a_condition_that_names_no_usable_param_or_value_is_a_declaration_error(when, message):
    with pytest.raises(DeclarationError, match=message):
        threshold_like(**when)


@pytest.mark.parametrize("when", ["method", {}, {"method": []}, {"method": [["fixed"]]}])
def test_a_condition_must_be_a_mapping_of_names_to_plain_values(when):
    with pytest.raises(DeclarationError, match="param 'x': when="):
        Param("x", 1, when=when)


def test_conditions_that_go_round_in_a_loop_are_refused():
    def f(*, a, b):
        pass

    with pytest.raises(DeclarationError, match="param 'a': its when= conditions go round in a loop"):
        node("test.loop", outputs=[Output("out", Number)], params=[
            Param("a", True, when={"b": True}), Param("b", True, when={"a": False})])(f)


def test_an_unused_param_stays_in_the_cache_key():
    # The simple, honest rule: what the file asks for is the key; an edit re-runs, never goes stale.
    registry = Registry()
    registry.add(threshold_like())
    graph = Graph(registry)
    graph.add_node("test.threshold", "t")
    before = make_plan(graph, ["t"]).keys["t"]
    graph.set_param("t", "value", 10)  # not used: method is otsu
    assert make_plan(graph, ["t"]).keys["t"] != before


def test_every_built_in_condition_names_a_param_of_its_node():
    # Checked at declaration; this pins that the shipped nodes declare some, e.g. the threshold's.
    from thyra_graph.nodes.builtin import THYRA_NODES

    by_id = {spec.id: spec for spec in THYRA_NODES}
    threshold = by_id["image.threshold"]
    assert dict(threshold.param("value").when) == {"method": ("fixed",)}
    assert dict(threshold.param("block_size").when) == {"method": ("adaptive",)}
    assert sum(1 for spec in THYRA_NODES for p in spec.params if p.when) >= 20


def test_a_subgraph_keeps_the_conditions_of_the_params_it_exposes():
    from thyra_graph.engine.subgraph import spec_from_graph

    registry = Registry()
    registry.add(threshold_like())
    inner = Graph(registry, name="masker")
    inner.add_node("test.threshold", "t")
    inner.outputs = ["t.out"]
    spec = spec_from_graph("lib.masker", inner)
    assert dict(spec.param("t_value").when) == {"t_method": ("fixed",)}
    assert set(inapplicable(spec.params, {"t_method": "otsu"})) == {"t_value", "t_block"}
    assert set(inapplicable(spec.params, {"t_method": "adaptive"})) == {"t_value"}


def test_a_plugin_whose_condition_names_an_unknown_param_is_reported_and_the_rest_loads(tmp_path):
    from thyra_graph.nodes.discovery import discover

    (tmp_path / "bad_when.py").write_text(
        "from thyra_graph import Output, Param, node\n"
        "from thyra_graph.types import Number\n\n"
        "@node('lab.bad_when', outputs=[Output('n', Number)],\n"
        "      params=[Param('mode', 'a', choices=('a', 'b')), Param('size', 1, when={'mdoe': 'b'})])\n"
        "def bad_when(*, mode, size):\n"
        "    '''A typo in a condition.'''\n"
    )
    registry = discover(plugin_path=[tmp_path], user_plugins=False)
    assert "lab.bad_when" not in registry.specs and "image.threshold" in registry.specs
    [problem] = registry.problems
    assert "param 'size': when= names 'mdoe', which is not another param of this node (params: mode)" in str(problem)


def test_whole_numbers_and_texts_control_exactly_but_floats_and_paths_cannot():
    def f(*, channels, mode, gain, gamma, label):
        pass

    spec = node("test.exact", outputs=[Output("out", Number)], params=[
        Param("channels", 3, min=1, max=4, help="colour channels"),
        Param("mode", "auto", help="a free text"),
        Param("gain", 1.0, help="a float"),
        Param("gamma", 2.2, when={"channels": [3, 4]}, help="applies to colour"),
        Param("label", "", when={"mode": "manual"}, help="applies to manual"),
    ])(f)
    values = {"channels": 1, "mode": "auto", "gain": 1.0, "gamma": 2.2, "label": ""}
    assert inapplicable(spec.params, values) == {
        "gamma": "applies only when channels is 3 or 4 (now 1)",
        "label": "applies only when mode is manual (now auto)",
    }
    assert inapplicable(spec.params, {**values, "channels": 4, "mode": "manual"}) == {}
    with pytest.raises(DeclarationError, match=r"when= names 'gain', a float param; only choice, bool, int, str"):
        node("test.by_float", outputs=[Output("out", Number)], params=[
            Param("gain", 1.0, help="a float"), Param("x", 1, when={"gain": 1.0}, help="x")])(lambda *, gain, x: None)
    with pytest.raises(DeclarationError, match=r"when=\{'channels': 9\} can never hold"):
        node("test.out_of_range", outputs=[Output("out", Number)], params=[
            Param("channels", 3, min=1, max=4, help="c"), Param("x", 1, when={"channels": 9}, help="x")])(lambda *, channels, x: None)
