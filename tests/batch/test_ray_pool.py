"""--executor ray on a local Ray with two logical GPUs, started once for the session.

Ray listens on the loopback address only (checked); its start costs seconds, so the tests
here are few and share it.
"""

from __future__ import annotations

import json
import os

import pytest
from batch.helpers import graph_of, text_inputs

from thyra_graph.api import run_batch

# Read by Ray when it is imported: with it, Ray and the processes it starts listen on the
# loopback address only (by default on Linux they listen on every interface).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'thyra-graph[ray]'); the Ray executor is untested here")


@pytest.fixture(scope="session")
def local_ray():
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_listens_on_the_loopback_address_only(local_ray):
    import psutil

    processes = [psutil.Process(), *psutil.Process().children(recursive=True)]
    pids = {p.pid for p in processes}
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in pids]
    assert listening, "no Ray process found listening at all"
    assert {c.laddr.ip for c in listening} <= {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def test_ray_writes_what_the_local_pool_writes_and_loads_the_model_once_per_actor(local_ray, batchkit, tmp_path):
    inputs = text_inputs(tmp_path, 6)
    rows = [{"work.path": str(p)} for p in inputs]
    local = run_batch(graph_of(batchkit, tmp_path, "batchkit.modelled", "local/{stem}.txt",
                               loads=str(tmp_path / "local_loads.txt")), rows)
    loads = tmp_path / "ray_loads.txt"
    remote = run_batch(graph_of(batchkit, tmp_path, "batchkit.modelled", "ray/{stem}.txt", loads=str(loads)), rows,
                       executor="ray")
    assert local.status == remote.status == "ok"
    for path in inputs:
        assert (tmp_path / "ray" / f"{path.stem}.txt").read_bytes() == (tmp_path / "local" / f"{path.stem}.txt").read_bytes()
    actors = {r.worker for r in remote.results}
    pids = loads.read_text().split()
    assert len(pids) == len(set(pids)) == len(actors) <= 2  # one load per actor, not per input


def test_gpu_nodes_run_in_actors_with_visible_gpus_never_more_at_once_than_declared(local_ray, batchkit, tmp_path):
    inputs = text_inputs(tmp_path, 4)
    rows = [{"work.path": str(p)} for p in inputs]
    for share, most in ((2.0, 1), (0.5, 4)):
        out = f"gpu{share}"
        graph = graph_of(batchkit, tmp_path, "batchkit.gpu_probe", f"{out}/{{stem}}.json", seconds=0.3)
        assert run_batch(graph, rows, executor="ray", gpus_per_input=share).status == "ok"
        records = [json.loads((tmp_path / out / f"{p.stem}.json").read_text()) for p in inputs]
        assert all(r["cuda"] for r in records) and {r["cuda"] for r in records} <= {"0", "1", "0,1", "1,0"}
        overlap = max(sum(1 for o in records if o["start"] < r["end"] and r["start"] < o["end"]) for r in records)
        assert overlap <= most, (share, records)
    assert overlap > 1  # half a GPU each: inputs did share the GPUs
