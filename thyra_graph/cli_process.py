"""Process plumbing of the ``thyra`` command: SIGTERM stops a run as Ctrl-C does, and
stdout is kept for the one JSON object of ``--json``.

Both are installed by the CLI around the work they guard and undone after it, never at
import: a program that embeds Thyra keeps its own signal handlers and streams.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Iterator

#: The exit status of a process stopped by SIGTERM, by shell convention (128 + 15).
EXIT_TERMINATED = 128 + 15


@dataclass
class Termination:
    """Whether a SIGTERM arrived while :func:`sigterm_as_interrupt` was active."""

    received: bool = False


@contextlib.contextmanager
def sigterm_as_interrupt(enabled: bool = True) -> Iterator[Termination]:
    """While active, SIGTERM raises KeyboardInterrupt in the main thread, as Ctrl-C does.

    So a run stopped by a job scheduler (``kill``, ``timeout``, Slurm, Docker) is cancelled
    cleanly: running nodes stop at their next cancellation point, finished results stay
    cached, temporary files are removed. The previous handler is restored afterwards. Where
    signals cannot be handled (not the main thread; Windows, which terminates a process
    without delivering SIGTERM to it) or when not ``enabled``, this does nothing.
    """
    termination = Termination()
    if not enabled or os.name == "nt" or not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield termination
        return

    def interrupt(signum: int, frame: object) -> None:
        termination.received = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield termination
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def stdout_to_stderr(enabled: bool = True) -> Iterator[None]:
    """While active, whatever is written to stdout goes to stderr instead.

    Python code (``print``) is redirected through ``sys.stdout``; C extensions and child
    processes write to file descriptor 1 directly, so that descriptor is pointed at stderr too
    (``dup2``) and restored afterwards. Used while plugins are imported and nodes run under
    ``--json``, so that stdout carries nothing but the JSON.
    """
    if not enabled:
        yield
        return
    _flush_all()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 (a GUI process): the Python-level redirect is all there is
        saved = None
    if saved is not None:
        os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _flush_all()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def _flush_all() -> None:
    """Flush Python's streams and the C library's, so buffered text lands where it was meant."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(Exception):
        import ctypes

        # fflush(NULL) flushes every C stdio stream (printf in an extension module).
        ctypes.CDLL(None).fflush(None)
