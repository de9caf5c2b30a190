"""What a graph file held that the graph could not take in, kept to be written back as it was.

A hand-written file may name a node type that is not installed, misspell a param, link
outputs and inputs of different types or hold a key this version does not know. Loading
reports each of these and builds the valid rest; saving must not then delete them, or one typo
and Ctrl+S erase the user's work. So the loader keeps the raw parts here, on the graph, and
``graph_to_data`` puts them back: a broken node stays where it was, a refused param or link
stays on its node. What the user sets through the graph wins (a fixed param, a new link on the
same port), and removing or renaming a node takes its kept parts along.

>>> kept = Kept()
>>> kept.param("blur", "sigmaa", 2.0)
>>> kept.merge_node("blur", {"type": "image.blur", "params": {"sigma": 1.0}})
{'type': 'image.blur', 'params': {'sigmaa': 2.0, 'sigma': 1.0}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Kept:
    """Raw parts of the file, by where they belong (see the module docstring)."""

    nodes: dict[str, Any] = field(default_factory=dict)  # node id -> body of a node that did not load
    params: dict[str, dict[Any, Any]] = field(default_factory=dict)  # node -> param -> value as written
    inputs: dict[str, dict[Any, Any]] = field(default_factory=dict)  # node -> port -> link as written
    keys: dict[str, dict[Any, Any]] = field(default_factory=dict)  # node -> key this version does not read
    top: dict[Any, Any] = field(default_factory=dict)  # top-level keys this version does not read

    def __bool__(self) -> bool:
        return any((self.nodes, self.params, self.inputs, self.keys, self.top))

    def node(self, node_id: str, body: Any) -> None:
        self.nodes[node_id] = body

    def param(self, node_id: str, name: Any, value: Any) -> None:
        self.params.setdefault(node_id, {})[name] = value

    def input(self, node_id: str, port: Any, ref: Any) -> None:
        self.inputs.setdefault(node_id, {})[port] = ref

    def key(self, node_id: str, key: Any, value: Any) -> None:
        self.keys.setdefault(node_id, {})[key] = value

    def merge_node(self, node_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` (a loaded node as data) with what the file held for it besides."""
        for part, kept in (("inputs", self.inputs), ("params", self.params)):
            if node_id in kept and part not in self.keys.get(node_id, {}):
                body[part] = {**kept[node_id], **body.get(part, {})}  # the graph's values win
        for key, value in self.keys.get(node_id, {}).items():  # unknown keys, a non-mapping 'params'
            body[key] = value
        return body

    def drop(self, node_id: str) -> None:
        """A node was removed: what was kept for it goes too."""
        for kept in (self.nodes, self.params, self.inputs, self.keys):
            kept.pop(node_id, None)

    def rename(self, old: str, new: str) -> None:
        for kept in (self.params, self.inputs, self.keys):
            if old in kept:
                kept[new] = kept.pop(old)
        for ports in self.inputs.values():
            for port, ref in ports.items():
                if isinstance(ref, str) and ref.split(".")[0] == old and ref.count(".") == 1:
                    ports[port] = f"{new}.{ref.split('.')[1]}"
