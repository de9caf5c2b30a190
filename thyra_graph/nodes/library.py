"""The subgraph library: graph files that become node types (``subgraph.<file stem>``).

Read at discovery, after every node source (a subgraph may use any plugin's nodes), in this
order; the first file of a name wins and later ones are recorded as problems:

1. the subgraph files plugins ship, listed in their module's ``THYRA_SUBGRAPHS`` (file or
   folder paths, usually ``Path(__file__).parent / "subgraphs"``);
2. the folders in ``THYRA_LIBRARY`` (separated by ``os.pathsep``);
3. the user library, ``platformdirs.user_data_path("thyra") / "library"``, where the editor's
   "Make subgraph" saves.

In a folder every ``*.yaml`` / ``*.yml`` file is one subgraph; names starting with ``_`` or
``.`` are skipped.
"""

from __future__ import annotations

import os
import types
from pathlib import Path

import platformdirs

from thyra_graph.engine.registry import LoadProblem, Registry
from thyra_graph.engine.subgraph_files import load_library

LIBRARY_ENV = "THYRA_LIBRARY"
SUBGRAPHS_ATTRIBUTE = "THYRA_SUBGRAPHS"
SUFFIXES = (".yaml", ".yml")


def user_library_dir() -> Path:
    """The per-user subgraph library (on Linux ``$XDG_DATA_HOME/thyra/library``)."""
    return platformdirs.user_data_path("thyra") / "library"


def library_dirs() -> list[Path]:
    """Where subgraph files are looked for: ``THYRA_LIBRARY``'s folders, then the user library."""
    raw = os.environ.get(LIBRARY_ENV, "")
    return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()] + [user_library_dir()]


def save_dir() -> Path:
    """Where new subgraphs are saved: the first ``THYRA_LIBRARY`` folder, else the user library."""
    return library_dirs()[0]


def folder_files(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    return [p for p in entries if p.suffix in SUFFIXES and p.is_file() and not p.name.startswith(("_", "."))]


def plugin_subgraphs(module: types.ModuleType, origin: str, registry: Registry) -> list[tuple[Path, str]]:
    """The subgraph files a plugin module lists in ``THYRA_SUBGRAPHS`` (bad entries recorded)."""
    listed = getattr(module, SUBGRAPHS_ATTRIBUTE, None)
    if listed is None:
        return []
    if isinstance(listed, (str, Path)) or not hasattr(listed, "__iter__"):
        listed = [listed]
    found = []
    for item in listed:
        path = Path(item) if isinstance(item, (str, Path)) else None
        if path is not None and path.is_dir():
            found += [(p, origin) for p in folder_files(path)]
        elif path is not None and path.is_file() and path.suffix in SUFFIXES:
            found.append((path, origin))
        else:
            registry.problems.append(LoadProblem(origin, f"{SUBGRAPHS_ATTRIBUTE} lists {item!r:.80}, which is not a "
                                                         "subgraph file (.yaml) or a folder of them; it was ignored"))
    return found


def load_subgraphs(registry: Registry, from_plugins: list[tuple[Path, str]]) -> None:
    """Register the plugins' subgraphs, then the library's (problems recorded, never raised)."""
    files = list(from_plugins)
    for folder in library_dirs():
        files += [(p, str(p)) for p in folder_files(folder)]
    load_library(registry, files)
