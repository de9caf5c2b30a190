"""Caching end to end: what a re-run executes, from memory, from disk and in a new process;
what invalidates a result (a parameter, a written file, a corrupt entry) and what never is
cached (--no-cache, unseeded random nodes)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Number, Path as PathValue

REPO = Path(__file__).resolve().parents[2]
COINS_GRAPH = REPO / "tests" / "fixtures" / "coins_count.yaml"

CALLS: Counter[str] = Counter()  # node function calls by type, reset for every test


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


@node("cache.const", params=[Param("value", 1.0, help="the number")], outputs=[Output("out", Number)])
def const(*, value):
    """A constant."""
    CALLS["const"] += 1
    return value


@node("cache.add", inputs=[Input("x", Number)], params=[Param("inc", 1.0, help="what to add")],
      outputs=[Output("out", Number)])
def add(x, *, inc):
    """Add a constant."""
    CALLS["add"] += 1
    return x.value + inc


@node("cache.write", inputs=[Input("x", Number)],
      params=[Param("path", "out.txt", kind="path", io="write", help="file to write")],
      outputs=[Output("path", PathValue)])
def write(x, *, path):
    """Write a number to a text file."""
    CALLS["write"] += 1
    Path(path).write_text(str(x.value))
    return path


@node("cache.read", params=[Param("path", "in.txt", kind="path", io="read", help="file to read")],
      outputs=[Output("out", Number)])
def read(*, path):
    """The number written in a text file."""
    CALLS["read"] += 1
    return float(Path(path).read_text())


@node("cache.noise", deterministic=False, params=[Param("seed", None, kind="int", seed=True, help="fixed seed")],
      outputs=[Output("out", Number)])
def noise(*, seed):
    """A random number."""
    import random

    CALLS["noise"] += 1
    return random.Random(seed).random()


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    for spec in (const, add, write, read, noise):
        registry.add(spec)
    return registry


@pytest.fixture
def graph(registry, tmp_path) -> Graph:
    """src → a → b → save (writes out.txt in tmp_path), and src → c (+10)."""
    graph = Graph(registry, name="cached", base_dir=tmp_path)
    graph.add_node("cache.const", "src", params={"value": 1.0})
    for node_id, upstream, inc in (("a", "src", 1.0), ("b", "a", 1.0), ("c", "src", 10.0)):
        graph.add_node("cache.add", node_id, params={"inc": inc})
        graph.connect(f"{upstream}.out", f"{node_id}.x")
    graph.add_node("cache.write", "save")
    graph.connect("b.out", "save.x")
    return graph


@pytest.fixture
def disk(tmp_path) -> DiskCache:
    return DiskCache(tmp_path / "cache")


def statuses(result) -> dict[str, str]:
    return {node_id: r.status for node_id, r in result.nodes.items()}


# -- unchanged re-runs ------------------------------------------------------------------------
def test_unchanged_rerun_executes_nothing_from_memory(graph):
    executor = Executor()
    first = executor.run(graph)
    assert set(statuses(first).values()) == {"executed"}
    calls = sum(CALLS.values())
    second = executor.run(graph)
    assert set(statuses(second).values()) == {"cached"}
    assert {r.source for r in second.nodes.values()} == {"memory"}
    assert sum(CALLS.values()) == calls
    assert second.outputs["c.out"].value == 11.0


def test_unchanged_rerun_with_a_fresh_memory_is_served_from_disk(graph, disk):
    Executor(disk=disk).run(graph)
    calls = sum(CALLS.values())
    second = Executor(disk=disk).run(graph)
    assert set(statuses(second).values()) == {"cached"}
    assert second.nodes["c"].source == "disk"
    assert second.outputs["c.out"].value == 11.0
    assert sum(CALLS.values()) == calls


def test_parameter_change_reruns_only_that_node_and_its_descendants(graph):
    executor = Executor()
    executor.run(graph)
    graph.set_param("a", "inc", 5.0)
    result = executor.run(graph)
    assert statuses(result) == {"src": "cached", "a": "executed", "b": "executed", "save": "executed", "c": "cached"}
    assert Path(graph.base_dir, "out.txt").read_text() == "7.0"


def test_changing_a_parameter_back_finds_the_earlier_result(graph):
    executor = Executor()
    executor.run(graph, ["b"])
    graph.set_param("a", "inc", 5.0)
    executor.run(graph, ["b"])
    graph.set_param("a", "inc", 1.0)
    assert set(statuses(executor.run(graph, ["b"])).values()) == {"cached"}


def test_identical_subgraphs_under_other_ids_share_results(graph):
    executor = Executor(workers=1)
    graph.add_node("cache.const", "src_twin", params={"value": 1.0})
    graph.add_node("cache.add", "a_twin")
    graph.connect("src_twin.out", "a_twin.x")
    result = executor.run(graph)
    # Same type, params and inputs: the twin is the same work, done once.
    assert result.nodes["src_twin"].status == "cached"
    assert result.nodes["a_twin"].status == "cached"
    assert result.outputs["a_twin.out"].value == 2.0
    assert CALLS["const"] == 1


def test_identical_subgraph_in_another_graph_is_cached(registry, graph, tmp_path):
    executor = Executor()
    executor.run(graph)
    other = Graph(registry, name="other", base_dir=tmp_path)
    other.add_node("cache.const", "first", params={"value": 1.0})
    other.add_node("cache.add", "second", params={"inc": 10.0})
    other.connect("first.out", "second.x")
    assert set(statuses(executor.run(other)).values()) == {"cached"}


def test_changed_input_file_reruns_its_reader_and_descendants(registry, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("1")
    graph = Graph(registry, name="reader", base_dir=tmp_path)
    graph.add_node("cache.read", "read")
    graph.add_node("cache.add", "plus")
    graph.connect("read.out", "plus.x")
    graph.add_node("cache.const", "other")
    executor = Executor()
    executor.run(graph)
    source.write_text("41")
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    result = executor.run(graph)
    assert statuses(result) == {"read": "executed", "plus": "executed", "other": "cached"}
    assert result.outputs["plus.out"].value == 42.0


# -- corrupt entries --------------------------------------------------------------------------
def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_corrupt_disk_entry_is_recomputed_not_returned(graph, disk, caplog):
    first = Executor(disk=disk).run(graph, ["b"])
    truncate(disk.store.path_for("results", first.nodes["b"].key))
    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        second = Executor(disk=disk).run(graph, ["b"])
    assert second.ok
    assert statuses(second) == {"src": "cached", "a": "cached", "b": "executed"}
    assert second.outputs["b.out"].value == 3.0
    assert "corrupt" in caplog.text
    # The recomputed result replaced the broken entry.
    assert set(statuses(Executor(disk=disk).run(graph, ["b"])).values()) == {"cached"}


def test_every_entry_corrupt_recomputes_everything_needed(graph, disk):
    Executor(disk=disk).run(graph)
    entries = list(disk.root.rglob("*.thyra"))
    assert len(entries) == 5
    for entry in entries:
        truncate(entry)
    result = Executor(disk=disk).run(graph)
    assert result.ok
    assert set(statuses(result).values()) == {"executed"}
    assert result.outputs["c.out"].value == 11.0


def test_garbage_in_place_of_an_entry_is_recomputed(graph, disk):
    first = Executor(disk=disk).run(graph, ["a"])
    disk.store.path_for("results", first.nodes["a"].key).write_bytes(b"not a cache entry at all")
    result = Executor(disk=disk).run(graph, ["a"])
    assert statuses(result) == {"src": "cached", "a": "executed"}
    assert result.outputs["a.out"].value == 2.0


# -- sinks ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fresh_memory", [False, True], ids=["memory", "disk"])
def test_sink_whose_file_was_deleted_runs_again_and_upstream_stays_cached(graph, disk, fresh_memory):
    executor = Executor(disk=disk)
    executor.run(graph)
    written = Path(graph.base_dir, "out.txt")
    written.unlink()
    result = (Executor(disk=disk) if fresh_memory else executor).run(graph)
    assert statuses(result) == {"src": "cached", "a": "cached", "b": "cached", "save": "executed", "c": "cached"}
    assert written.read_text() == "3.0"


def test_sink_whose_file_was_modified_runs_again(graph):
    executor = Executor()
    executor.run(graph)
    written = Path(graph.base_dir, "out.txt")
    written.write_text("edited by hand")
    stat = written.stat()
    os.utime(written, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # coarse file-system clocks
    result = executor.run(graph)
    assert result.nodes["save"].status == "executed"
    assert result.nodes["b"].status == "cached"
    assert written.read_text() == "3.0"
    assert executor.run(graph).nodes["save"].status == "cached"


# -- what is never cached -------------------------------------------------------------------
def test_no_cache_executes_everything_and_stores_nothing(graph, disk):
    executor = Executor(disk=disk)
    for _ in range(2):
        result = executor.run(graph, use_cache=False)
        assert set(statuses(result).values()) == {"executed"}
    assert len(executor.memory) == 0
    assert disk.store.usage().entries == 0


def test_unseeded_random_node_runs_every_time_and_so_do_its_descendants(registry, tmp_path):
    graph = Graph(registry, name="random", base_dir=tmp_path)
    graph.add_node("cache.noise", "noise")
    graph.add_node("cache.add", "shifted")
    graph.connect("noise.out", "shifted.x")
    executor = Executor()
    values = set()
    for _ in range(2):
        result = executor.run(graph)
        assert statuses(result) == {"noise": "executed", "shifted": "executed"}
        values.add(result.outputs["shifted.out"].value)
    assert len(values) == 2


def test_unseeded_results_are_not_stored_since_no_later_run_could_use_them(registry, tmp_path, disk):
    graph = Graph(registry, name="random", base_dir=tmp_path)
    graph.add_node("cache.noise", "noise")
    graph.add_node("cache.add", "shifted")
    graph.connect("noise.out", "shifted.x")
    graph.add_node("cache.const", "steady")
    executor = Executor(disk=disk)
    executor.run(graph)
    assert disk.store.usage().entries == 1  # only "steady"
    assert len(executor.memory) == 1


def test_seeded_random_node_is_cached(registry, tmp_path):
    graph = Graph(registry, name="random", base_dir=tmp_path)
    graph.add_node("cache.noise", "noise", params={"seed": 7})
    executor = Executor()
    first = executor.run(graph)
    second = executor.run(graph)
    assert second.nodes["noise"].status == "cached"
    assert second.outputs["noise.out"] == first.outputs["noise.out"]


def test_two_unseeded_random_nodes_in_one_run_draw_separately(registry, tmp_path):
    graph = Graph(registry, name="random", base_dir=tmp_path)
    graph.add_node("cache.noise", "first")
    graph.add_node("cache.noise", "second")
    result = Executor(workers=1).run(graph)
    assert statuses(result) == {"first": "executed", "second": "executed"}
    assert result.outputs["first.out"] != result.outputs["second.out"]


# -- across processes (the CLI) ---------------------------------------------------------------
def thyra(*args: str, cwd: Path) -> dict:
    env = dict(os.environ, THYRA_PLUGIN_PATH="", XDG_DATA_HOME=str(cwd / "xdg"))
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def cli_cache(tmp_path_factory) -> tuple[Path, dict]:
    """A disk cache filled by one `thyra run` of the coins graph, and that run's JSON."""
    cwd = tmp_path_factory.mktemp("cli")
    first = thyra("run", str(COINS_GRAPH), "--json", "--cache-dir", str(cwd / "cache"), cwd=cwd)
    return cwd, first


def test_new_process_reruns_nothing_from_the_disk_cache(cli_cache):
    cwd, first = cli_cache
    assert {n["status"] for n in first["nodes"].values()} == {"executed"}
    second = thyra("run", str(COINS_GRAPH), "--json", "--cache-dir", str(cwd / "cache"), cwd=cwd)
    assert {n["status"] for n in second["nodes"].values()} == {"cached"}
    assert second["outputs"] == first["outputs"]
    assert first["outputs"]["coins.count"] == 24


def test_set_in_a_new_process_reruns_only_that_node_and_its_descendants(cli_cache):
    cwd, _ = cli_cache
    result = thyra("run", str(COINS_GRAPH), "--json", "--cache-dir", str(cwd / "cache"),
                   "--set", "threshold.value=100", cwd=cwd)
    assert {n: r["status"] for n, r in result["nodes"].items()} == {
        "load": "cached", "gray": "cached", "blur": "cached", "threshold": "executed", "coins": "executed"}


def test_two_processes_sharing_a_cache_at_once_corrupt_nothing(tmp_path):
    env = dict(os.environ, THYRA_PLUGIN_PATH="", XDG_DATA_HOME=str(tmp_path / "xdg"))
    command = [sys.executable, "-m", "thyra_graph.cli", "run", str(COINS_GRAPH), "--json", "--cache-dir", str(tmp_path / "cache")]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        stdout, stderr = run.communicate(timeout=60)
        assert run.returncode == 0, stderr
        assert json.loads(stdout)["outputs"]["coins.count"] == 24
    third = thyra("run", str(COINS_GRAPH), "--json", "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)
    assert {n["status"] for n in third["nodes"].values()} == {"cached"}
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_no_cache_in_a_new_process_writes_no_entries(tmp_path):
    for _ in range(2):
        result = thyra("run", str(COINS_GRAPH), "--json", "--no-cache", "--cache-dir", str(tmp_path / "cache"), cwd=tmp_path)
        assert {n["status"] for n in result["nodes"].values()} == {"executed"}
    assert not list(tmp_path.rglob("*.thyra"))
