"""The one atomic write: a temporary file beside the target, renamed over it when complete.

Readers never see half a file, and a crash (even ``kill -9``) leaves only a temporary file
whose name carries the writer's process id, so the next writer in that folder can tell a
leftover from a file another live process is still writing, and sweep it.

Files are created with the permissions the user's umask allows (not 0600 as ``mkstemp``
makes them), so a cache folder shared by a group (``chmod g+ws``, umask 002) stays readable
and writable for the whole group.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_bytes(folder / "answer.txt", b"42")
>>> (folder / "answer.txt").read_bytes()
b'42'
>>> sorted(p.name for p in folder.iterdir())   # nothing left behind
['answer.txt']
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# .<stem>.<host>-<pid>-<random>.tmp<suffix>; the suffix stays last because writers such as
# OpenCV choose the file format from it.
_TEMPORARY = re.compile(r"^\..*\.(?P<host>[A-Za-z0-9_-]{1,32})-(?P<pid>\d+)-[0-9a-f]{8}\.tmp(\.[^.]*)?$")
_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:32] or "host"
#: A temporary file of another machine (a shared network folder) is swept only when older.
FOREIGN_HOST_AGE = 24 * 3600


def temporary_folder(parent: Path, stem: str) -> Path:
    """A new folder in ``parent`` to fill before renaming it into place, sweepable like files."""
    folder = parent / f".{stem}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    folder.mkdir(parents=True)
    return folder


def temporary_name(target: Path) -> Path:
    """A fresh temporary path beside ``target`` that :func:`sweep` can attribute to this process."""
    return target.with_name(f".{target.stem}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp{target.suffix}")


def create_exclusive(path: Path) -> int:
    """Open a new file for writing, with the permissions the umask allows (0666 & ~umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, 0o666)


@contextmanager
def atomic_path(target: str | os.PathLike[str], *, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; it replaces ``target`` only if the block
    succeeds (for writers that want a file name, such as ``cv2.imwrite``)."""
    target = Path(target)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(target)
    try:
        os.close(create_exclusive(temporary))  # claimed with the umask's permissions
        yield temporary
        os.replace(temporary, target)
    finally:
        unlink(temporary)


def write_bytes(target: str | os.PathLike[str], *chunks: bytes, make_parents: bool = True) -> None:
    """Write ``chunks`` to ``target`` atomically."""
    target = Path(target)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(target)
    try:
        with os.fdopen(create_exclusive(temporary), "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        unlink(temporary)
        raise


def write_text(target: str | os.PathLike[str], text: str, *, make_parents: bool = True) -> None:
    """Write UTF-8 text to ``target`` atomically."""
    write_bytes(target, text.encode("utf-8"), make_parents=make_parents)


def sweep(folder: str | os.PathLike[str]) -> int:
    """Remove temporary files in ``folder`` left by writers that died; returns how many.

    A temporary file of a live process on this machine is left alone; one of another machine
    (a shared folder) only once it is older than a day.
    """
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    now = time.time()
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None:
            continue
        if match["host"] == _HOST:
            if _alive(int(match["pid"])):
                continue
        else:
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime < FOREIGN_HOST_AGE:
                    continue
            except OSError:
                continue
        try:
            is_folder = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_folder:  # a folder being filled before its rename (chunks of a streamed value)
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
        elif unlink(Path(entry.path)):
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # no signal 0 on Windows: ask for a handle instead
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
            return True
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return True
    return True


def unlink(path: Path) -> bool:
    """Remove a file; False when it was not there or could not be removed."""
    try:
        path.unlink()
        return True
    except OSError:
        return False
