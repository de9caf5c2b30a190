"""An exclusive lock between processes (and machines on a shared folder), held on a lock file.

``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows; the lock is released when the block
ends or the process dies, so a killed writer never leaves a folder locked. The holder removes
the lock file when it is done, so a user's output folder keeps no trace of it; a waiter that
then gets the lock on the removed file notices (the path no longer names the file it locked)
and tries again on the new one.

>>> import tempfile, pathlib
>>> lock = pathlib.Path(tempfile.mkdtemp()) / ".example.lock"
>>> with locked(lock):
...     lock.exists()
True
>>> lock.exists()
False
"""

from __future__ import annotations

import contextlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# flock is per open file description, so two threads of one process each get their own lock;
# msvcrt's is per process: a process-wide lock per path keeps threads apart there too.
_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


@contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block."""
    path = Path(path)
    key = os.path.normcase(os.path.abspath(path))
    with _guard:
        thread_lock = _thread_locks.setdefault(key, threading.Lock())
    with thread_lock:
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                _lock(fd)
            except BaseException:
                os.close(fd)
                raise
            if _still_named(fd, path):
                break
            _unlock(fd)  # the holder before us removed this file: lock the one there now
            os.close(fd)
        try:
            yield
        finally:
            try:
                with contextlib.suppress(OSError):  # Windows keeps an open file; it stays then
                    os.unlink(path)
            finally:
                _unlock(fd)
                os.close(fd)


def _still_named(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


if os.name == "nt":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s, then raises
                return
            except OSError:
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
