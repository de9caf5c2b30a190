"""The Python API: load or build graphs, override params, run them, read outputs.

    >>> from thyra_graph import load_graph, run_graph
    >>> graph = load_graph("graphs/quickstart.yaml")
    >>> graph.set_param("contours", "min_area", 200)
    >>> result = run_graph(graph)
    >>> result.outputs["contours.count"].value
    24

Over many inputs, :func:`run_batch` runs one graph per input (here, on a process pool, or
on Ray) and returns each input's result.

One :class:`~thyra_graph.engine.executor.Executor` per process keeps the memory cache and
loaded models between runs; the disk cache lives under ``THYRA_CACHE_DIR`` (or the user
cache folder).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.events import EventHandler
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.graphfile import GraphFileError, load_graph_file
from thyra_graph.engine.registry import Registry
from thyra_graph.engine.results import RunResult

if TYPE_CHECKING:
    from thyra_graph.batch import BatchInput, BatchResult

_EXECUTOR: Executor | None = None


def default_registry() -> Registry:
    """Every node type: built-ins, installed plugins, plugin folders (loaded once)."""
    from thyra_graph.nodes.discovery import default_registry as discover

    return discover()


def load_graph(path: str | Path, *, registry: Registry | None = None) -> Graph:
    """Load a graph file; raises :class:`GraphFileError` listing every problem."""
    result = load_graph_file(path, registry or default_registry())
    if not result.ok:
        raise GraphFileError(result.diagnostics)
    return result.graph


def new_graph(name: str = "untitled", *, registry: Registry | None = None, base_dir: str | Path | None = None) -> Graph:
    """An empty graph to build in code; ``graph.save(path)`` writes it as YAML."""
    return Graph(registry or default_registry(), name=name, base_dir=base_dir)


def default_executor() -> Executor:
    """The process-wide executor (memory cache + disk cache at the default location)."""
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = Executor(disk=DiskCache())
    return _EXECUTOR


def run_graph(graph: Graph, targets: Iterable[str] | None = None, *, executor: Executor | None = None,
              use_cache: bool = True, on_event: EventHandler | None = None,
              cancel: threading.Event | None = None) -> RunResult:
    """Run ``graph`` (what ``targets`` need, default every sink) and return its result.

    Setting ``cancel`` (from any thread) stops the run at the nodes' next cancellation
    point; results finished before stay cached.
    """
    return (executor or default_executor()).run(graph, targets, use_cache=use_cache, on_event=on_event, cancel=cancel)


def run_batch(graph: Graph, inputs: Sequence["BatchInput | Mapping[str, Any]"], *, executor: str = "local",
              jobs: int = 1, retries: int = 0, resume: bool = False, **options: Any) -> "BatchResult":
    """Run ``graph`` once per input; returns every input's result (``.results``, in input order).

    ``inputs``: dicts of ``"node.param": value`` (``[{"load.path": "a.png"}, ...]``) or
    :class:`~thyra_graph.batch.BatchInput` s from :func:`~thyra_graph.batch.read_inputs`.
    ``executor``: ``"local"`` (``jobs`` worker processes; 1 runs here) or ``"ray"``
    (``address="auto"`` or ``"HOST:PORT"``; none starts Ray on this machine). A failed input
    does not stop the others. Further options: see :func:`thyra_graph.batch.runner.run_batch`.
    """
    from thyra_graph.batch.runner import run_batch as run

    return run(graph, inputs, executor=executor, jobs=jobs, retries=retries, resume=resume, **options)
