"""run_batch on this machine: in this process and on a process pool that keeps models loaded."""

from __future__ import annotations

from batch.helpers import graph_of, text_inputs

from thyra_graph.api import run_batch


def test_a_process_pool_loads_the_model_once_per_worker_not_per_input(batchkit, tmp_path):
    inputs = text_inputs(tmp_path, 6)
    loads = tmp_path / "loads.txt"
    graph = graph_of(batchkit, tmp_path, "batchkit.modelled", "out/{stem}.txt", loads=str(loads))
    batch = run_batch(graph, [{"work.path": str(p)} for p in inputs], jobs=2)
    assert batch.status == "ok" and [r.status for r in batch.results] == ["ok"] * 6
    workers = {r.worker for r in batch.results}
    assert 1 <= len(workers) <= 2
    pids = loads.read_text().split()
    assert len(pids) == len(set(pids)) == len(workers)  # one load per worker process
    assert sorted(p.name for p in (tmp_path / "out").glob("*.txt")) == [f"{p.stem}.txt" for p in inputs]


def test_in_process_results_come_in_input_order_and_a_failure_stops_nothing(batchkit, tmp_path):
    inputs = text_inputs(tmp_path, 3)
    inputs[1].unlink()
    loads = tmp_path / "loads.txt"
    graph = graph_of(batchkit, tmp_path, "batchkit.modelled", "out/{stem}.txt", loads=str(loads))
    batch = run_batch(graph, [{"work.path": str(p)} for p in inputs], retries=2)
    assert [(r.index, r.status) for r in batch.results] == [(0, "ok"), (1, "failed"), (2, "ok")]
    assert batch.results[1].attempts == 3 and "item01.txt" in batch.results[1].error
    assert batch.status == "failed" and len(loads.read_text().split()) == 1
    assert graph.params("work")["out"] == "out/{stem}.txt"  # the caller's graph is left as it was


def test_node_events_of_pool_workers_reach_the_caller_tagged_with_their_input(batchkit, tmp_path):
    inputs = text_inputs(tmp_path, 4)
    graph = graph_of(batchkit, tmp_path, "batchkit.modelled", "out/{stem}.txt", loads=str(tmp_path / "loads.txt"))
    events = []
    batch = run_batch(graph, [{"work.path": str(p)} for p in inputs], jobs=2, on_event=events.append)
    assert batch.status == "ok"
    finished = sorted(e.data["batch_input"] for e in events if e.kind == "finished" and e.node == "work")
    assert finished == [0, 1, 2, 3]
