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
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

# .<stem>.<host>-<pid>-<random>.tmp<suffix>; the suffix stays last because writers such as
# OpenCV choose the file format from it.
_TEMPORARY = re.compile(r"^\..*\.(?P<host>[A-Za-z0-9_-]{1,32})-(?P<pid>\d+)-[0-9a-f]{8}\.tmp(\.[^.]*)?$")
_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:32] or "host"
#: A temporary file of another machine (a shared network folder) is swept only when older.
FOREIGN_HOST_AGE = 24 * 3600


def temporary_name(target: Path) -> Path:
    """A fresh temporary path beside ``target`` that :func:`sweep` can attribute to this process."""
    return target.with_name(f".{target.stem}.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp{target.suffix}")


@contextmanager
def atomic_path(target: str | os.PathLike[str], *, make_parents: bool = True) -> Iterator[Path]:
    """Yield a temporary file beside ``target``; it replaces ``target`` only if the block
    succeeds, and is removed otherwise (for writers that want a file name, such as
    ``cv2.imwrite``)."""
    with _replacing(target, make_parents) as stream:
        stream.close()  # claimed, with the umask's permissions: the writer fills it by name
        yield Path(stream.name)


def move_into_place(finished: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename a completely written file over ``target`` in one step (same file system).

    For writers that must fill a named file of their own first (a resumable download's partial
    file): the rename is the moment the result appears, whole. Raises OSError as ``os.replace``.
    """
    os.replace(finished, target)


def write_bytes(target: str | os.PathLike[str], *chunks: bytes, make_parents: bool = True) -> None:
    """Write ``chunks`` to ``target`` atomically."""
    with _replacing(target, make_parents) as stream:
        stream.writelines(chunks)


@contextmanager
def _replacing(target: str | os.PathLike[str], make_parents: bool) -> Iterator[BinaryIO]:
    """A new temporary file beside ``target``, open for writing: moved over ``target`` when the
    block succeeds, else removed.

    It is made with ``open(..., "x")``: exclusively, and with 0666 & ~umask (not mkstemp's
    0600), so that a group-shared folder stays readable by the group. The folder is made only
    when missing: a stat costs less than a mkdir on every write.
    """
    target = Path(target)
    if make_parents and not os.path.isdir(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(target)
    try:
        with open(temporary, "xb") as stream:
            yield stream
        os.replace(temporary, target)
    except BaseException:
        unlink(temporary)
        raise


def write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text to ``target`` atomically."""
    write_bytes(target, text.encode("utf-8"))


def sweep(folder: str | os.PathLike[str], names: list[str] | None = None) -> int:
    """Remove temporary files in ``folder`` left by writers that died; returns how many.

    ``names`` are the folder's files when the caller has listed them already. A temporary file
    of a live process on this machine is left alone; one of another machine (a shared folder)
    only once it is older than a day.
    """
    try:
        names = os.listdir(folder) if names is None else names
    except OSError:
        return 0
    return sum(unlink(os.path.join(folder, name)) for name in names if _left_behind(folder, name))


def _left_behind(folder: str | os.PathLike[str], name: str) -> bool:
    match = _TEMPORARY.match(name)
    if match is None:
        return False
    if match["host"] == _HOST:
        return not _alive(int(match["pid"]))
    try:
        return time.time() - os.lstat(os.path.join(folder, name)).st_mtime >= FOREIGN_HOST_AGE
    except OSError:
        return False


def _alive(pid: int) -> bool:
    if os.name == "nt":  # no signal 0 on Windows: ask for a handle instead
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        pass
    return True


def unlink(path: str | os.PathLike[str]) -> bool:
    """Remove a file; False when it was not there or could not be removed."""
    try:
        os.unlink(path)
        return True
    except OSError:
        return False
