"""What a batch shows: an overall progress bar while it runs, a summary when it ends.

The bar counts done / failed / running inputs with an ETA (rich, on stderr); the summary is a
table (input, status, seconds, outputs or error) or, with ``--json``, JSON lines: one object
per input as it finishes, then one for the whole batch.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import IO, Any

from .plan import BatchJob
from .worker import InputResult


class BatchProgress:
    """A ``notify`` callback for :func:`~thyra_graph.batch.runner.run_batch` drawing the overall bar.

    With ``json_stream`` set, each finished input is also written there as one JSON line.
    """

    def __init__(self, total: int, *, enabled: bool = True, json_stream: IO[str] | None = None,
                 progress: Any = None) -> None:
        self.total = total
        self.enabled = enabled
        self.json_stream = json_stream
        self.done = self.failed = 0
        self.running: set[int] = set()
        self._lock = threading.Lock()
        self._progress = progress  # a rich Progress shared with the per-node bars, if any
        self._own = False
        self._task = None

    def __enter__(self) -> "BatchProgress":
        if self.enabled:
            if self._progress is None:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

                # The columns of the per-node bars (cli_progress.py), which may share this display.
                self._progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"),
                                          TimeElapsedColumn(), console=Console(stderr=True), transient=False)
                self._progress.start()
                self._own = True
            self._task = self._progress.add_task("[bold]batch", total=self.total, state=self._counts())
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._own and self._progress is not None:
            self._progress.stop()

    @property
    def rich(self) -> Any:
        """The rich Progress the bar is drawn in (None when disabled), for bars of its own."""
        return self._progress

    def __call__(self, kind: str, job: BatchJob, result: InputResult | None) -> None:
        with self._lock:
            if kind == "started":
                self.running.add(job.index)
            elif kind == "retry":
                print(f"thyra: {job.label}: failed ({result.error if result else ''}); trying again", file=sys.stderr)
            elif kind == "finished" and result is not None:
                self.running.discard(job.index)
                if result.status == "failed":
                    self.failed += 1
                elif result.status != "cancelled":
                    self.done += 1
                if self.json_stream is not None:
                    print(json.dumps(result.to_json()), file=self.json_stream, flush=True)
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=self.done + self.failed)
                self._progress.update(self._task, state=self._counts())

    def _counts(self) -> str:
        text = f"{self.done + self.failed}/{self.total}: done {self.done}, failed {self.failed}, running {len(self.running)}"
        tasks = self._progress.tasks if self._progress is not None else []
        remaining = next((t.time_remaining for t in tasks if t.id == self._task), None)
        if remaining is not None:
            minutes, seconds = divmod(int(remaining), 60)
            text += f", ETA {minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
        return text


def print_table(batch: Any) -> None:
    """The batch summary as a table on stdout: one row per input."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    colours = {"ok": "green", "resumed": "cyan", "failed": "bold red", "cancelled": "yellow"}
    counts = ", ".join(f"{n} {s}" for s in ("ok", "resumed", "failed", "cancelled") if (n := batch.count(s)))
    not_run = batch.planned - len(batch.results)
    title = f"batch {batch.graph!r}: {batch.status} ({counts}{f', {not_run} not run' if not_run else ''})"
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in ("input", "status", "seconds", "tries", "outputs / error"):
        table.add_column(column, overflow="fold")
    for result in batch.results:
        note = result.error or _outputs(result.outputs)
        table.add_row(escape(result.label), f"[{colours.get(result.status, 'white')}]{result.status}[/]",
                      f"{result.seconds:.2f}", str(result.attempts), escape(note))
    Console(highlight=False).print(table)


def _outputs(files: list[str]) -> str:
    if len(files) <= 2:
        return ", ".join(files)
    return f"{files[0]} and {len(files) - 1} more"
