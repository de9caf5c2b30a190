"""The graph model: every edit is checked when it is made, and the graph stays a DAG."""

from __future__ import annotations

import networkx as nx
import pytest

from thyra_graph.engine.graph import GraphError


def chain(graph, n: int) -> list[str]:
    """const → add → add … (n nodes); returns the ids in order."""
    ids = [graph.add_node("test.const", "n0")]
    for i in range(1, n):
        ids.append(graph.add_node("test.add", f"n{i}"))
        graph.connect(f"n{i - 1}.out", f"n{i}.x")
    return ids


# -- nodes -----------------------------------------------------------------------------------
def test_add_node_refuses_an_unknown_type_and_suggests_the_closest(graph):
    with pytest.raises(GraphError, match=r"unknown node type 'test.ad'.*'test.add'"):
        graph.add_node("test.ad")


def test_add_node_derives_a_unique_id_from_the_type(graph):
    assert graph.add_node("test.add") == "add"
    assert graph.add_node("test.add") == "add2"


def test_add_node_refuses_a_duplicate_id(graph):
    graph.add_node("test.const", "a")
    with pytest.raises(GraphError, match="exists already"):
        graph.add_node("test.const", "a")


def test_add_node_refuses_an_id_with_a_dot(graph):
    # Dots separate node and port in links, so an id with a dot could never be linked.
    with pytest.raises(GraphError, match="node id 'a.b'"):
        graph.add_node("test.const", "a.b")


def test_remove_node_drops_its_links_and_outputs(graph):
    chain(graph, 3)
    graph.outputs.append("n1.out")
    graph.ui["positions"] = {"n1": [0, 0]}

    graph.remove_node("n1")

    assert "n1" not in graph.nodes
    assert graph.nodes["n2"].inputs == {}
    assert list(graph.links()) == []
    assert graph.dag.number_of_edges() == 0
    assert graph.outputs == []
    assert graph.ui["positions"] == {}


def test_rename_node_carries_its_links_outputs_and_position_to_the_new_id(graph):
    chain(graph, 3)
    graph.outputs.append("n1.out")
    graph.ui["positions"] = {"n1": [5, 6]}

    graph.rename_node("n1", "middle")

    assert list(graph.nodes) == ["n0", "middle", "n2"]  # keeps its place in the file
    assert graph.nodes["middle"].id == "middle"
    assert sorted(graph.links()) == [("middle", "out", "n2", "x"), ("n0", "out", "middle", "x")]
    assert graph.dag.has_edge("n0", "middle") and graph.dag.has_edge("middle", "n2")
    assert graph.outputs == ["middle.out"]
    assert graph.ui["positions"] == {"middle": [5, 6]}


def test_rename_node_refuses_a_taken_or_invalid_id_and_changes_nothing(graph):
    chain(graph, 2)
    with pytest.raises(GraphError, match="exists already"):
        graph.rename_node("n1", "n0")
    with pytest.raises(GraphError, match="node id 'a.b'"):
        graph.rename_node("n1", "a.b")
    assert list(graph.nodes) == ["n0", "n1"] and graph.nodes["n1"].inputs == {"x": ("n0", "out")}


# -- parameters ------------------------------------------------------------------------------
def test_set_param_converts_an_int_to_a_declared_float(graph):
    graph.add_node("test.const", "c")
    graph.set_param("c", "value", 3)
    assert graph.params("c")["value"] == 3.0
    assert type(graph.params("c")["value"]) is float


def test_set_param_refuses_a_value_out_of_range_and_names_the_range(graph):
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError, match=r"node 'a' parameter 'inc'.*out of range.*-100 to 100"):
        graph.set_param("a", "inc", 101)
    assert graph.params("a")["inc"] == 1.0  # unchanged


def test_set_param_refuses_a_value_of_the_wrong_type(graph):
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError, match=r"parameter 'inc'.*got 'lots'"):
        graph.set_param("a", "inc", "lots")


def test_set_param_refuses_an_unknown_parameter_and_suggests_the_closest(graph):
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError, match=r"no parameter 'incr'.*'inc'"):
        graph.set_param("a", "incr", 1.0)


def test_params_fill_in_defaults_for_values_not_set(graph):
    graph.add_node("test.add", "a")
    assert graph.params("a") == {"inc": 1.0}
    assert graph.nodes["a"].params == {}  # only explicit values are stored (and saved)


# -- links -----------------------------------------------------------------------------------
def test_connect_refuses_a_type_mismatch_naming_both_types(graph):
    graph.add_node("test.text", "t")
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError) as info:
        graph.connect("t.out", "a.x")
    assert "Text" in str(info.value) and "Number" in str(info.value)
    assert graph.nodes["a"].inputs == {}


def test_connect_refuses_an_unknown_output(graph):
    graph.add_node("test.const", "c")
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError, match="has no output 'value'; outputs: out"):
        graph.connect("c.value", "a.x")


def test_connect_refuses_an_unknown_input(graph):
    graph.add_node("test.const", "c")
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError, match="has no input 'y'; inputs: x"):
        graph.connect("c.out", "a.y")


def test_connect_refuses_a_missing_node(graph):
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError, match="no node 'ghost'"):
        graph.connect("ghost.out", "a.x")


def test_connect_refuses_a_cycle_and_leaves_the_graph_unchanged(graph):
    chain(graph, 3)
    with pytest.raises(GraphError, match="cycle"):
        graph.connect("n2.out", "n1.x")
    with pytest.raises(GraphError, match="cycle"):
        graph.connect("n1.out", "n1.x")
    assert graph.nodes["n1"].inputs == {"x": ("n0", "out")}
    assert nx.is_directed_acyclic_graph(graph.dag)


def test_connect_relinks_an_input_that_is_already_linked(graph):
    graph.add_node("test.const", "a")
    graph.add_node("test.const", "b")
    graph.add_node("test.add", "x")
    graph.connect("a.out", "x.x")
    graph.connect("b.out", "x.x")
    assert graph.nodes["x"].inputs == {"x": ("b", "out")}
    assert set(graph.dag.edges) == {("b", "x")}


def test_connect_accepts_a_node_without_port_when_it_has_one_output(graph):
    graph.add_node("test.const", "c")
    graph.add_node("test.add", "a")
    graph.connect("c", "a.x")
    assert graph.nodes["a"].inputs == {"x": ("c", "out")}


def test_two_links_between_the_same_nodes_are_both_kept(graph):
    graph.add_node("test.const", "c")
    graph.add_node("test.sum", "s")
    graph.connect("c.out", "s.a")
    graph.connect("c.out", "s.b")
    graph.disconnect("s.a")
    assert graph.dag.has_edge("c", "s")  # s.b still uses it
    graph.disconnect("s.b")
    assert not graph.dag.has_edge("c", "s")


def test_sinks_are_the_nodes_nothing_consumes(graph):
    chain(graph, 3)
    graph.add_node("test.const", "lonely")
    assert sorted(graph.sinks()) == ["lonely", "n2"]


def test_missing_inputs_lists_required_inputs_not_connected(graph):
    graph.add_node("test.const", "c")
    graph.add_node("test.sum", "s")
    graph.connect("c.out", "s.a")
    assert graph.missing_inputs("s") == ["b"]


def test_resolve_path_is_relative_to_the_graph_folder(graph, tmp_path):
    assert graph.resolve_path("data/a.png") == tmp_path / "data" / "a.png"
    assert graph.resolve_path(str(tmp_path / "b.png")) == tmp_path / "b.png"
