"""The Open Recent list, kept in a small JSON file in the user's config folder."""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs

from thyra_graph.engine import atomic

MAX_RECENT = 10


def editor_config_dir() -> Path:
    """Where the editor keeps its recent-files list and recovery files."""
    return platformdirs.user_config_path("thyra") / "editor"


class RecentFiles:
    """The recent graph files, newest first, in ``<folder>/recent.json``."""

    def __init__(self, folder: Path) -> None:
        self.file = Path(folder) / "recent.json"

    def list(self) -> list[Path]:
        """Recent graph files, newest first, those that still exist."""
        try:
            entries = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(entries, list):
            return []
        return [Path(e) for e in entries if isinstance(e, str) and Path(e).is_file()]

    def add(self, path: Path) -> None:
        """Put ``path`` first in the list (once), keeping the newest ``MAX_RECENT``."""
        resolved = str(Path(path).resolve())
        entries = [resolved] + [str(p) for p in self.list() if str(p) != resolved]
        atomic.write_text(self.file, json.dumps(entries[:MAX_RECENT], indent=1))
