"""Checks and safe writing for the file paths that io nodes read and write.

The engine hands path parameters to nodes already resolved to absolute paths; these helpers
turn the usual mistakes (a missing file, a folder where a file was expected) into messages a
user can act on, and make writes atomic so a crash never leaves a half-written file that the
cache would take for a finished result.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from thyra_graph.engine.declaration import NodeError

RELATIVE_HINT = "relative paths are resolved against the folder of the graph file"


def existing_file(path: str | os.PathLike[str], *, what: str) -> Path:
    """``path`` as a Path, or a :class:`NodeError` saying why it cannot be read."""
    file = Path(path).expanduser()
    if file.is_dir():
        raise NodeError(f"the {what} path {str(file)!r} is a folder, not a file: point 'path' at one {what} file")
    if not file.is_file():
        raise NodeError(
            f"no {what} file at {str(file)!r}: check the 'path' parameter ({RELATIVE_HINT})")
    return file


@contextmanager
def atomic_write(path: str | os.PathLike[str], *, what: str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; it replaces ``path`` only if the block succeeds.

    Parent folders are created. The temporary name keeps the suffix, because writers such as
    OpenCV choose the file format from it.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise NodeError(f"the output path {str(target)!r} is a folder: give a file name ending in the {what} format, e.g. out.png")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NodeError(f"cannot create the folder {str(target.parent)!r} for the {what}: {exc.strerror or exc}") from None
    temporary = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp{target.suffix}")
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
