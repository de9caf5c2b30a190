"""Checks and safe writing for the file paths that io and export nodes read and write.

The engine hands path parameters to nodes already resolved to absolute paths; these helpers
turn the usual mistakes (a missing file, a folder where a file was expected) into messages a
user can act on, make writes atomic so a crash never leaves a half-written file that the
cache would take for a finished result, and keep sinks from overwriting files Thyra did not
write (:class:`OutputFiles`).
"""

from __future__ import annotations

import json
import os
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from thyra_graph.engine import atomic, filelock
from thyra_graph.engine.declaration import NodeError

from .limits import load_json_limited

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


def atomic_write(path: str | os.PathLike[str], *, what: str) -> AbstractContextManager[Path]:
    """A context giving a temporary path next to ``path``, which replaces ``path`` only if the
    block succeeds.

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
    atomic.sweep(target.parent)  # what a run killed mid-write left in this folder
    return atomic.atomic_path(target, make_parents=False)


# -- overwrite safety ---------------------------------------------------------------------------
#: Each output folder lists the files Thyra wrote into it (name, size, mtime, which sink).
MANIFEST_NAME = ".thyra-written.json"
_MANIFEST_VERSION = 1
OVERWRITE_HELP = "replace existing files even if Thyra did not write them (files Thyra wrote are always replaced)"

#: Held while a folder's manifest is read, merged and replaced, by the threads of one run and
#: by concurrent runs (a batch's worker processes, or machines sharing the folder) alike, so
#: that no writer's entries are lost to another's replace.
LOCK_NAME = ".thyra-written.lock"


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The files Thyra recorded as written in ``folder`` (name → size, mtime_ns, by).

    A missing or unreadable manifest lists nothing, so every existing file counts as foreign.
    """
    try:
        data = load_json_limited(folder / MANIFEST_NAME, what="manifest")  # a shared folder may hold anything
        files = data["files"]
        return {str(name): dict(entry) for name, entry in files.items() if isinstance(entry, dict)}
    except (OSError, NodeError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def written_by_thyra(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is complete output of a sink: a file Thyra wrote and nobody changed
    since, or a folder holding files a sink wrote under that folder's path as its output."""
    target = Path(path)
    if target.is_dir():
        owner = os.fspath(target)
        return any(entry.get("by") == owner and _unchanged(entry, _state(target / name))
                   for name, entry in read_manifest(target).items())
    return _unchanged(read_manifest(target.parent).get(target.name), _state(target))


def _state(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _unchanged(entry: dict[str, Any] | None, state: tuple[int, int] | None) -> bool:
    return entry is not None and state is not None and (entry.get("size"), entry.get("mtime_ns")) == state


class OutputFiles:
    """The files one run of a sink writes, written safely.

    - :meth:`claim` checks every target before anything is written: a file that exists is
      replaced only if Thyra wrote it (listed in its folder's manifest and unchanged since)
      or ``overwrite`` is set; otherwise nothing is written and the error names the files.
    - :meth:`writing` / :meth:`write_bytes` / :meth:`write_json` write each file atomically
      (a temporary file renamed over the target), so a crash never leaves half a file.
    - :meth:`commit` records the files in their folders' manifests and removes files the same
      sink (``owner``: its main output path) wrote on an earlier run but not on this one, so a
      re-run that exports fewer objects leaves no stale masks behind.

    Example::

        out = OutputFiles(folder, overwrite=overwrite, what="mask")
        out.claim(targets)
        for target, data in zip(targets, encoded):
            out.write_bytes(target, data)
        written = out.commit()
    """

    def __init__(self, owner: str | os.PathLike[str], *, overwrite: bool, what: str) -> None:
        self.owner = os.fspath(owner)
        self.overwrite = overwrite
        self.what = what
        self._claimed: set[Path] = set()
        self._written: dict[Path, None] = {}  # ordered set
        self._manifests: dict[Path, dict[str, dict[str, Any]]] = {}

    def _manifest(self, folder: Path) -> dict[str, dict[str, Any]]:
        if folder not in self._manifests:
            self._manifests[folder] = read_manifest(folder)
        return self._manifests[folder]

    def is_ours(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is a file Thyra wrote and nobody changed since."""
        target = Path(path)
        return _unchanged(self._manifest(target.parent).get(target.name), _state(target))

    def claim(self, paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
        """Check that every path may be written; raise :class:`NodeError` naming those that may not."""
        targets = [Path(p).expanduser() for p in paths]
        foreign = []
        for target in targets:
            if target.is_dir():
                raise NodeError(f"cannot write the {self.what} {str(target)!r}: a folder of that name is in the way; "
                                "remove it or choose another output path")
            if target.name == MANIFEST_NAME:
                raise NodeError(f"{MANIFEST_NAME!r} is the name Thyra keeps its list of written files under: "
                                "choose another file name")
            if not self.overwrite and target.exists() and not self.is_ours(target):
                foreign.append(target)
        if foreign:
            folders = sorted({str(t.parent) for t in foreign})
            names = ", ".join(repr(t.name) for t in foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise NodeError(
                f"{len(foreign)} file(s) in {', '.join(repr(f) for f in folders)} already exist and were not written by "
                f"Thyra (or were changed since): {names}. Thyra never overwrites files it did not write: choose "
                "another output path, move those files away, or set overwrite: true on this node")
        self._claimed.update(targets)
        return targets

    @contextmanager
    def writing(self, path: str | os.PathLike[str]) -> Iterator[Path]:
        """Yield a temporary path to write ``path`` to; it replaces ``path`` if the block succeeds."""
        target = Path(path).expanduser()
        if target not in self._claimed:
            self.claim([target])
        with atomic_write(target, what=self.what) as temporary:
            yield temporary
        self._written[target] = None

    def write_bytes(self, path: str | os.PathLike[str], data: bytes) -> Path:
        with self.writing(path) as temporary:
            temporary.write_bytes(data)
        return Path(path)

    def write_json(self, path: str | os.PathLike[str], value: Any, *, indent: int | None = None) -> Path:
        """Write ``value`` as UTF-8 JSON (non-ASCII names stay readable)."""
        separators = None if indent is not None else (",", ":")
        try:
            text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, allow_nan=False)
        except ValueError as exc:  # NaN or infinity: not JSON, and other tools would choke on it
            raise NodeError(f"cannot write the {self.what} {str(path)!r}: {exc}; a score or value is NaN or "
                            "infinite (filter such objects out first, e.g. with instances.filter min_score)") from None
        return self.write_bytes(path, text.encode("utf-8"))

    @property
    def written(self) -> list[Path]:
        return list(self._written)

    def commit(self) -> list[str]:
        """Record the written files in their folders' manifests; drop this sink's stale files.

        Returns every written path as a string, in the order written.
        """
        by_folder: dict[Path, list[Path]] = {}
        for target in self._written:
            by_folder.setdefault(target.parent, []).append(target)
        for folder, targets in by_folder.items():
            with filelock.locked(folder / LOCK_NAME):
                entries = read_manifest(folder)
                names = {t.name for t in targets}
                for name, entry in list(entries.items()):
                    file = folder / name
                    state = _state(file)
                    if state is None:
                        del entries[name]
                    elif entry.get("by") == self.owner and name not in names:
                        if _unchanged(entry, state):
                            file.unlink(missing_ok=True)
                        del entries[name]
                for target in targets:
                    state = _state(target)
                    if state is not None:
                        entries[target.name] = {"size": state[0], "mtime_ns": state[1], "by": self.owner}
                document = {"thyra_written": _MANIFEST_VERSION,
                            "note": "files Thyra wrote here; Thyra replaces only these (unless a node sets overwrite)",
                            "files": dict(sorted(entries.items()))}
                with atomic_write(folder / MANIFEST_NAME, what="manifest") as temporary:
                    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
            self._manifests[folder] = entries
        return [str(t) for t in self._written]
