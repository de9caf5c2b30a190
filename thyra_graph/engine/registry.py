"""The registry container: node specs by id, and the load problems met while filling it.

The engine only *uses* a registry. Filling it (built-ins, entry points, plugin folders) is
the job of ``thyra_graph.nodes.discovery``; discovery never raises, it records problems here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .declaration import NodeSpec


@dataclass(frozen=True)
class LoadProblem:
    """A plugin (or one of its nodes) that could not be loaded, and why."""

    origin: str  # "entry point 'name' (module)" / a file path
    message: str

    def __str__(self) -> str:
        """One paragraph naming the plugin, what went wrong and the fix (for CLI and editor)."""
        return f"{self.origin}: {self.message}"


@dataclass
class Registry:
    specs: dict[str, NodeSpec] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    def add(self, spec: NodeSpec, origin: str = "code") -> bool:
        """Register ``spec``; an id that exists already is refused and recorded."""
        if spec.id in self.specs:
            if self.specs[spec.id] is spec:
                return True
            self.problems.append(LoadProblem(
                origin, f"node id {spec.id!r} is already provided by {self.origins[spec.id]}; "
                        "this declaration was ignored (rename the node, e.g. with your plugin's prefix)"))
            return False
        self.specs[spec.id] = spec
        self.origins[spec.id] = origin
        return True

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
