"""Batch runs on Ray: actors that each keep one graph worker (and so its loaded models).

Ray places the actors and Thyra does not schedule anything itself: a graph with GPU nodes
(``device="gpu"``) runs in actors that request ``gpus_per_input`` GPUs (fractions share a
GPU), so Ray never runs more of them at once than the cluster has GPUs, and sets
``CUDA_VISIBLE_DEVICES`` in each; other graphs run in one-CPU actors. Every actor uses the one
content-addressed disk cache folder the driver names (local, or a shared filesystem on a
cluster: see docs/scaling.md); Ray's object store carries only jobs and small results.

Started here (no ``address``), Ray listens on the loopback address only.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from thyra_graph.engine.graph import Graph

from .inputs import BatchError
from .plan import BatchJob, uses_gpu
from .worker import GraphWorker, InputResult, WorkerSetup, settle

#: Environment a worker needs to find the same plugins, models and cache as the driver.
FORWARDED_ENV = ("THYRA_PLUGIN_PATH", "THYRA_MODELS_DIR", "THYRA_CACHE_MAX_SIZE", "HF_HUB_OFFLINE", "HF_HOME")
#: Ray's switch for clusters on Windows/macOS; "0" also keeps a Linux Ray on 127.0.0.1.
LOOPBACK_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
#: How long stopped actors get to cancel their run before they are killed.
STOP_GRACE_SECONDS = 10.0


class RayGraphWorker:
    """The actor: one :class:`GraphWorker` for every input it is given."""

    def __init__(self, setup: WorkerSetup) -> None:
        self.worker = GraphWorker(setup)

    def run(self, job: BatchJob) -> InputResult:
        try:
            return self.worker.run(job)
        except KeyboardInterrupt:  # ray.cancel between the executor's checks
            return InputResult(job.index, job.label, "cancelled", worker=self.worker.name)


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` or start Ray on this machine; True if started here."""
    if not address:
        # Read when Ray is imported, and by the processes it starts: a Ray started for one
        # batch listens on the loopback address only (by default it listens on every interface).
        os.environ.setdefault(LOOPBACK_ONLY_ENV, "0")
    try:
        import ray
    except ImportError as exc:
        raise BatchError(f"the Ray executor needs Ray ({exc}): pip install 'thyra-graph[ray]', "
                         "or use the local process pool (jobs=N)") from None

    if ray.is_initialized():
        return False
    env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    try:
        if address:
            ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
        else:
            # A Ray started for one batch is private to this machine: loopback only, no dashboard.
            ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", runtime_env={"env_vars": env},
                     log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise BatchError(f"--address {address!r}: could not join a Ray cluster ({exc}); start one with `ray start "
                         "--head`, or leave --address out to run Ray on this machine") from None
    return True


def disconnect(started_here: bool) -> None:
    """Stop the Ray that :func:`connect` started here (its actors with it)."""
    import ray

    if started_here:
        ray.shutdown()


def run_on_ray(setup: WorkerSetup, jobs: Sequence[BatchJob], *, graph: Graph, address: str | None, jobs_hint: int,
               retries: int, gpus_per_input: float,
               notify: Callable[[str, BatchJob, InputResult | None], None]) -> list[InputResult]:
    """Run ``jobs`` on Ray actors; results in the order they finish."""
    import ray

    if not jobs:
        return []
    started_here = connect(address)
    try:
        return _run(ray, setup, list(jobs), graph=graph, jobs_hint=jobs_hint, retries=retries,
                    gpus_per_input=gpus_per_input, notify=notify)
    finally:
        disconnect(started_here)


def _run(ray: Any, setup: WorkerSetup, jobs: list[BatchJob], *, graph: Graph, jobs_hint: int, retries: int,
         gpus_per_input: float, notify: Callable[..., None]) -> list[InputResult]:
    resources = ray.cluster_resources()
    env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
    if uses_gpu(graph, setup.targets):
        gpus = resources.get("GPU", 0)
        if gpus < gpus_per_input:
            raise BatchError(f"the graph has GPU nodes and asks {gpus_per_input} GPU per input, but the Ray cluster has "
                             f"{gpus:g} GPUs: add GPU nodes to the cluster, or lower --gpus-per-input")
        count = int(gpus // gpus_per_input + 1e-9)
        options = {"num_gpus": gpus_per_input, "num_cpus": 0}
    else:
        count = jobs_hint if jobs_hint > 1 else max(1, int(resources.get("CPU", 1)))
        options = {"num_cpus": 1}
    actor_class = ray.remote(RayGraphWorker).options(**options, runtime_env={"env_vars": env})
    actors = [actor_class.remote(setup) for _ in range(min(count, len(jobs)))]
    queue = jobs[::-1]
    attempts: dict[int, int] = {}
    in_flight: dict[Any, tuple[Any, BatchJob]] = {}
    idle = list(actors)
    results: list[InputResult] = []
    try:
        while queue or in_flight:
            while queue and idle:
                job, actor = queue.pop(), idle.pop()
                attempts[job.index] = attempts.get(job.index, 0) + 1
                in_flight[actor.run.remote(job)] = (actor, job)
                notify("started", job, None)
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                actor, job = in_flight.pop(ref)
                idle.append(actor)
                settle(job, _outcome(ray, ref, job), attempts[job.index], retries=retries, notify=notify,
                       retry=queue.append, results=results)
    except KeyboardInterrupt:  # cancel the running inputs cleanly, keep what they report
        for ref in in_flight:
            ray.cancel(ref)
        try:
            ready, _ = ray.wait(list(in_flight), num_returns=len(in_flight), timeout=STOP_GRACE_SECONDS)
        except KeyboardInterrupt:
            ready = []
        for ref in ready:
            result = _outcome(ray, ref, in_flight[ref][1])
            notify("finished", in_flight[ref][1], result)
            results.append(result)
    finally:
        for actor in actors:
            ray.kill(actor)
    return results


def _outcome(ray: Any, ref: Any, job: BatchJob) -> InputResult:
    try:
        return ray.get(ref)
    except ray.exceptions.TaskCancelledError:
        return InputResult(job.index, job.label, "cancelled")
    except ray.exceptions.RayError as exc:  # the actor died (a node lost, out of memory)
        return InputResult(job.index, job.label, "failed", error=f"the Ray worker ended: {type(exc).__name__}: {exc}")
