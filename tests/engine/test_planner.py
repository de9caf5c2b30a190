"""Planning: what a run needs, and cache keys that change exactly when the work changes."""

from __future__ import annotations

import os
import shutil
import sys
import time

import pytest

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.engine.graph import Graph, GraphError
from thyra_graph.engine.planner import make_plan
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Number


def build_branches(graph: Graph, prefix: str = "") -> Graph:
    """Two independent branches joined at the end::

        c1 → a1 → a2 ─┐
        c2 → b1 ──────┴→ s
    """
    p = prefix
    for node_id, type_id in (("c1", "test.const"), ("a1", "test.add"), ("a2", "test.add"),
                             ("c2", "test.const"), ("b1", "test.add"), ("s", "test.sum")):
        graph.add_node(type_id, p + node_id)
    graph.set_param(p + "c2", "value", 5.0)
    for src, dst in (("c1", "a1.x"), ("a1", "a2.x"), ("c2", "b1.x"), ("a2", "s.a"), ("b1", "s.b")):
        graph.connect(f"{p}{src}.out", p + dst)
    return graph


def keys(graph: Graph, **kwargs) -> dict[str, str]:
    return make_plan(graph, **kwargs).keys


# -- what is planned -------------------------------------------------------------------------
def test_plan_holds_only_the_ancestors_of_the_target_in_topological_order(graph):
    build_branches(graph)
    plan = make_plan(graph, ["a2"])
    assert plan.order == ["c1", "a1", "a2"]


def test_plan_without_targets_covers_every_sink(graph):
    build_branches(graph)
    graph.add_node("test.const", "lonely")
    plan = make_plan(graph)
    assert set(plan.targets) == {"s", "lonely"}
    assert set(plan.order) == set(graph.nodes)


def test_plan_target_may_name_an_output(graph):
    build_branches(graph)
    plan = make_plan(graph, ["b1.out"])
    assert plan.order == ["c2", "b1"] and plan.target_ports == {"b1": {"out"}}


def test_plan_refuses_an_unknown_target(graph):
    build_branches(graph)
    with pytest.raises(GraphError, match="no node 'nope'"):
        make_plan(graph, ["nope"])
    with pytest.raises(GraphError, match="no output 'result'"):
        make_plan(graph, ["s.result"])


def test_plan_refuses_a_graph_with_an_unconnected_required_input(graph):
    graph.add_node("test.add", "a")
    with pytest.raises(GraphError, match=r"node 'a'.*required input\(s\) x"):
        make_plan(graph)


def test_plan_gives_effective_params_with_paths_resolved(graph, tmp_path):
    graph.add_node("test.read", "r", params={"path": "data/in.txt"})
    assert make_plan(graph).params["r"] == {"path": str(tmp_path / "data" / "in.txt")}


# -- keys ------------------------------------------------------------------------------------
def test_node_ids_are_not_part_of_keys(registry, tmp_path):
    first = keys(build_branches(Graph(registry, base_dir=tmp_path)))
    second = keys(build_branches(Graph(registry, base_dir=tmp_path), prefix="other_"))
    assert [first[n] for n in ("c1", "a1", "a2", "c2", "b1", "s")] == \
           [second["other_" + n] for n in ("c1", "a1", "a2", "c2", "b1", "s")]


def test_identical_subgraphs_in_one_graph_share_keys(graph):
    build_branches(graph, prefix="x_")
    build_branches(graph, prefix="y_")
    plan = keys(graph)
    assert plan["x_s"] == plan["y_s"]


def test_keys_depend_on_which_input_a_value_feeds(graph):
    graph.add_node("test.const", "one")
    graph.add_node("test.const", "two", params={"value": 2.0})
    graph.add_node("test.sum", "s")
    graph.connect("one.out", "s.a")
    graph.connect("two.out", "s.b")
    before = keys(graph)["s"]
    graph.connect("two.out", "s.a")
    graph.connect("one.out", "s.b")
    assert keys(graph)["s"] != before


def test_a_param_change_changes_that_node_and_its_descendants_only(graph):
    build_branches(graph)
    before = keys(graph)
    graph.set_param("a1", "inc", 7.0)
    after = keys(graph)
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"a1", "a2", "s"}


def test_setting_a_param_to_its_default_keeps_the_key(graph):
    build_branches(graph)
    before = keys(graph)
    graph.set_param("a1", "inc", 1)  # the default, given as an int
    assert keys(graph) == before


def test_a_version_bump_changes_the_key(tmp_path):
    def declare(version):
        @node("test.versioned", version=version, outputs=[Output("out", Number)])
        def versioned():
            """A node whose algorithm changes between versions."""
            return 1

        return versioned

    def key(version):
        registry = Registry()
        registry.add(declare(version))
        graph = Graph(registry, base_dir=tmp_path)
        graph.add_node("test.versioned", "v")
        return keys(graph)["v"]

    assert key(1) == key(1)
    assert key(1) != key(2)


def test_a_different_node_type_with_the_same_params_has_another_key(graph):
    @node("test.sub", inputs=[Input("x", Number)], params=[Param("inc", 1.0)], outputs=[Output("out", Number)])
    def sub(x, *, inc):
        """Subtract."""
        return x.value - inc

    graph.registry.add(sub)
    graph.add_node("test.const", "c")
    graph.add_node("test.add", "a")
    graph.add_node("test.sub", "s")
    graph.connect("c.out", "a.x")
    graph.connect("c.out", "s.x")
    plan = keys(graph)
    assert plan["a"] != plan["s"]


# -- source files ----------------------------------------------------------------------------
@pytest.fixture
def source(graph, tmp_path):
    """A graph with one node reading ``data/in.txt``; returns the file."""
    path = tmp_path / "data" / "in.txt"
    path.parent.mkdir()
    path.write_text("first")
    graph.add_node("test.read", "r", params={"path": "data/in.txt"})
    graph.add_node("test.add", "a")
    graph.connect("r.out", "a.x")
    return path


def test_touching_the_file_a_source_reads_changes_its_key(graph, source):
    before = keys(graph)
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    after = keys(graph)
    assert after["r"] != before["r"]
    assert after["a"] != before["a"]  # and its descendants'


def test_rewriting_the_file_a_source_reads_changes_its_key(graph, source):
    before = keys(graph)
    st = source.stat()
    source.write_text("second, longer")
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old mtime kept
    assert keys(graph)["r"] != before["r"]


def test_an_unchanged_file_keeps_its_key(graph, source):
    assert keys(graph) == keys(graph)


def test_content_hash_sees_a_rewrite_that_keeps_size_and_mtime(graph, source):
    before = keys(graph, content_hash=True)
    st = source.stat()
    source.write_text("FIRST")  # same size
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert keys(graph, content_hash=True)["r"] != before["r"]


def test_content_hash_gives_a_copy_in_another_folder_the_same_key(registry, graph, source, tmp_path):
    other_dir = tmp_path / "elsewhere"
    other_dir.mkdir()
    shutil.copy(source, other_dir / "copy.txt")
    other = Graph(registry, base_dir=other_dir)
    other.add_node("test.read", "r", params={"path": "copy.txt"})

    assert keys(other, content_hash=True)["r"] == keys(graph, content_hash=True)["r"]
    assert keys(other)["r"] != keys(graph)["r"]  # by default the path is part of the key


def test_a_missing_source_file_still_gets_a_key_that_changes_when_it_appears(graph, tmp_path):
    graph.add_node("test.read", "r", params={"path": "later.txt"})
    before = keys(graph)
    (tmp_path / "later.txt").write_text("here now")
    assert keys(graph)["r"] != before["r"]


# -- randomness ------------------------------------------------------------------------------
def test_an_unseeded_random_node_gets_a_new_key_every_run(graph):
    graph.add_node("test.noise", "n")
    graph.add_node("test.add", "a")
    graph.connect("n.out", "a.x")
    first, second = keys(graph, run_nonce="run-1"), keys(graph, run_nonce="run-2")
    assert first["n"] != second["n"]
    assert first["a"] != second["a"]


def test_two_unseeded_random_nodes_are_two_draws_in_one_run(graph):
    graph.add_node("test.noise", "n1")
    graph.add_node("test.noise", "n2")
    plan = keys(graph, run_nonce="run-1")
    assert plan["n1"] != plan["n2"]


def test_a_seeded_random_node_keeps_its_key_across_runs(graph):
    graph.add_node("test.noise", "n", params={"seed": 3})
    assert keys(graph, run_nonce="run-1") == keys(graph, run_nonce="run-2")


def test_deterministic_nodes_ignore_the_run_nonce(graph):
    build_branches(graph)
    assert keys(graph, run_nonce="run-1") == keys(graph, run_nonce="run-2")


# -- scale -----------------------------------------------------------------------------------
def test_a_20000_node_chain_plans_without_hitting_the_recursion_limit(graph):
    n = 20_000
    assert n > sys.getrecursionlimit()
    graph.add_node("test.const", "n0")
    for i in range(1, n):
        graph.add_node("test.add", f"n{i}")
        graph.connect(f"n{i - 1}.out", f"n{i}.x")
    start = time.perf_counter()
    plan = make_plan(graph)
    seconds = time.perf_counter() - start
    assert len(plan.order) == n and plan.order[0] == "n0" and plan.order[-1] == f"n{n - 1}"
    assert len(set(plan.keys.values())) == n
    assert seconds < 5
