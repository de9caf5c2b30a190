"""Run a batch: one run of a graph per input, here, on a process pool, or on Ray.

    >>> from thyra_graph import load_graph
    >>> from thyra_graph.batch import run_batch
    >>> graph = load_graph("graphs/quickstart.yaml")                 # doctest: +SKIP
    >>> batch = run_batch(graph, [{"load.path": "a.png"}, {"load.path": "b.png"}], jobs=2)  # doctest: +SKIP
    >>> [(r.label, r.status) for r in batch.results]                 # doctest: +SKIP
    [('a.png', 'ok'), ('b.png', 'ok')]

A failed input does not stop the others; ``retries`` runs a failed input again; ``resume``
skips inputs whose output files Thyra wrote and nobody changed since. Every worker shares the
one content-addressed disk cache, so an input finished before costs little even without
``resume``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from thyra_graph.engine.graph import Graph

from .inputs import BatchError, BatchInput
from .plan import BatchJob, plan_batch
from .worker import GraphWorker, InputResult, WorkerSetup

EXECUTORS = ("local", "ray")


@dataclass
class BatchResult:
    """Every input's result, in input order, and the batch's status."""

    graph: str
    results: list[InputResult]
    planned: int

    @property
    def status(self) -> str:
        """ok, failed (an input failed), or cancelled (stopped before every input ran)."""
        statuses = {r.status for r in self.results}
        if "cancelled" in statuses or len(self.results) < self.planned:
            return "cancelled"
        return "failed" if "failed" in statuses else "ok"

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def to_json(self) -> dict[str, Any]:
        return {"graph": self.graph, "status": self.status, "inputs": self.planned,
                **{s: self.count(s) for s in ("ok", "failed", "cancelled", "resumed")},
                "not_run": self.planned - len(self.results)}


def run_batch(graph: Graph, inputs: Sequence[BatchInput | Mapping[str, Any]], *, executor: str = "local",
              jobs: int = 1, retries: int = 0, resume: bool = False, targets: Iterable[str] = (),
              cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True, content_hash: bool = False,
              address: str | None = None, gpus_per_input: float = 1.0,
              notify: Callable[[str, BatchJob, InputResult | None], None] | None = None,
              on_event: Any = None, cancel: threading.Event | None = None,
              planned: Sequence[BatchJob] | None = None) -> BatchResult:
    """Run ``graph`` once per input and return every input's result.

    ``inputs``: :class:`BatchInput` s (see :func:`~thyra_graph.batch.inputs.read_inputs`) or
    plain dicts of ``"node.param": value``. ``executor``: ``"local"`` (``jobs`` processes; 1
    runs in this process) or ``"ray"`` (``address``: ``"auto"``, ``"HOST:PORT"``, or None to
    start Ray on this machine). Raises :class:`BatchError` before anything runs when the inputs
    do not fit the graph or two inputs would write the same file.
    """
    if executor not in EXECUTORS:
        raise BatchError(f"executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if jobs < 1 or retries < 0:
        raise BatchError("jobs must be at least 1 and retries at least 0")
    items = [i if isinstance(i, BatchInput) else BatchInput(label=_label(i, n), values=dict(i)) for n, i in enumerate(inputs)]
    plan = list(planned) if planned is not None else plan_batch(graph, items, parallel=jobs > 1 or executor == "ray")
    notify = notify or (lambda kind, job, result: None)
    setup = WorkerSetup.of(graph, targets=tuple(targets), cache_dir=cache_dir, use_cache=use_cache,
                           content_hash=content_hash, threads=1 if jobs > 1 else None)
    done: list[InputResult] = []
    todo = []
    for job in plan:
        if resume and job.writes and all(_complete(path) for path in job.writes):
            result = InputResult(job.index, job.label, "resumed", attempts=0, outputs=list(job.writes))
            notify("finished", job, result)
            done.append(result)
        else:
            todo.append(job)
    if executor == "ray":
        from .ray_pool import run_on_ray

        if use_cache and cache_dir is None:
            # Every actor must use the folder this process would: name it, rather than let each
            # resolve its own default on its own machine.
            from dataclasses import replace

            from thyra_graph.engine.diskcache import DiskCache

            setup = replace(setup, cache_dir=str(DiskCache().root))
        done += run_on_ray(setup, todo, graph=graph, address=address, jobs_hint=jobs, retries=retries,
                           gpus_per_input=gpus_per_input, notify=notify)
    elif jobs == 1:
        worker = GraphWorker(setup, graph=_copy(graph, setup))
        done += _in_process(worker, todo, retries, notify, on_event, cancel)
    else:
        from .local import run_in_pool

        local = GraphWorker(setup, graph=_copy(graph, setup))  # this process works too (see run_in_pool)
        done += run_in_pool(setup, todo, processes=min(jobs, max(1, len(todo))), retries=retries, notify=notify,
                            on_event=on_event, local=local)
    return BatchResult(graph.name, sorted(done, key=lambda r: r.index), len(plan))


def _in_process(worker: GraphWorker, todo: list[BatchJob], retries: int, notify, on_event, cancel) -> list[InputResult]:
    from .local import run_in_process

    return run_in_process(worker, todo, retries=retries, notify=notify, on_event=on_event, cancel=cancel)


def _copy(graph: Graph, setup: WorkerSetup) -> Graph:
    """A private copy of ``graph`` (its registry kept: nodes registered in code work here)."""
    from .worker import rebuild_graph

    return rebuild_graph(setup, graph.registry)


def _complete(path: str) -> bool:
    from thyra_graph.nodes.io.paths import written_by_thyra

    return written_by_thyra(path)


def _label(values: Mapping[str, Any], index: int) -> str:
    first = next(iter(values.values()), None)
    return str(first) if isinstance(first, (str, os.PathLike)) else f"input {index}"
