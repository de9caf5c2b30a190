"""Filling the node registry: built-in nodes, installed plugins and plugin folders.

Sources are read in this order; the first declaration of an id wins and later ones are
refused (so built-in ids cannot be overridden):

1. the built-in nodes, through the ``thyra.nodes`` entry point ``builtin`` exactly like a
   plugin (or, in a source tree whose package metadata is not installed, by module name
   through the same loading code);
2. the other ``thyra.nodes`` entry points of installed packages, sorted by name;
3. the folders listed in ``THYRA_PLUGIN_PATH`` (separated by ``os.pathsep``);
4. the user plugin folder, ``platformdirs.user_data_path("thyra") / "plugins"``;
5. last, subgraph files (graphs used as nodes): those plugins list in ``THYRA_SUBGRAPHS`` and
   the library folders (see library.py).

Nothing else is searched, in particular never the folder of a graph file: opening a graph
someone sent you cannot run code that came with it.

What a plugin provides: an entry point names a module, or ``module:callable`` returning an
iterable of :class:`NodeSpec`. From a module, ``THYRA_NODES`` is used when defined, otherwise
every module-level :class:`NodeSpec` in definition order. A module may also extend the open
registries: ``THYRA_TYPES`` (PortType subclasses), ``THYRA_PARAM_KINDS`` (:class:`ParamKind`
declarations) and ``THYRA_PREVIEWS`` (port type name → a function rendering a value to an RGB
image and a caption, for the editor); the built-ins register theirs the same way, and a plugin
may preview only the types it registers. In a plugin folder each ``*.py`` file and each
package (a folder with ``__init__.py``) is one plugin; names starting with ``_`` or ``.`` are
skipped, so helper modules can live beside plugins.

Discovery never raises: a plugin that fails to import, declares a malformed node, provides
something that is not a node (or not a type, kind or preview), or reuses a taken id or name
becomes a :class:`LoadProblem` in
``registry.problems`` (shown by ``thyra nodes --errors``) and everything else keeps loading.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import threading
import traceback
import types
from pathlib import Path
from collections.abc import Callable, Iterable
from typing import Any

import platformdirs

from thyra_graph.engine.declaration import DeclarationError, NodeSpec
from thyra_graph.engine.param_kinds import ParamKind, ParamKindError
from thyra_graph.engine.registry import LoadProblem, Registry
from thyra_graph.types import PortType

from .library import SUBGRAPHS_ATTRIBUTE, load_subgraphs, plugin_subgraphs

ENTRY_POINT_GROUP = "thyra.nodes"
BUILTIN_MODULE = "thyra_graph.nodes.builtin"
PLUGIN_PATH_ENV = "THYRA_PLUGIN_PATH"
NODES_ATTRIBUTE = "THYRA_NODES"
TYPES_ATTRIBUTE = "THYRA_TYPES"
KINDS_ATTRIBUTE = "THYRA_PARAM_KINDS"
PREVIEWS_ATTRIBUTE = "THYRA_PREVIEWS"

# Folder plugins are imported under names no real package can take, so a plugin called
# ``numpy.py`` cannot shadow numpy and two folders may both hold a ``nodes.py``.
_PRIVATE_PREFIX = "_thyra_plugin_"
_PRIVATE_NAME = re.compile(_PRIVATE_PREFIX + r"[0-9a-f]{12}_(\w+)")

_REINSTALL = "These are Thyra's own nodes: reinstall Thyra (pip install -e . in a source checkout)."
_IMPORTLIB_DIR = str(Path(importlib.__file__).parent)

_default: Registry | None = None
# Re-entrant: a plugin calling default_registry() at import must meet the recursion guard in
# discover() (and be reported), not deadlock on this lock.
_default_lock = threading.RLock()
_active = threading.local()


# -- public entry points ----------------------------------------------------------------------
def user_plugin_dir() -> Path:
    """The per-user plugin folder (on Linux ``$XDG_DATA_HOME/thyra/plugins``)."""
    return platformdirs.user_data_path("thyra") / "plugins"


def plugin_path_from_env() -> list[Path]:
    """The folders named in ``THYRA_PLUGIN_PATH``, in order (empty entries ignored)."""
    raw = os.environ.get(PLUGIN_PATH_ENV, "")
    return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]


def discover(
    *,
    entry_points: bool = True,
    plugin_path: list[Path] | None = None,
    user_plugins: bool = True,
    subgraphs: bool = True,
) -> Registry:
    """Build a fresh registry from every node source; load problems are recorded, never raised.

    ``entry_points=False`` skips installed plugins (built-ins are then loaded by module name);
    ``plugin_path`` replaces ``THYRA_PLUGIN_PATH`` when given; ``user_plugins=False`` skips the
    user plugin folder; ``subgraphs=False`` skips the subgraph library (see library.py).
    """
    if getattr(_active, "discovering", False):
        # A plugin asking for the registry at import time would otherwise recurse forever.
        raise RuntimeError(
            "the node registry was requested while plugins were being discovered; a plugin "
            "must not use the registry (default_registry/discover) at import time")
    _active.discovering = True
    try:
        loader = _Loader(Registry())
        loader.load_builtins_and_entry_points(include_plugins=entry_points)
        folders = plugin_path_from_env() if plugin_path is None else [Path(p) for p in plugin_path]
        for folder in folders:
            loader.load_folder(folder, must_exist=True)
        if user_plugins:
            loader.load_folder(user_plugin_dir(), must_exist=False)
        if subgraphs:
            load_subgraphs(loader.registry, loader.subgraph_files)
        return loader.registry
    finally:
        _active.discovering = False


def default_registry(*, reload: bool = False) -> Registry:
    """The process-wide registry, discovered on first use; ``reload=True`` discovers again."""
    global _default
    with _default_lock:
        if _default is None or reload:
            _default = discover()
        return _default


# -- loading ----------------------------------------------------------------------------------
class _Loader:
    """One discovery pass: the registry being filled and where the built-ins came from."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.builtin_origin: str | None = None
        self._seen_folders: set[Path] = set()
        self.subgraph_files: list[tuple[Path, str]] = []  # shipped by plugins, read after all nodes

    # entry points
    def load_builtins_and_entry_points(self, *, include_plugins: bool) -> None:
        found: list[importlib.metadata.EntryPoint] = []
        try:
            if include_plugins:
                found = _thyra_entry_points()
        except Exception as exc:  # broken metadata of some unrelated package
            self.problem(f"entry point group '{ENTRY_POINT_GROUP}'",
                         f"installed package metadata could not be read ({type(exc).__name__}: {exc}); "
                         "only built-in nodes and plugin folders were loaded. Reinstall the broken package.")
        builtin = next((ep for ep in found if ep.module == BUILTIN_MODULE), None)
        if builtin is not None:
            self.builtin_origin = _entry_point_origin(builtin)
            self.load(self.builtin_origin, "builtin", builtin.load, fix=_REINSTALL, module=BUILTIN_MODULE)
        else:
            # Running from a source tree that is not pip-installed: same loading code, no metadata.
            self.builtin_origin = f"built-in module {BUILTIN_MODULE}"
            self.load(self.builtin_origin, "builtin", lambda: importlib.import_module(BUILTIN_MODULE),
                      fix=_REINSTALL, module=BUILTIN_MODULE)
        for ep in found:
            if ep is not builtin:
                self.load(_entry_point_origin(ep), ep.name, ep.load, fix=_entry_point_fix(ep), module=ep.module)

    # folders
    def load_folder(self, folder: Path, *, must_exist: bool) -> None:
        folder = folder.expanduser()
        if not folder.is_dir():
            if must_exist:
                self.problem(str(folder), f"the plugin path names {folder}, which is not a folder; "
                                          f"correct {PLUGIN_PATH_ENV} or create the folder.")
            return
        resolved = folder.resolve()
        if resolved in self._seen_folders:
            return
        self._seen_folders.add(resolved)
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            self.problem(str(folder), f"the plugin folder could not be listed ({exc}); check its permissions.")
            return
        for entry in entries:
            if entry.name.startswith(("_", ".")):
                continue
            if entry.suffix == ".py" and entry.is_file():
                is_package = False
            elif entry.is_dir() and (entry / "__init__.py").is_file():
                is_package = True
            else:
                continue
            fix = f"To disable the plugin, move it out of {folder} or rename it to start with '_'."
            self.load(str(entry), entry.stem, lambda e=entry, p=is_package: _exec_plugin(e, package=p), fix=fix)

    # one plugin
    def load(self, origin: str, name: str, load: Callable[[], Any], *, fix: str, module: str | None = None) -> None:
        try:
            target = load()
            provided = _provided_by(target)
        except (Exception, SystemExit) as exc:  # a plugin must never take discovery down
            self.problem(origin, _failure_message(exc, fix, module))
            return
        # Types before nodes, so a node's own types are owned by its plugin's declared list.
        if isinstance(target, types.ModuleType):
            self.load_extensions(target, origin)
            self.subgraph_files += plugin_subgraphs(target, origin, self.registry)
        specs = [item for item in provided if isinstance(item, NodeSpec)]
        strays = [item for item in provided if not isinstance(item, NodeSpec)]
        if strays:
            shown = ", ".join(f"{item!r:.60} ({type(item).__name__})" for item in strays[:3])
            more = f" and {len(strays) - 3} more" if len(strays) > 3 else ""
            self.problem(origin, f"the plugin provides {len(strays)} value(s) that are not node declarations: "
                                 f"{shown}{more}; they were ignored. Declare nodes with @node(...) and list only "
                                 f"those in {NODES_ATTRIBUTE}.")
        extends = isinstance(target, types.ModuleType) and any(
            hasattr(target, name) for name in (TYPES_ATTRIBUTE, KINDS_ATTRIBUTE, PREVIEWS_ATTRIBUTE, SUBGRAPHS_ATTRIBUTE))
        if not provided and not extends:  # a plugin of types, kinds or previews alone is fine
            self.problem(origin, f"the plugin provides no nodes; declare them with @node(...) at module level "
                                 f"or list them in {NODES_ATTRIBUTE} (or extend Thyra with {TYPES_ATTRIBUTE}, "
                                 f"{KINDS_ATTRIBUTE} or {PREVIEWS_ATTRIBUTE}). {fix}")
        for spec in specs:
            self.add(spec, origin, name)

    def load_extensions(self, module: types.ModuleType, origin: str) -> None:
        """Register the module's port types, param kinds and previews (each checked, never raising)."""
        for item in _listed(module, TYPES_ATTRIBUTE, self, origin):
            reason = _bad_type(item)
            if reason:
                self.problem(origin, f"{TYPES_ATTRIBUTE} lists {item!r:.60}, which {reason}; it was ignored.")
            else:
                self.registry.add_type(item, origin)
        for item in _listed(module, KINDS_ATTRIBUTE, self, origin):
            if isinstance(item, ParamKind):
                self.registry.add_param_kind(item, origin)
            else:
                self.problem(origin, f"{KINDS_ATTRIBUTE} lists {item!r:.60} ({type(item).__name__}), which is not "
                                     "a ParamKind; it was ignored. Declare kinds with ParamKind(name, coerce=..., "
                                     "describe=..., widget=...).")
        previews = getattr(module, PREVIEWS_ATTRIBUTE, None)
        if previews is None:
            return
        if not isinstance(previews, dict):
            self.problem(origin, f"{PREVIEWS_ATTRIBUTE} must be a dict of port type name to a preview function, "
                                 f"got {type(previews).__name__}; no previews were registered.")
            return
        for type_name, render in previews.items():
            if not isinstance(type_name, str) or not callable(render):
                self.problem(origin, f"{PREVIEWS_ATTRIBUTE} maps {type_name!r:.40} to {render!r:.40}; it must map a "
                                     "port type name to a function (value -> (RGB image, caption)); it was ignored.")
            else:
                self.registry.add_preview(type_name, render, origin)

    def add(self, spec: NodeSpec, origin: str, plugin_name: str) -> None:
        taken_by = self.registry.origins.get(spec.id)
        if (taken_by is not None and taken_by == self.builtin_origin and origin != taken_by
                and self.registry.specs[spec.id] is not spec):
            suggestion = f"{_as_prefix(plugin_name)}.{spec.id.rsplit('.', 1)[-1]}"
            self.problem(origin, f"node id {spec.id!r} belongs to a built-in node ({taken_by}) and built-in "
                                 f"nodes cannot be replaced; this declaration was ignored. Give your node an id "
                                 f"under your plugin's own prefix, e.g. {suggestion!r}.")
            return
        self.registry.add(spec, origin)

    def problem(self, origin: str, message: str) -> None:
        self.registry.problems.append(LoadProblem(origin, message))


def _thyra_entry_points() -> list[importlib.metadata.EntryPoint]:
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    # One distribution seen twice on sys.path (e.g. editable install + build folder) lists its
    # entry points twice; keep the first of each (name, value).
    unique: dict[tuple[str, str], importlib.metadata.EntryPoint] = {}
    for ep in sorted(found, key=lambda ep: (ep.name, ep.value)):
        unique.setdefault((ep.name, ep.value), ep)
    return list(unique.values())


def _entry_point_origin(ep: importlib.metadata.EntryPoint) -> str:
    return f"entry point '{ep.name}' ({ep.value})"


def _entry_point_fix(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    package = dist.name if dist is not None else "the package that declares it"
    return f"To disable the plugin, uninstall {package} (it declares the entry point)."


def _provided_by(target: Any) -> list[Any]:
    """What a loaded plugin target offers: specs and, for reporting, anything else it listed."""
    if isinstance(target, types.ModuleType):
        if not hasattr(target, NODES_ATTRIBUTE):
            return _unique(v for v in vars(target).values() if isinstance(v, NodeSpec))
        target = getattr(target, NODES_ATTRIBUTE)
    elif callable(target) and not isinstance(target, NodeSpec):
        target = target()
    if isinstance(target, NodeSpec):
        return [target]
    if isinstance(target, (str, bytes, dict)) or not isinstance(target, Iterable):
        raise TypeError(f"expected an iterable of node declarations (NodeSpec), got {type(target).__name__}")
    return _unique(target)


def _listed(module: types.ModuleType, attribute: str, loader: _Loader, origin: str) -> list[Any]:
    value = getattr(module, attribute, None)
    if value is None:
        return []
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        loader.problem(origin, f"{attribute} must be a list, got {type(value).__name__}; nothing in it was registered.")
        return []
    return _unique(value)


def _bad_type(item: Any) -> str:
    """Why ``item`` cannot be registered as a port type ('' when it can)."""
    if not (isinstance(item, type) and issubclass(item, PortType)):
        return "is not a PortType subclass"
    name = item.__dict__.get("type_name")
    if not isinstance(name, str) or not name.strip():
        return "does not set its own type_name (the name graph files, the cache and the editor use)"
    return ""


def _unique(items: Iterable[Any]) -> list[Any]:
    # The same spec bound to two names (an alias) is one node, not a duplicate.
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


# -- folder plugins ---------------------------------------------------------------------------
def _exec_plugin(path: Path, *, package: bool) -> types.ModuleType:
    """Import a plugin file or package under a private name, without touching ``sys.path``."""
    name = _private_name(path)
    if package:
        # submodule_search_locations makes ``from . import helpers`` work inside the package.
        spec = importlib.util.spec_from_file_location(
            name, path / "__init__.py", submodule_search_locations=[str(path)])
    else:
        spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Python cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    _forget(name)  # a reload must not see the submodules of the previous load
    # Registered before running so relative imports, dataclasses and typing can find it.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        _forget(name)
        raise
    return module


def _private_name(path: Path) -> str:
    digest = hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.stem) or "plugin"
    return f"{_PRIVATE_PREFIX}{digest}_{stem}"


def _forget(name: str) -> None:
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


# -- messages ---------------------------------------------------------------------------------
def _failure_message(exc: BaseException, fix: str, module: str | None) -> str:
    if isinstance(exc, SyntaxError):
        return (f"the plugin has a syntax error in {exc.filename} line {exc.lineno}: {exc.msg}; "
                f"none of its nodes were loaded. Correct the code. {fix}")
    where = _where(exc)
    text = _PRIVATE_NAME.sub(r"\1", str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))
    if isinstance(exc, DeclarationError):
        return (f"a node declaration is malformed{where}: {text}; none of the plugin's nodes were loaded. "
                f"Correct the @node(...) declaration. {fix}")
    if isinstance(exc, ParamKindError):
        return (f"a param kind declaration is malformed{where}: {text}; none of the plugin's nodes were loaded. "
                f"Correct the ParamKind(...) declaration. {fix}")
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if missing and module and (module == missing or module.startswith(missing + ".")):
        return (f"the module {module!r} named by the plugin cannot be found; check the entry point's spelling "
                f"and that its package is installed in this Python environment. {fix}")
    if missing and not missing.startswith(_PRIVATE_PREFIX):
        return (f"the plugin could not be imported because module {missing!r} is not installed{where}; "
                f"none of its nodes were loaded. Install it, or import it inside the node function and "
                f"declare requires=[{missing.split('.')[0]!r}] so only the nodes that need it are disabled. {fix}")
    return (f"the plugin failed to import{where}: {type(exc).__name__}: {text}; none of its nodes were loaded. "
            f"Correct the error in the plugin. {fix}")


def _where(exc: BaseException) -> str:
    """' (at file line N)': the innermost frame of the plugin's own code, as best we can tell."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename != __file__ and not f.filename.startswith(("<", _IMPORTLIB_DIR))]
    if not frames:
        return ""
    # A DeclarationError is raised inside Thyra's declaration code; the useful line is the
    # plugin's @node(...) that called it.
    thyra_core = tuple(str(Path(__file__).parents[1] / part) for part in ("engine", "types"))
    own = [f for f in frames if not f.filename.startswith(thyra_core)]
    frame = (own or frames)[-1]
    return f" (at {frame.filename} line {frame.lineno})"


def _as_prefix(name: str) -> str:
    prefix = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "myplugin"
    return prefix if prefix[0].isalpha() else f"p{prefix}"
