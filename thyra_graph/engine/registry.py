"""The registry container: node specs, port types, param kinds and previews by name, and the
load problems met while filling it.

The engine only *uses* a registry. Filling it (built-ins, entry points, plugin folders) is
the job of ``thyra_graph.nodes.discovery``; discovery never raises, it records problems here.
A name is owned by whoever registered it first: a second, different declaration under the
same name is refused and recorded, so a plugin can neither replace a built-in nor another
plugin's type or kind.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from thyra_graph.types import PortType, UnknownPortType, builtin_type, type_names

from .declaration import NodeSpec
from .param_kinds import ParamKind

#: A plugin's preview of a value: an H×W×3 uint8 RGB picture and a caption. No Qt: the editor
#: shows it like its own previews.
PreviewFunction = Callable[[PortType], tuple[np.ndarray, str]]


@dataclass(frozen=True)
class LoadProblem:
    """A plugin (or one of its nodes) that could not be loaded, and why."""

    origin: str  # "entry point 'name' (module)" / a file path
    message: str

    def __str__(self) -> str:
        """One paragraph naming the plugin, what went wrong and the fix (for CLI and editor)."""
        return f"{self.origin}: {self.message}"


_WORDS = {"type": "port type", "kind": "param kind", "preview": "the preview of port type"}


@dataclass
class Registry:
    specs: dict[str, NodeSpec] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)
    types: dict[str, type[PortType]] = field(default_factory=dict)
    param_kinds: dict[str, ParamKind] = field(default_factory=dict)
    previews: dict[str, PreviewFunction] = field(default_factory=dict)
    #: Who registered each type, param kind and preview (keys "type:Name", "kind:name", "preview:Name").
    extension_origins: dict[str, str] = field(default_factory=dict)

    def add(self, spec: NodeSpec, origin: str = "code") -> bool:
        """Register ``spec`` with the port types and param kinds it uses.

        An id that exists already is refused and recorded, and so is a node using a port type
        or param kind whose name another declaration owns.
        """
        clash = self._clash(spec)
        if clash:
            self.problems.append(LoadProblem(origin, f"node {spec.id!r} was ignored: {clash}"))
            return False
        if spec.id in self.specs:
            if self.specs[spec.id] is spec:
                return True
            self.problems.append(LoadProblem(
                origin, f"node id {spec.id!r} is already provided by {self.origins[spec.id]}; "
                        "this declaration was ignored (rename the node, e.g. with your plugin's prefix)"))
            return False
        self.specs[spec.id] = spec
        self.origins[spec.id] = origin
        for port in (*spec.inputs, *spec.outputs):
            self.add_type(port.type, origin)
        for param in spec.params:
            if param.plugin_kind is not None:
                self.add_param_kind(param.plugin_kind, origin)
        return True

    def add_type(self, port_type: type[PortType], origin: str = "code") -> bool:
        """Register a port type under its ``type_name``; a different class of that name is refused."""
        return self._claim("type", port_type.type_name, port_type, self.types, origin)

    def add_param_kind(self, kind: ParamKind, origin: str = "code") -> bool:
        """Register a param kind under its name; a different kind of that name is refused."""
        return self._claim("kind", kind.name, kind, self.param_kinds, origin)

    def add_preview(self, type_name: str, render: PreviewFunction, origin: str = "code") -> bool:
        """Register the preview of a port type; only the origin that registered the type may."""
        owner = self.extension_origins.get(f"type:{type_name}")
        if owner is None:
            self.problems.append(LoadProblem(origin, f"a preview for port type {type_name!r} was ignored: no such "
                                                     "type is registered; list the type in THYRA_TYPES"))
            return False
        if owner != origin:
            self.problems.append(LoadProblem(origin, f"a preview for port type {type_name!r} was ignored: the type "
                                                     f"belongs to {owner}, and only its owner may preview it"))
            return False
        return self._claim("preview", type_name, render, self.previews, origin)

    def port_type(self, name: str) -> type[PortType]:
        """The port type called ``name``; :class:`UnknownPortType` when none is registered (plugin not loaded).

        Built-in types are always known, also to a registry filled by hand (tests, notebooks).
        """
        found = self.types.get(name)
        if found is not None:
            return found
        try:
            return builtin_type(name)
        except KeyError:
            raise UnknownPortType(f"unknown port type {name!r}; known: {', '.join(sorted(set(self.types) | set(type_names())))}") from None

    def _claim(self, what: str, name: str, item: Any, table: dict[str, Any], origin: str) -> bool:
        key = f"{what}:{name}"
        if name in table:
            if table[name] is item:
                return True
            self.problems.append(LoadProblem(origin, f"{_WORDS[what]} {name!r} is already provided by "
                                                     f"{self.extension_origins[key]}; this one was ignored "
                                                     "(name yours under your plugin's own prefix, e.g. 'myplugin.Name')"))
            return False
        table[name] = item
        self.extension_origins[key] = origin
        return True

    def _clash(self, spec: NodeSpec) -> str:
        for port in (*spec.inputs, *spec.outputs):
            taken = self.types.get(port.type.type_name)
            if taken is not None and taken is not port.type:
                return (f"its port {port.name!r} uses a port type named {port.type.type_name!r}, a name that "
                        f"{self.extension_origins['type:' + port.type.type_name]} already gives another type; "
                        "name your type under your plugin's own prefix")
        for param in spec.params:
            taken_kind = self.param_kinds.get(param.kind)
            if param.plugin_kind is not None and taken_kind is not None and taken_kind is not param.plugin_kind:
                return (f"its param {param.name!r} uses a param kind named {param.kind!r}, a name that "
                        f"{self.extension_origins['kind:' + param.kind]} already gives another kind")
        return ""

    def get(self, type_id: str) -> NodeSpec | None:
        return self.specs.get(type_id)

    def __getitem__(self, type_id: str) -> NodeSpec:
        spec = self.specs.get(type_id)
        if spec is None:
            raise KeyError(f"unknown node type {type_id!r}{self.suggest_suffix(type_id)}")
        return spec

    def __contains__(self, type_id: str) -> bool:
        return type_id in self.specs

    def __iter__(self):
        return iter(sorted(self.specs.values(), key=lambda s: (s.category, s.id)))

    def __len__(self) -> int:
        return len(self.specs)

    def unavailable(self) -> dict[str, list[str]]:
        """Node ids whose optional dependencies are missing, with the missing module names.

        Checked without importing anything, so listing stays fast.
        """
        missing = {spec.id: spec.missing_requirements() for spec in self.specs.values() if spec.requires}
        return {type_id: modules for type_id, modules in sorted(missing.items()) if modules}

    def suggest(self, type_id: str, n: int = 3) -> list[str]:
        """The closest known ids, for 'did you mean' messages."""
        ids = list(self.specs)
        close = difflib.get_close_matches(type_id, ids, n=n, cutoff=0.5)
        tail = type_id.rsplit(".", 1)[-1]
        close += [i for i in ids if i.rsplit(".", 1)[-1] == tail and i not in close]
        return close[:n]

    def suggest_suffix(self, type_id: str) -> str:
        close = self.suggest(type_id)
        return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
