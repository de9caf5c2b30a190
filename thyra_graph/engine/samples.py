"""Portable references to the sample files bundled with Thyra: ``samples:coins.png``.

An example graph that names its sample as ``../thyra_graph/samples/coins.png`` breaks as soon
as the graph file is copied to another folder. A path parameter written ``samples:NAME`` means
``NAME`` inside the bundled samples folder (package data, read-only), wherever the graph file
lives. A reference may only read: it names a file or folder inside that folder (no ``..``, no
absolute part), and a parameter that may write (not declared ``io="read"``) refuses it, so a
graph can neither reach outside the samples folder through it nor write into the installed
package.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

PREFIX = "samples:"
#: The bundled samples (installed as package data next to the engine).
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"


def is_sample_ref(value: object) -> bool:
    """Whether a path parameter's value is a ``samples:`` reference."""
    return isinstance(value, str) and value.startswith(PREFIX)


def sample_ref_problem(value: str, *, writes: bool = False) -> str | None:
    """Why ``value`` (a ``samples:`` reference) is not allowed, or None when it is fine."""
    name = value[len(PREFIX):].strip()
    if writes:
        return (f"{value!r} names a bundled sample, which is read-only: write to a path of your own, "
                "such as out/result.png (relative to the graph file)")
    if not name:
        return f"{value!r} names no file: write it like samples:coins.png (see {SAMPLES_DIR.name}/README.md)"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if PurePosixPath(name).is_absolute() or ".." in parts or ":" in name:
        return (f"{value!r} must name a file inside the bundled samples folder, like samples:coins.png "
                "(no '..', no absolute path)")
    return None


def sample_path(value: str) -> Path:
    """The file a ``samples:`` reference names; ValueError when it would leave the samples folder."""
    problem = sample_ref_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return Path(os.path.normpath(SAMPLES_DIR / value[len(PREFIX):].strip()))



def path_text(chosen: str | os.PathLike[str], base_dir: str | os.PathLike[str], *, writes: bool) -> str:
    """What a path parameter should say for a file picked in a dialog, so the graph stays portable.

    A bundled sample that is only read becomes ``samples:NAME``; a file in or below the graph's
    folder is written relative to it (with ``/``, as graph files use on every system); anything
    else stays absolute.

    >>> path_text(SAMPLES_DIR / "coins.png", "/home/me/graphs", writes=False)
    'samples:coins.png'
    >>> path_text("/home/me/graphs/out/mask.png", "/home/me/graphs", writes=True)
    'out/mask.png'
    >>> path_text("/data/clip.mp4", "/home/me/graphs", writes=False)
    '/data/clip.mp4'
    """
    path = Path(os.path.normpath(os.path.abspath(chosen)))
    if not writes and path.is_relative_to(SAMPLES_DIR):
        return PREFIX + path.relative_to(SAMPLES_DIR).as_posix()
    base = Path(os.path.normpath(os.path.abspath(base_dir))) if base_dir else None
    if base is not None and path.is_relative_to(base):
        return path.relative_to(base).as_posix()
    return str(path)


def dialog_start(text: str, base_dir: str | os.PathLike[str]) -> str:
    """Where a file dialog for a path parameter holding ``text`` opens: the file it names
    (a ``samples:`` reference or a path relative to the graph's folder), else the graph's folder.

    >>> dialog_start("samples:coins.png", "/g") == str(SAMPLES_DIR / "coins.png")
    True
    >>> dialog_start("out/a.png", "/g"), dialog_start("", "/g")
    ('/g/out/a.png', '/g')
    """
    if is_sample_ref(text) and sample_ref_problem(text) is None:
        return str(sample_path(text))
    if text:
        return str(Path(base_dir or ".") / text)  # an absolute text replaces the folder
    return str(base_dir)
