"""The executor: what it plans, what runs in parallel, how failures, events and cancellation
behave, and the values it hands on. Caching across runs is specified in test_caching.py."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict

import numpy as np
import pytest

from thyra_graph.engine import events as ev
from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph, GraphError
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Number, Text

# -- tiny node types ---------------------------------------------------------------------------
CALLS: dict[str, int] = defaultdict(int)  # calls per node type, reset for every test


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


@node("exec.const", params=[Param("value", 1.0, help="the number")], outputs=[Output("out", Number)])
def const(*, value):
    """A constant."""
    CALLS["exec.const"] += 1
    return value


@node("exec.add", inputs=[Input("x", Number)], params=[Param("inc", 1.0, help="what to add")],
      outputs=[Output("out", Number)])
def add(x, *, inc):
    """Add a constant."""
    CALLS["exec.add"] += 1
    return x.value + inc


@node("exec.pair", inputs=[Input("x", Number)], outputs=[Output("double", Number), Output("half", Number)])
def pair(x):
    """Two outputs."""
    return {"double": x.value * 2, "half": x.value / 2}


@node("exec.fail", inputs=[Input("x", Number, required=False)], params=[Param("message", "boom", help="the error")],
      outputs=[Output("out", Number)])
def fail(x, *, message):
    """Fail with a message the user can act on."""
    raise NodeError(message)


@node("exec.crash", inputs=[Input("x", Number, required=False)], outputs=[Output("out", Number)])
def crash(x):
    """Fail with a bug."""
    raise ValueError("list index went wrong")


@node("exec.steps", inputs=[Input("x", Number)], params=[Param("steps", 3, help="progress steps")],
      outputs=[Output("out", Number)])
def steps(x, *, steps, ctx):
    """Report progress a few times."""
    for i in range(steps):
        ctx.progress(i + 1, steps, f"step {i + 1}")
    return x.value


@node("exec.wrong_type", outputs=[Output("count", Number)])
def wrong_type():
    """Return text where a number is declared."""
    return "twelve"


@node("exec.missing_output", outputs=[Output("a", Number), Output("b", Number)])
def missing_output():
    """Forget one of two outputs."""
    return {"a": 1}


@node("exec.numpy_number", outputs=[Output("out", Number)])
def numpy_number():
    """Return a numpy scalar for a Number."""
    return np.int64(7)


@node("exec.text", outputs=[Output("out", Text)])
def text():
    """A text."""
    return "hello"


def make_registry(*extra) -> Registry:
    registry = Registry()
    for spec in (const, add, pair, fail, crash, steps, wrong_type, missing_output, numpy_number, text, *extra):
        registry.add(spec)
    return registry


@pytest.fixture
def graph(tmp_path) -> Graph:
    return Graph(make_registry(), name="test", base_dir=tmp_path)


def chain(graph: Graph, n: int, prefix: str = "n") -> str:
    """const → add → add … (n nodes); returns the last node id."""
    graph.add_node("exec.const", f"{prefix}0")
    for i in range(1, n):
        graph.add_node("exec.add", f"{prefix}{i}")
        graph.connect(f"{prefix}{i - 1}.out", f"{prefix}{i}.x")
    return f"{prefix}{n - 1}"


class Recorder:
    """An event handler that keeps every event, from whichever thread it comes."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            self.events.append(event)

    def kinds(self, node_id: str) -> list[str]:
        return [e.kind for e in self.events if e.node == node_id]


# -- planning: only what the target needs ------------------------------------------------------
@pytest.fixture
def branched(graph) -> Graph:
    """a → b → c, and a → d: two sinks (c, d)."""
    graph.add_node("exec.const", "a", params={"value": 2.0})
    graph.add_node("exec.add", "b")
    graph.add_node("exec.add", "c")
    graph.add_node("exec.pair", "d")
    graph.connect("a.out", "b.x")
    graph.connect("b.out", "c.x")
    graph.connect("a.out", "d.x")
    return graph


def test_default_run_computes_every_sink(branched):
    result = Executor().run(branched)
    assert result.ok
    assert set(result.nodes) == {"a", "b", "c", "d"}
    assert result.outputs["c.out"].value == 4.0
    assert result.outputs["d.double"].value == 4.0


def test_target_node_runs_only_its_ancestors(branched):
    result = Executor().run(branched, ["b"])
    assert result.ok
    assert set(result.nodes) == {"a", "b"}
    assert {ref: v.value for ref, v in result.outputs.items()} == {"b.out": 3.0}


def test_target_output_reports_only_that_output(branched):
    result = Executor().run(branched, ["d.half"])
    assert set(result.nodes) == {"a", "d"}
    assert list(result.outputs) == ["d.half"]
    assert result.outputs["d.half"].value == 1.0


def test_unknown_target_is_refused_naming_the_nodes(branched):
    with pytest.raises(GraphError, match="no node 'zz'.*a, b, c, d"):
        Executor().run(branched, ["zz"])
    with pytest.raises(GraphError, match="no output 'nope'.*double, half"):
        Executor().run(branched, ["d.nope"])


# -- parallel branches ---------------------------------------------------------------------------
def barrier_registry(barrier: threading.Barrier, device: str = "cpu") -> Registry:
    @node("exec.meet", device=device, inputs=[Input("x", Number)], params=[Param("tag", 0, help="tells twins apart")],
          outputs=[Output("out", Number)])
    def meet(x, *, tag):
        """Wait until the other branch is running too."""
        barrier.wait()  # raises BrokenBarrierError after the barrier's timeout
        return x.value + tag

    return make_registry(meet)


def two_branches(registry: Registry, tmp_path) -> Graph:
    graph = Graph(registry, name="branches", base_dir=tmp_path)
    graph.add_node("exec.const", "src")
    for tag in (1, 2):
        graph.add_node("exec.meet", f"branch{tag}", params={"tag": tag})
        graph.connect("src.out", f"branch{tag}.x")
    return graph


def test_independent_branches_run_at_the_same_time(tmp_path):
    graph = two_branches(barrier_registry(threading.Barrier(2, timeout=10)), tmp_path)
    result = Executor(workers=2).run(graph)
    assert result.ok, {n: r.error for n, r in result.nodes.items()}
    assert result.outputs["branch1.out"].value == 2.0
    assert result.outputs["branch2.out"].value == 3.0


def test_one_worker_runs_branches_one_after_the_other(tmp_path):
    # The counterpart of the test above: with no parallelism the barrier cannot be met.
    graph = two_branches(barrier_registry(threading.Barrier(2, timeout=0.3)), tmp_path)
    result = Executor(workers=1).run(graph)
    assert result.status == "failed"
    assert "BrokenBarrierError" in result.nodes["branch1"].error


def test_gpu_nodes_never_run_at_the_same_time(tmp_path):
    active, peak, lock = [0], [0], threading.Lock()

    @node("exec.gpu_work", device="gpu", inputs=[Input("x", Number)], params=[Param("tag", 0, help="twin")],
          outputs=[Output("out", Number)])
    def gpu_work(x, *, tag):
        """Hold the device for a moment."""
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.1)
        with lock:
            active[0] -= 1
        return x.value + tag

    graph = Graph(make_registry(gpu_work), name="gpu", base_dir=tmp_path)
    graph.add_node("exec.const", "src")
    for tag in range(3):
        graph.add_node("exec.gpu_work", f"gpu{tag}", params={"tag": tag})
        graph.connect("src.out", f"gpu{tag}.x")
    result = Executor(workers=3).run(graph)
    assert result.ok
    assert peak[0] == 1


def test_gpu_nodes_are_serialised_across_executors(tmp_path):
    # Two executors in one process (an editor and a batch run) share the one GPU.
    barrier = threading.Barrier(2, timeout=0.5)
    graphs = [two_branches(barrier_registry(barrier, device="gpu"), tmp_path) for _ in range(2)]
    for graph in graphs:
        graph.remove_node("branch2")
    results = []
    threads = [threading.Thread(target=lambda g=g: results.append(Executor().run(g))) for g in graphs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Had the two GPU nodes overlapped they would have met at the barrier and both succeeded.
    assert sorted(r.status for r in results) == ["failed", "failed"]


# -- failures ---------------------------------------------------------------------------------
@pytest.fixture
def failing(graph) -> Graph:
    """src → broken → after → last, and an independent branch other → other_add."""
    graph.add_node("exec.const", "src")
    graph.add_node("exec.fail", "broken", params={"message": "the input file is unreadable: check 'path'"})
    graph.add_node("exec.add", "after")
    graph.add_node("exec.add", "last")
    graph.connect("src.out", "broken.x")
    graph.connect("broken.out", "after.x")
    graph.connect("after.out", "last.x")
    graph.add_node("exec.const", "other", params={"value": 10.0})
    graph.add_node("exec.add", "other_add")
    graph.connect("other.out", "other_add.x")
    return graph


def test_failing_node_skips_its_descendants_naming_the_cause(failing):
    result = Executor().run(failing)
    assert result.status == "failed"
    assert result.nodes["broken"].status == "failed"
    for descendant in ("after", "last"):
        assert result.nodes[descendant].status == "skipped"
        assert "'broken'" in result.nodes[descendant].error


def test_independent_branch_finishes_and_stays_cached_after_a_failure(failing, tmp_path):
    first = Executor(disk=DiskCache(tmp_path / "cache")).run(failing)
    assert first.nodes["other_add"].status == "executed"
    assert first.outputs["other_add.out"].value == 11.0
    second = Executor(disk=DiskCache(tmp_path / "cache")).run(failing)  # as a new process would
    assert second.nodes["other"].status == "cached"
    assert second.nodes["other_add"].status == "cached"
    assert second.nodes["src"].status == "cached"
    assert second.nodes["broken"].status == "failed"  # failures are not cached


def test_node_error_message_is_shown_as_written(failing):
    result = Executor().run(failing)
    assert result.nodes["broken"].error == "the input file is unreadable: check 'path'"
    assert result.nodes["broken"].traceback is None


def test_unexpected_exception_is_reported_with_its_type(graph):
    graph.add_node("exec.crash", "bug")
    result = Executor().run(graph)
    assert result.nodes["bug"].error == "ValueError: list index went wrong"
    assert "Traceback" in result.nodes["bug"].traceback


# -- events -----------------------------------------------------------------------------------
def test_events_follow_each_node_through_its_states(failing):
    failing.add_node("exec.steps", "stepper", params={"steps": 3})
    failing.connect("other_add.out", "stepper.x")
    recorder = Recorder()
    Executor(workers=2).run(failing, on_event=recorder)
    assert recorder.events[0].kind == ev.PLANNED
    assert set(recorder.events[0].data["execute"]) == set(failing.nodes)
    assert recorder.kinds("other") == ["started", "finished"]
    assert recorder.kinds("stepper") == ["started", "progress", "progress", "progress", "finished"]
    assert [e.data["done"] for e in recorder.events if e.node == "stepper" and e.kind == "progress"] == [1, 2, 3]
    assert recorder.kinds("broken") == ["started", "failed"]
    assert recorder.kinds("after") == ["skipped"]
    assert recorder.kinds("last") == ["skipped"]
    failed = next(e for e in recorder.events if e.kind == ev.FAILED)
    assert failed.data["error"] == "the input file is unreadable: check 'path'"


def test_cached_nodes_report_one_cached_event(graph):
    last = chain(graph, 3)
    executor = Executor()
    executor.run(graph)
    recorder = Recorder()
    executor.run(graph, on_event=recorder)
    assert recorder.events[0].kind == ev.PLANNED
    assert recorder.events[0].data["execute"] == []
    for node_id in ("n0", "n1", last):
        assert recorder.kinds(node_id) == ["cached"]
        assert next(e for e in recorder.events if e.node == node_id).data["source"] == "memory"


def test_a_broken_event_handler_does_not_break_the_run(graph):
    chain(graph, 3)

    def handler(event):
        raise RuntimeError("display crashed")

    assert Executor().run(graph, on_event=handler).ok


# -- cancellation -----------------------------------------------------------------------------
def spin_registry(started: threading.Event) -> Registry:
    @node("exec.spin", inputs=[Input("x", Number)], outputs=[Output("out", Number)])
    def spin(x, *, ctx):
        """Work until cancelled (gives up after 10 s so a broken cancel fails instead of hanging)."""
        started.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ctx.progress(0, None, "spinning")
            time.sleep(0.005)
        return x.value

    return make_registry(spin)


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_stops_a_running_node_promptly_and_keeps_earlier_results(tmp_path, workers):
    started = threading.Event()
    graph = Graph(spin_registry(started), name="cancel", base_dir=tmp_path)
    chain(graph, 2)
    graph.add_node("exec.spin", "spin")
    graph.add_node("exec.add", "after_spin")
    graph.connect("n1.out", "spin.x")
    graph.connect("spin.out", "after_spin.x")
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def cancel_when_spinning():
        started.wait(10)
        cancelled_at.append(time.monotonic())
        cancel.set()

    threading.Thread(target=cancel_when_spinning, daemon=True).start()
    executor = Executor(workers=workers)
    recorder = Recorder()
    result = executor.run(graph, cancel=cancel, on_event=recorder)
    assert time.monotonic() - cancelled_at[0] < 1.0
    assert result.status == "cancelled"
    assert result.nodes["spin"].status == "skipped"
    assert "cancel" in result.nodes["spin"].error
    assert result.nodes["after_spin"].status == "skipped"
    assert recorder.events[-1].kind == ev.CANCELLED

    again = executor.run(graph, ["n1"])
    assert [again.nodes[n].status for n in ("n0", "n1")] == ["cached", "cached"]


def test_a_cancelled_run_starts_nothing_new(graph):
    chain(graph, 3)
    cancel = threading.Event()
    cancel.set()
    result = Executor().run(graph, cancel=cancel)
    assert result.status == "cancelled"
    assert CALLS["exec.const"] == 0 and CALLS["exec.add"] == 0


# -- values -----------------------------------------------------------------------------------
def test_wrong_output_type_fails_naming_the_output_and_type(graph):
    graph.add_node("exec.wrong_type", "bad")
    result = Executor().run(graph)
    assert result.status == "failed"
    error = result.nodes["bad"].error
    assert "'count'" in error and "Number" in error and "str" in error


def test_missing_output_fails_naming_it(graph):
    graph.add_node("exec.missing_output", "half_done")
    result = Executor().run(graph)
    assert result.nodes["half_done"].status == "failed"
    assert "did not produce output(s) b" in result.nodes["half_done"].error


def test_undeclared_output_fails_naming_it(tmp_path):
    @node("exec.extra_output", outputs=[Output("a", Number), Output("b", Number)])
    def extra_output():
        """Return an output it does not declare."""
        return {"a": 1, "b": 2, "c": 3}

    graph = Graph(make_registry(extra_output), name="extra", base_dir=tmp_path)
    graph.add_node("exec.extra_output", "extra")
    error = Executor().run(graph).nodes["extra"].error
    assert "returned output(s) c it does not declare" in error


def test_plain_return_values_become_the_declared_type(graph):
    graph.add_node("exec.numpy_number", "num")
    graph.add_node("exec.text", "words")
    result = Executor().run(graph)
    assert result.outputs["num.out"] == Number(7)
    assert type(result.outputs["num.out"].value) is int
    assert result.outputs["words.out"] == Text("hello")


def test_json_report_is_strict_json_whatever_the_values(tmp_path):
    @node("exec.odd_values", outputs=[Output("nan", Number), Output("big", Number)])
    def odd_values():
        """Values JSON has no words for."""
        return {"nan": float("nan"), "big": np.float32(1e6)}

    graph = Graph(make_registry(odd_values), name="odd", base_dir=tmp_path)
    graph.add_node("exec.odd_values", "odd")
    report = Executor().run(graph).to_json()
    decoded = json.loads(json.dumps(report, allow_nan=False))
    assert decoded["outputs"] == {"odd.nan": "nan", "odd.big": 1e6}
    assert decoded["nodes"]["odd"] == {"type": "exec.odd_values", "status": "executed",
                                       "seconds": decoded["nodes"]["odd"]["seconds"], "error": None}


def test_missing_required_input_is_refused_before_anything_runs(graph):
    graph.add_node("exec.const", "a")
    graph.add_node("exec.add", "dangling")
    with pytest.raises(GraphError, match="'dangling'.*x not connected"):
        Executor().run(graph)
    assert CALLS["exec.const"] == 0


# -- scale ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1000, 10000])
def test_long_chains_run_without_recursion_limits(graph, n):
    last = chain(graph, n)
    executor = Executor()
    result = executor.run(graph)
    assert result.ok
    assert result.count("executed") == n
    assert result.outputs[f"{last}.out"].value == float(n)
    again = executor.run(graph)
    assert again.count("cached") == n
    assert again.outputs[f"{last}.out"].value == float(n)


def test_nodes_reach_the_runs_store_through_the_context_and_nothing_without_one(tmp_path):
    from thyra_graph.engine.declaration import Output, node
    from thyra_graph.engine.diskcache import DiskCache
    from thyra_graph.engine.executor import Executor
    from thyra_graph.engine.graph import Graph
    from thyra_graph.engine.registry import Registry
    from thyra_graph.types import Text

    @node("test.where", outputs=[Output("out", Text)])
    def where(*, ctx):
        """Report where the node's chunks go and what its memo keeps."""
        ctx.memo.put("demo", "k" * 16, {"seen": 1})
        return f"{ctx.chunk_folder('fields')}|{ctx.memo.get('demo', 'k' * 16)}"

    registry = Registry()
    registry.add(where)
    graph = Graph(registry)
    graph.add_node("test.where", "w")
    with_disk = Executor(disk=DiskCache(tmp_path / "cache")).run(graph)
    folder, memo = with_disk.outputs["w.out"].text.split("|")
    assert folder == str(tmp_path / "cache" / "v2" / "fields") and memo == "({'seen': 1}, {})"
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    without = Executor(disk=DiskCache(tmp_path / "cache")).run(graph, use_cache=False)
    folder, memo = without.outputs["w.out"].text.split("|")
    assert not folder.startswith(str(tmp_path)) and memo == "None"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("devices", [("cuda:0", "cpu"), ("cuda:0", "cuda:1"), ("cpu", "cpu")])
def test_gpu_nodes_on_different_devices_run_at_the_same_time(tmp_path, devices):
    # The lock is the device's the node names: a model node set to cpu never waits for the GPU.
    barrier = threading.Barrier(2, timeout=10)

    @node("exec.meet_on", device="gpu", inputs=[Input("x", Number)],
          params=[Param("device", "auto", help="where"), Param("tag", 0, help="twin")], outputs=[Output("out", Number)])
    def meet_on(x, *, device, tag):
        """Wait until the other branch is running too."""
        barrier.wait()
        return x.value + tag

    graph = Graph(make_registry(meet_on), name="devices", base_dir=tmp_path)
    graph.add_node("exec.const", "src")
    for tag, device in enumerate(devices):
        graph.add_node("exec.meet_on", f"n{tag}", params={"device": device, "tag": tag})
        graph.connect("src.out", f"n{tag}.x")
    result = Executor(workers=2).run(graph)
    assert result.ok, {n: r.error for n, r in result.nodes.items()}


def test_gpu_nodes_on_the_same_device_take_turns(tmp_path):
    barrier = threading.Barrier(2, timeout=0.3)

    @node("exec.meet_same", device="gpu", inputs=[Input("x", Number)],
          params=[Param("device", "auto", help="where"), Param("tag", 0, help="twin")], outputs=[Output("out", Number)])
    def meet_same(x, *, device, tag):
        """Cannot meet its twin: both want cuda:1."""
        barrier.wait()
        return x.value + tag

    graph = Graph(make_registry(meet_same), name="same", base_dir=tmp_path)
    graph.add_node("exec.const", "src")
    for tag, device in enumerate(("cuda:1", "cuda:1")):
        graph.add_node("exec.meet_same", f"n{tag}", params={"device": device, "tag": tag})
        graph.connect("src.out", f"n{tag}.x")
    result = Executor(workers=2).run(graph)
    assert result.status == "failed"
