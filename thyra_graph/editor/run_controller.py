"""Runs in the background: the engine works in a QThread, the UI thread only draws.

The engine calls back from its worker threads; those events are queued and handed to the
UI thread in batches (one queued signal per batch, however many progress events a node
sends), folded into :class:`RunStates` there, and announced with ``states_changed``.
Stop sets the run's cancel event; the engine stops at the next cancellation point and
keeps every result finished before in its cache.

Runs go one after another, and so do preview fetches, but a fetch does not wait for a run:
the preview shows each node's result as soon as it is done (read from the cache the run has
just filled), not when the whole run is over.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable, Iterable

from PySide6 import QtCore

from thyra_graph.engine.events import Event
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.results import RunResult

from .run_states import RunStates


class _Job(QtCore.QThread):
    """One engine run on its own thread (a run, or fetching cached values for a preview)."""

    def __init__(self, executor: Executor, graph: Graph, targets: list[str] | None,
                 on_event: Callable[[Event], None] | None, callback: Callable[[RunResult | None, str], None] | None) -> None:
        super().__init__()
        self.executor, self.graph, self.targets = executor, graph, targets
        self.on_event = on_event
        self.callback = callback
        self.cancel = threading.Event()
        self.result: RunResult | None = None
        self.error = ""

    def run(self) -> None:
        try:
            self.result = self.executor.run(self.graph, self.targets, on_event=self.on_event, cancel=self.cancel)
        except Exception as exc:  # e.g. a required input not connected: reported, never raised into Qt
            self.error = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"


class RunController(QtCore.QObject):
    states_changed = QtCore.Signal(object)  # set of node ids whose state changed
    run_started = QtCore.Signal()
    run_finished = QtCore.Signal(object, str)  # RunResult or None, error text
    _wake = QtCore.Signal()

    def __init__(self, executor: Executor, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.executor = executor
        self.states = RunStates()
        self.last_result: RunResult | None = None
        self._events: deque[Event] = deque()
        self._wake_sent = False
        self._wake_lock = threading.Lock()
        self._wake.connect(self._drain, QtCore.Qt.QueuedConnection)
        self._current: _Job | None = None   # the run under way
        self._fetching: _Job | None = None  # the preview fetch under way
        self._waiting: list[_Job] = []

    # -- asking --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """A run (not a preview fetch) is under way or waiting."""
        return any(job.on_event is not None for job in self._jobs())

    @property
    def busy(self) -> bool:
        return bool(self._jobs())

    def _jobs(self) -> list[_Job]:
        return [job for job in (self._current, self._fetching) if job is not None] + self._waiting

    def run(self, graph: Graph, targets: Iterable[str] | None = None) -> None:
        """Run ``graph`` (a snapshot: the UI may go on editing the original)."""
        # A newer run makes a waiting one pointless.
        self._waiting = [job for job in self._waiting if job.on_event is None]
        self._submit(_Job(self.executor, graph, list(targets) if targets else None, self._on_event, None))

    def fetch(self, graph: Graph, targets: list[str], callback: Callable[[RunResult | None, str], None]) -> None:
        """Get values for a preview (from the caches when the nodes have run), then call back."""
        self._submit(_Job(self.executor, graph, targets, None, callback))

    def stop(self) -> None:
        self._waiting = [job for job in self._waiting if job.on_event is None]
        if self._current is not None:
            self._current.cancel.set()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until every job is done (tests, closing the window)."""
        deadline = QtCore.QDeadlineTimer(timeout_ms)
        while self.busy:
            if deadline.hasExpired():
                return False
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.AllEvents, 20)
            for job in (self._current, self._fetching):
                if job is not None:
                    job.wait(20)
        return True

    # -- doing ---------------------------------------------------------------------------
    def _submit(self, job: _Job) -> None:
        job.finished.connect(lambda job=job: self._on_finished(job), QtCore.Qt.QueuedConnection)
        self._waiting.append(job)
        self._start_next()

    def _start_next(self) -> None:
        for job in list(self._waiting):
            if job.on_event is not None and self._current is None:
                self._current = job
            elif job.on_event is None and self._fetching is None:
                self._fetching = job
            else:
                continue
            self._waiting.remove(job)
            if job.on_event is not None:
                self.run_started.emit()
            job.start()

    def _on_event(self, event: Event) -> None:  # engine threads
        self._events.append(event)
        with self._wake_lock:
            if self._wake_sent:
                return
            self._wake_sent = True
        self._wake.emit()

    def _drain(self) -> None:  # UI thread
        with self._wake_lock:
            self._wake_sent = False
        changed: set[str] = set()
        while self._events:
            changed |= self.states.apply(self._events.popleft())
        if changed:
            self.states_changed.emit(changed)

    def _on_finished(self, job: _Job) -> None:
        self._drain()
        if job is self._current:
            self._current = None
        if job is self._fetching:
            self._fetching = None
        if job.on_event is not None:
            self.last_result = job.result
            self.run_finished.emit(job.result, job.error)
        elif job.callback is not None:
            job.callback(job.result, job.error)
        job.deleteLater()
        self._start_next()
