"""Per-node progress bars for ``thyra run`` (rich, on stderr), fed by run events."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from thyra_graph.engine import events as ev
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.subgraph import flatten

KEEP_FINISHED_UP_TO = 30  # larger graphs show only running nodes, to keep the terminal usable


class ProgressDisplay:
    """Per-node bars; with ``progress`` (a started rich Progress, e.g. a batch's overall bar)
    the bars are added to it and removed again when the display closes."""

    def __init__(self, graph: Graph, *, enabled: bool = True, progress: Any = None) -> None:
        self.graph = graph
        # Events name the nodes of the expanded graph (a subgraph's 'instance/inner' too).
        self.types = {n: node.type_id for n, node in flatten(graph).graph.nodes.items()}
        self.enabled = enabled
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._progress = progress if enabled else None
        self._shared = progress is not None

    def __enter__(self) -> "ProgressDisplay":
        if self.enabled and not self._shared:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"),
                TimeElapsedColumn(), console=Console(stderr=True), transient=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None and self._shared:
            for task in self._tasks.values():
                with contextlib.suppress(KeyError):  # large graphs drop finished bars themselves
                    self._progress.remove_task(task)
        elif self._progress is not None:
            self._progress.stop()

    def handle(self, event: ev.Event) -> None:
        progress = self._progress
        if progress is None or event.node is None:
            return
        from rich.markup import escape

        with self._lock:
            if event.kind == ev.STARTED:
                # escaped: node messages may hold brackets that rich would read as markup
                label = escape(f"{event.node} ({self.types.get(event.node, '?')})")
                self._tasks[event.node] = progress.add_task(label, total=None, state="running")
                return
            task = self._tasks.get(event.node)
            if task is None:
                return
            if event.kind == ev.PROGRESS:
                total = event.data.get("total")
                progress.update(task, completed=event.data.get("done", 0), total=total,
                                state=escape(event.data.get("message") or "running"))
            elif event.kind in (ev.FINISHED, ev.FAILED, ev.SKIPPED):
                state = {"finished": "[green]done", "failed": "[red]failed", "skipped": "[yellow]skipped"}[event.kind]
                if event.data.get("reason") == "cancelled":
                    state = "[yellow]cancelled"
                if len(self.graph.nodes) > KEEP_FINISHED_UP_TO:
                    progress.remove_task(task)
                else:
                    total = progress.tasks[[t.id for t in progress.tasks].index(task)].total or 1
                    progress.update(task, total=total, completed=total, state=state)
