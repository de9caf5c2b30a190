"""Batch runs on this machine: in this process (one job at a time) or a process pool.

The pool uses the ``spawn`` start method on every platform (no reliance on ``fork``): each
worker process builds one :class:`~thyra_graph.batch.worker.GraphWorker` in its initializer
and keeps it, so plugins are discovered and models are loaded once per worker.

Stopping: Ctrl-C or SIGTERM in the parent raises KeyboardInterrupt there; the runners return
what finished (the batch then reports itself cancelled). Workers ignore
SIGINT (a terminal sends it to the whole process group) and are sent SIGTERM, which cancels
their current run cleanly (results finished before stay cached, no half-written files), then
the pool is shut down. Inputs that did not finish are run by the next invocation.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import threading
from typing import Any, Callable, Sequence

from .plan import BatchJob
from .worker import GraphWorker, InputResult, WorkerSetup, settle

#: How long stopped workers get to cancel their run before they are killed.
STOP_GRACE_SECONDS = 10.0

Callback = Callable[[str, BatchJob, InputResult | None], None]

_WORKER: GraphWorker | None = None
_WORKER_ERROR: str | None = None
_EVENTS: Any = None  # the parent's event queue, when it shows node progress
#: The node events a worker sends to the parent, and the data keys (small, plain) they keep.
_FORWARDED = ("started", "progress", "finished", "failed", "skipped")
_FORWARDED_DATA = ("done", "total", "message", "reason", "batch_input")


def run_in_process(worker: GraphWorker, jobs: Sequence[BatchJob], *, retries: int, notify: Callback,
                   on_event: Any = None, cancel: threading.Event | None = None) -> list[InputResult]:
    """Run the jobs one after the other in this process (``--jobs 1``)."""
    results: list[InputResult] = []
    try:
        for job in jobs:
            for attempt in range(1, retries + 2):
                notify("started", job, None)
                result = worker.run(job, cancel=cancel, on_event=on_event)
                result.attempts = attempt
                if result.status != "failed" or attempt > retries:
                    break
                notify("retry", job, result)
            notify("finished", job, result)
            results.append(result)
            if result.status == "cancelled":
                break
    except KeyboardInterrupt:  # between two runs (the executor turns one inside a run into "cancelled")
        pass
    return results


def run_in_pool(setup: WorkerSetup, jobs: Sequence[BatchJob], *, processes: int, retries: int,
                notify: Callback, on_event: Any = None, local: GraphWorker | None = None) -> list[InputResult]:
    """Run the jobs on ``processes`` workers; results in the order they finish.

    With ``local`` (a worker of this process, its graph and models already loaded), this
    process is one of the workers, on a thread of its own, and ``processes - 1`` are spawned:
    it starts on the first input at once instead of waiting for a new process to import
    Thyra and discover the plugins, and one process fewer holds the models.
    ``on_event`` receives the workers' node events (started, progress, finished, ...), each
    with ``data["batch_input"]``, the index of the input it belongs to, on a thread of its own.
    """
    if local is not None and processes <= 1:
        return run_in_process(local, jobs, retries=retries, notify=notify, on_event=on_event)
    spawned = processes - 1 if local is not None else processes
    context = multiprocessing.get_context("spawn")
    # SimpleQueue writes to its pipe before put() returns (Queue hands it to a feeder thread), so
    # a worker's events are in the pipe before its result reaches us, hence before the sentinel.
    events = context.SimpleQueue() if on_event is not None else None
    pool = cf.ProcessPoolExecutor(max_workers=spawned, mp_context=context, initializer=_start_worker,
                                  initargs=(setup, events))
    here = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="thyra-batch") if local is not None else None
    stop_here = threading.Event()
    on_here: set[cf.Future] = set()
    relay = threading.Thread(target=_relay, args=(events, on_event), daemon=True) if events is not None else None
    if relay is not None:
        relay.start()
    queue = list(jobs)[::-1]
    attempts: dict[int, int] = {}
    in_flight: dict[cf.Future, BatchJob] = {}
    announced: set[cf.Future] = set()
    results: list[InputResult] = []

    def announce() -> None:
        # The first ``processes`` jobs in flight are running; the rest wait in the pool's queue.
        for future in list(in_flight)[:processes]:
            if future not in announced:
                announced.add(future)
                notify("started", in_flight[future], None)

    def submit() -> None:
        # A few queued beyond the workers keep them busy while the parent handles a result.
        while queue and len(in_flight) < 2 * processes:
            job = queue.pop()
            attempts[job.index] = attempts.get(job.index, 0) + 1
            try:
                if here is not None and len(on_here) < 2:
                    future = here.submit(local.run, job, cancel=stop_here, on_event=on_event)
                    on_here.add(future)
                else:
                    future = pool.submit(_run_job, job)
                in_flight[future] = job
            except cf.BrokenExecutor as exc:  # a worker died (killed, out of memory): the rest cannot run
                result = InputResult(job.index, job.label, "failed", attempts=attempts[job.index],
                                     error=f"the worker processes ended ({exc}); run the batch again to retry")
                notify("finished", job, result)
                results.append(result)
                continue
        announce()

    try:
        submit()
        while in_flight:
            done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for future in done:
                job = in_flight.pop(future)
                announced.discard(future)
                on_here.discard(future)
                settle(job, _outcome(future, job), attempts[job.index], retries=retries, notify=notify,
                       retry=queue.append, results=results)
            submit()
    except KeyboardInterrupt:  # what finished is returned; the batch reports itself cancelled
        stop_here.set()  # this process's own run cancels cleanly, as the workers' do on SIGTERM
        _stop(pool, in_flight, results, notify)
    finally:
        # All done: the idle workers exit on their own while the summary is printed (Python
        # joins them at exit). Stopped or failed: wait for them here.
        pool.shutdown(wait=bool(in_flight or queue), cancel_futures=True)
        if here is not None:
            here.shutdown(wait=True, cancel_futures=True)
        if events is not None and relay is not None:
            events.put(None)  # after the last result: the workers' events before it are in the queue
            relay.join(timeout=STOP_GRACE_SECONDS)
    return results


def _relay(events: Any, on_event: Any) -> None:
    """Hand the workers' node events to ``on_event`` until the pool is done."""
    from thyra_graph.engine.events import Event

    while (item := events.get()) is not None:
        kind, node, data = item
        try:
            on_event(Event(kind, node, data))
        except Exception:  # a display error must not stop the batch
            pass


def _outcome(future: cf.Future, job: BatchJob) -> InputResult:
    try:
        return future.result()
    except Exception as exc:  # the worker process died (killed, out of memory): this input failed
        return InputResult(job.index, job.label, "failed", error=f"the worker process ended: {type(exc).__name__}: {exc}")


def _stop(pool: cf.ProcessPoolExecutor, in_flight: dict[cf.Future, BatchJob], results: list[InputResult],
          notify: Callback) -> None:
    """Cancel what has not started, ask running workers to cancel, keep what they report."""
    for future in in_flight:
        future.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public accessor
    for process in processes:
        with contextlib.suppress(OSError, AttributeError):
            os.kill(process.pid, signal.SIGTERM)
    running = [f for f in in_flight if not f.cancelled()]
    try:
        done, not_done = cf.wait(running, timeout=STOP_GRACE_SECONDS)
    except KeyboardInterrupt:  # asked twice: do not wait for the workers
        done, not_done = set(), set(running)
    for future in done:
        result = _outcome(future, in_flight[future])
        notify("finished", in_flight[future], result)
        results.append(result)
    for process in processes if not_done else ():
        with contextlib.suppress(OSError, AttributeError):
            process.kill()


def _start_worker(setup: WorkerSetup, events: Any = None) -> None:
    global _WORKER, _WORKER_ERROR, _EVENTS
    _EVENTS = events
    # The parent decides what Ctrl-C means; SIGTERM (sent by the parent) cancels the current
    # run through the executor's own Ctrl-C handling.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGTERM") and os.name != "nt":
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        _WORKER = GraphWorker(setup)
    except Exception as exc:  # reported with every job, rather than as a broken pool
        _WORKER_ERROR = f"the worker could not load the graph: {exc}"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_job(job: BatchJob) -> InputResult:
    if _WORKER is None:
        return InputResult(job.index, job.label, "failed", error=_WORKER_ERROR or "the worker did not start")
    try:
        return _WORKER.run(job, on_event=_forward if _EVENTS is not None else None)
    except KeyboardInterrupt:  # stopped between the executor's checks
        return InputResult(job.index, job.label, "cancelled", worker=_WORKER.name)


def _forward(event: Any) -> None:
    if event.kind in _FORWARDED:
        data = {k: v for k, v in event.data.items() if k in _FORWARDED_DATA and isinstance(v, (int, float, str, type(None)))}
        _EVENTS.put((event.kind, event.node, data))
