"""One batch worker: a graph and an executor kept for every input it runs.

A pool process or a Ray actor builds one :class:`GraphWorker` and hands it input after input,
so its registry, memory cache and loaded models (the executor's resource cache) are made once
per worker, not once per input. What crosses process boundaries is plain data: the graph as
graph-file data, a :class:`~thyra_graph.batch.plan.BatchJob`, an :class:`InputResult`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from thyra_graph.engine.graph import Graph

from .plan import BatchJob


@dataclass
class InputResult:
    """What one input's run gave: status, time, files written, the first error."""

    index: int
    label: str
    status: str  # ok | failed | cancelled | resumed (skipped: its outputs were complete)
    seconds: float = 0.0
    attempts: int = 1
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    nodes: dict[str, Any] = field(default_factory=dict)
    worker: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data = {"input": data.pop("label"), **data, "seconds": round(self.seconds, 4)}
        return data


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to rebuild the graph and its executor on its own (plain data)."""

    graph: dict[str, Any]
    base_dir: str
    targets: tuple[str, ...] = ()
    cache_dir: str | None = None
    use_cache: bool = True
    content_hash: bool = False
    threads: int | None = None

    @classmethod
    def of(cls, graph: Graph, *, targets: Sequence[str] = (), cache_dir: str | os.PathLike[str] | None = None,
           use_cache: bool = True, content_hash: bool = False, threads: int | None = None) -> "WorkerSetup":
        return cls(graph=graph.to_data(), base_dir=str(graph.base_dir), targets=tuple(targets),
                   cache_dir=os.fspath(cache_dir) if cache_dir is not None else None, use_cache=use_cache,
                   content_hash=content_hash, threads=threads)


def settle(job: BatchJob, result: InputResult, attempt: int, *, retries: int, notify: Any,
           retry: Any, results: list[InputResult]) -> None:
    """Record one finished attempt of ``job``: a failed input with tries left goes back through
    ``retry(job)``; any other result is final (announced and kept in ``results``)."""
    result.attempts = attempt
    if result.status == "failed" and attempt <= retries:
        notify("retry", job, result)
        retry(job)
        return
    notify("finished", job, result)
    results.append(result)


class GraphWorker:
    """Runs batch jobs of one graph; build once per process or actor, call :meth:`run` per input."""

    def __init__(self, setup: WorkerSetup, *, graph: Graph | None = None, executor: Any = None) -> None:
        from thyra_graph.api import default_registry
        from thyra_graph.engine.diskcache import DiskCache
        from thyra_graph.engine.executor import Executor

        self.setup = setup
        self.graph = graph if graph is not None else rebuild_graph(setup, default_registry())
        if executor is None:
            disk = DiskCache(Path(setup.cache_dir) if setup.cache_dir else None) if setup.use_cache else None
            executor = Executor(disk=disk, workers=setup.threads, content_hash=setup.content_hash)
        self.executor = executor
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def run(self, job: BatchJob, *, cancel: threading.Event | None = None, on_event: Any = None) -> InputResult:
        """Run the graph with ``job``'s params; a failure is reported, never raised."""
        started = time.perf_counter()
        try:
            for name, value in job.values.items():
                node_id, _, param = name.partition(".")
                self.graph.set_param(node_id, param, value)
            result = self.executor.run(self.graph, list(self.setup.targets) or None, use_cache=self.setup.use_cache,
                                       on_event=_tagged(on_event, job.index), cancel=cancel)
        except Exception as exc:  # a job that cannot even start (a value the graph refuses): this input fails
            return InputResult(job.index, job.label, "failed", time.perf_counter() - started,
                               error=f"{type(exc).__name__}: {exc}", worker=self.name)
        outputs = [f for value in result.outputs.values() for f in _files(value)]
        error = next((f"node {n!r}: {r.error}" for n, r in result.nodes.items() if r.status == "failed"), None)
        nodes = {n: r.to_json() for n, r in result.nodes.items()}
        return InputResult(job.index, job.label, result.status, time.perf_counter() - started,
                           outputs=outputs, error=error, nodes=nodes, worker=self.name)


def _tagged(on_event: Any, index: int) -> Any:
    """``on_event`` with each event's data naming the input it belongs to (``batch_input``)."""
    if on_event is None:
        return None
    from thyra_graph.engine.events import Event

    return lambda event: on_event(Event(event.kind, event.node, {**event.data, "batch_input": index}, event.time))


def _files(value: Any) -> list[str]:
    try:
        return [str(f) for f in value.files()]
    except Exception:  # a plugin type without files(): it wrote nothing we can list
        return []


def rebuild_graph(setup: WorkerSetup, registry: Any) -> Graph:
    """The graph ``setup`` describes, built against ``registry`` (a private copy to set params on)."""
    from thyra_graph.engine.graphfile import GraphFileError, load_graph_text
    from thyra_graph.engine.yamlwrite import dump_yaml

    loaded = load_graph_text(dump_yaml(setup.graph), registry, source=f"{setup.graph.get('name', 'graph')} (batch worker)",
                             base_dir=Path(setup.base_dir))
    if not loaded.ok:
        # The parent loaded this graph; a worker failing to means its plugins differ
        # (THYRA_PLUGIN_PATH not set there, a package missing on a cluster node).
        raise GraphFileError(loaded.diagnostics)
    return loaded.graph
