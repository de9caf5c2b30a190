"""Finding and reading subgraph files: the library, files beside a graph, and cycles.

Where a graph file may take a subgraph from (SECURITY.md states the rule):

- ``type: subgraph.NAME``: ``NAME.yaml`` in the user's library (folders in ``THYRA_LIBRARY``,
  then the user library folder) or shipped by an installed plugin; the registry holds them.
- ``type: ./NAME.yaml``: a file in the same folder as the graph file, and nowhere else (no
  subfolders, no ``..``, no absolute paths, no link leading out of the folder), so a graph
  someone sent you reads only what came beside it or what you put in your library.

A subgraph using itself, directly or through others, is refused with the chain named.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from .registry import Registry
from .subgraph import LIBRARY_PREFIX, LOCAL_REF, SubgraphError, SubgraphSpec, spec_from_graph

_state = threading.local()


def _stack() -> list[Path]:
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


def _pending() -> dict[str, tuple[Path, str]]:
    """Library files not yet read, by type id (while the library is being loaded)."""
    if not hasattr(_state, "pending"):
        _state.pending = {}
    return _state.pending


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    stack = _stack()
    resolved = path.resolve()
    if resolved in stack:
        chain = " → ".join(p.name for p in stack[stack.index(resolved):] + [resolved])
        raise SubgraphError(f"{path}: the subgraph uses itself ({chain}); a subgraph cannot contain itself: "
                            "remove that node from one of these files")
    stack.append(resolved)
    try:
        yield
    finally:
        stack.pop()


def read_subgraph(path: Path, registry: Registry, type_id: str) -> SubgraphSpec:
    """Read the subgraph file ``path`` as node type ``type_id``, or raise :class:`SubgraphError`
    naming every problem in it."""
    from .graphfile import load_graph_file

    with _reading(path):
        loaded = load_graph_file(path, registry)
    if not loaded.ok:
        raise SubgraphError(f"subgraph {type_id} cannot be used, its file has problems:\n  "
                            + "\n  ".join(str(d) for d in loaded.errors))
    return spec_from_graph(type_id, loaded.graph, source=path.resolve())


def is_file_ref(type_id: str) -> bool:
    return type_id.startswith((".", "/", "\\")) or type_id.endswith((".yaml", ".yml")) or "/" in type_id


def resolve_type(type_id: str, registry: Registry, base_dir: Path | None) -> SubgraphSpec | None:
    """The subgraph a graph's ``type:`` names when the registry does not know it yet: a file
    beside the graph (``./NAME.yaml``) or a library file still being read. None if neither;
    :class:`SubgraphError` if the reference is not allowed or the file is broken."""
    pending = _pending()
    if type_id in pending:
        path, origin = pending[type_id]  # kept until read, so a ring meets itself in _reading
        spec = read_subgraph(path, registry, type_id)
        pending.pop(type_id, None)
        registry.add(spec, origin)
        return spec
    if not is_file_ref(type_id):
        return None
    if not LOCAL_REF.match(type_id):
        raise SubgraphError(f"subgraph {type_id!r} is not allowed: a graph file may use a subgraph from your "
                            "library ('type: subgraph.NAME') or a file in its own folder ('type: ./NAME.yaml'), "
                            "nothing else (see SECURITY.md); copy the file beside the graph or into your library")
    if base_dir is None:
        raise SubgraphError(f"subgraph {type_id!r}: a graph that is not a file has no folder to find it in; "
                            "save the graph first, or put the subgraph in your library")
    path = base_dir / type_id[2:]
    if not path.is_file():
        raise SubgraphError(f"subgraph {type_id!r}: there is no file {path}; put it beside the graph file, "
                            "or use one from your library (`thyra nodes --category subgraph` lists them)")
    # A link leading out of the folder would read what the rule keeps out.
    if Path(os.path.realpath(path)).parent != Path(os.path.realpath(base_dir)):
        raise SubgraphError(f"subgraph {type_id!r}: {path} is a link to a file outside the graph's folder, "
                            "which a graph file may not read; copy the file there instead")
    return read_subgraph(path, registry, type_id)


def missing_type_hint(registry: Registry, type_id: str) -> str:
    """The fix for an unknown type: for a subgraph, why its file did not load or where it goes."""
    if not type_id.startswith(LIBRARY_PREFIX):
        return "`thyra nodes` lists the known types"
    stem = type_id[len(LIBRARY_PREFIX):]
    failed = next((p for p in registry.problems if Path(p.origin).stem.lower() == stem), None)
    if failed is not None:
        return f"its library file did not load: {failed.message}"
    return (f"subgraphs come from your library: put {stem}.yaml in a folder named by THYRA_LIBRARY or in the "
            "user library (`thyra nodes` lists the subgraphs found), or beside this graph as 'type: ./NAME.yaml'")


def with_spec(registry: Registry, spec: SubgraphSpec) -> Registry:
    """A registry that also knows ``spec`` (a graph's own subgraph), sharing everything else."""
    return replace(registry, specs={**registry.specs, spec.id: spec},
                   origins={**registry.origins, spec.id: str(spec.source)})


def load_library(registry: Registry, files: list[tuple[Path, str]]) -> None:
    """Register the subgraph files (path, origin), each as ``subgraph.<stem>``; library files
    may use each other in any order. Problems are recorded in the registry, never raised."""
    from .subgraph import library_id

    pending = _pending()
    origins: dict[str, str] = {}
    for path, origin in files:
        type_id = library_id(path)
        if type_id in registry.specs or type_id in pending:
            shown = registry.origins.get(type_id) or origins.get(type_id)
            registry.problems.append(_problem(origin, f"subgraph file {path.name} was ignored: {type_id} is already "
                                                      f"provided by {shown}; rename the file"))
            continue
        pending[type_id] = (path, origin)
        origins[type_id] = origin
    try:
        while pending:
            type_id, (path, origin) = next(iter(pending.items()))
            try:
                spec = read_subgraph(path, registry, type_id)
            except SubgraphError as exc:
                registry.problems.append(_problem(origin, str(exc)))
                spec = None
            pending.pop(type_id, None)
            if spec is not None and type_id not in registry.specs:  # (a file using it read it already)
                registry.add(spec, origin)
    finally:
        pending.clear()


def _problem(origin: str, message: str):
    from .registry import LoadProblem

    return LoadProblem(origin, message)


__all__ = ["LIBRARY_PREFIX", "is_file_ref", "load_library", "missing_type_hint", "read_subgraph", "resolve_type", "with_spec"]
