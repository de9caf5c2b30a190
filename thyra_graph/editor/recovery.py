"""Autosave to a recovery file, and finding it again after a crash.

While a document has unsaved changes the editor writes it, every half minute, to a recovery
file named after the document's path. Saving or closing cleanly deletes that file; one
found when the document is opened again means the editor did not close cleanly, and the
user is offered to restore it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from thyra_graph.engine import atomic
from thyra_graph.engine.graph import Graph


BASE_DIR_MARK = "# thyra-recovery base_dir: "


class Recovery:
    """The recovery files of the editor's documents, in ``<folder>/recovery``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "recovery"

    def file_for(self, path: Path | None) -> Path:
        """The recovery file of a document (one for all untitled documents)."""
        if path is None:
            return self.folder / "untitled.recovery.yaml"
        digest = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:16]
        return self.folder / f"{Path(path).stem}-{digest}.recovery.yaml"

    def write(self, graph: Graph, path: Path | None) -> Path:
        """Autosave ``graph``, the document at ``path``, to its recovery file (returned)."""
        target = self.file_for(path)
        # Relative paths in the graph are relative to its folder, not to the recovery folder.
        header = f"{BASE_DIR_MARK}{Path(graph.base_dir).resolve()}\n"
        atomic.write_text(target, header + graph.dumps())
        return target

    def pending(self, path: Path | None) -> Path | None:
        """A recovery file left for this document, newer than the document itself."""
        target = self.file_for(path)
        if not target.is_file():
            return None
        if path is not None and Path(path).is_file() and Path(path).stat().st_mtime > target.stat().st_mtime:
            return None  # saved after the autosave: nothing to recover
        return target

    def discard(self, path: Path | None) -> None:
        """Delete the document's recovery file, if there is one."""
        self.file_for(path).unlink(missing_ok=True)

    @staticmethod
    def read(file: Path) -> tuple[str, Path | None]:
        """The recovered graph text and the folder its relative paths are relative to."""
        text = Path(file).read_text(encoding="utf-8")
        first = text.partition("\n")[0]
        base_dir = Path(first.removeprefix(BASE_DIR_MARK).strip()) if first.startswith(BASE_DIR_MARK) else None
        return text, base_dir
