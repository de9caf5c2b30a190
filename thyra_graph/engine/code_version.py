"""The version of a node's code: a hash of the source it runs, so a fixed algorithm never
serves a stale answer from a shared cache.

A node's code version covers the source file of the module that defines its function and,
transitively, every module of the same top-level package (a plugin's own package) or of
``thyra_graph`` that it imports, at module level or inside functions. The engine is left
out: how results are stored is versioned by the store itself, and an executor fix must not
invalidate every entry. Third-party libraries are left out too (their upgrade is the user's
decision; ``constraints.txt`` pins them), but a plugin's installed distribution version is in.

Sources are read, never imported, so computing a version runs no code. Each module is read
and parsed once per process.

>>> from thyra_graph.engine.code_version import code_version
>>> import json
>>> len(code_version(json.dumps)) == 16   # a module outside any project package: its own file
True
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import sys
from pathlib import Path
from typing import Any, Callable

_OWN_PACKAGE = "thyra_graph"
_EXCLUDED = ("thyra_graph.engine",)


def code_version(func: Callable[..., Any]) -> str:
    """16 hex digits that change whenever the source of ``func``'s module, or of a project
    module it uses, changes (and with the version of the plugin distribution it comes from)."""
    module = getattr(func, "__module__", None) or ""
    if not module or _module_source(module) is None:
        return _fallback(func)  # defined where no source file can be read (a REPL, exec)
    return _module_closure_version(module)


def code_modules(func: Callable[..., Any]) -> tuple[str, ...]:
    """The modules whose source makes up ``func``'s code version, sorted (to see why a key moved)."""
    return _closure(getattr(func, "__module__", None) or "")


@functools.lru_cache(maxsize=None)
def _closure(module: str) -> tuple[str, ...]:
    roots = {module.split(".")[0], _OWN_PACKAGE}
    found: set[str] = set()
    seen: set[str] = set()
    stack = [module]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        source = _module_source(name)
        if source is None:
            continue
        found.add(name)
        stack.extend(m for m in source[2] if m.split(".")[0] in roots and not m.startswith(_EXCLUDED))
    return tuple(sorted(found))


@functools.lru_cache(maxsize=None)
def _module_closure_version(module: str) -> str:
    digest = hashlib.blake2b(digest_size=8)
    for name in _closure(module):
        data = _module_source(name)[1]
        digest.update(f"{name}\0{hashlib.blake2b(data, digest_size=16).hexdigest()}\0".encode())
    distribution = _distribution_version(module.split(".")[0])
    if distribution:
        digest.update(distribution.encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def _module_source(name: str) -> tuple[Path, bytes, tuple[str, ...]] | None:
    """The module's file, its bytes and the modules it imports (absolute names)."""
    path = _module_file(name)
    if path is None:
        return None
    try:
        data = path.read_bytes()
        tree = ast.parse(data, filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imports: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is None:
                continue
            imports.append(base)
            # `from package import submodule` imports a module, not just a name.
            imports.extend(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return path, data, tuple(imports)


def _absolute(module: str | None, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = ".".join(parts[:len(parts) - (level - 1)])
    return f"{base}.{module}" if module else base


def _module_file(name: str) -> Path | None:
    """The module's source file, found on disk below its top-level package (never imported)."""
    loaded = sys.modules.get(name)
    file = getattr(loaded, "__file__", None) if loaded is not None else None
    if file is None:
        top, _, rest = name.partition(".")
        root = sys.modules.get(top)
        for folder in getattr(root, "__path__", None) or ():
            base = Path(folder, *rest.split(".")) if rest else Path(folder)
            for candidate in (base.with_suffix(".py") if rest else None, base / "__init__.py"):
                if candidate is not None and candidate.is_file():
                    file = candidate
                    break
            if file is not None:
                break
    if not file or not str(file).endswith(".py"):
        return None  # a name imported from a module, not a module itself; or compiled code
    return Path(file)


@functools.lru_cache(maxsize=None)
def _distribution_version(top_level: str) -> str:
    if top_level in (_OWN_PACKAGE, "__main__"):
        return ""  # our own source is hashed whole; the package version adds nothing
    try:
        names = importlib.metadata.packages_distributions().get(top_level, [])
    except Exception:  # a broken metadata entry elsewhere must not break planning
        return ""
    versions = []
    for dist in sorted(set(names)):
        try:
            versions.append(f"{dist}=={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ";".join(versions)


def _fallback(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    data = code.co_code + repr(code.co_consts).encode() if code is not None else repr(func).encode()
    return hashlib.blake2b(data, digest_size=8).hexdigest()
