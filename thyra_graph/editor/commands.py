"""Undoable edits of a graph, and the stack that undoes and redoes them.

Every edit the editor makes to a graph goes through one of these commands, so every edit
can be undone. A command changes the engine's :class:`Graph` (the one source of truth) and
returns :class:`Change` records that the views (canvas, properties) mirror.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thyra_graph.engine.graph import Graph, split_ref

# kinds of change
NODE_ADDED = "node_added"
NODE_REMOVED = "node_removed"
LINKS = "links"          # the inputs of `node` changed
PARAM = "param"          # a parameter of `node` changed
MOVED = "moved"          # `node` moved
BACKDROPS = "backdrops"  # the backdrops (ui.backdrops) changed; `node` is ""
BROKEN = "broken"        # a node kept as written (it did not load) was removed or restored


@dataclass(frozen=True)
class Change:
    kind: str
    node: str


class Command:
    """One undoable edit. ``do`` may raise GraphError, leaving the graph unchanged."""

    label = "edit"

    def do(self, graph: Graph) -> list[Change]:
        raise NotImplementedError

    def undo(self, graph: Graph) -> list[Change]:
        raise NotImplementedError


def _positions(graph: Graph) -> dict[str, list[float]]:
    positions = graph.ui.get("positions")
    if not isinstance(positions, dict):
        positions = graph.ui["positions"] = {}
    return positions


@dataclass
class AddNode(Command):
    type_id: str
    node_id: str
    position: tuple[float, float] = (0.0, 0.0)
    params: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    label = "add node"

    def do(self, graph: Graph) -> list[Change]:
        graph.add_node(self.type_id, self.node_id, params=self.params)
        graph.nodes[self.node_id].title = self.title
        _positions(graph)[self.node_id] = [float(self.position[0]), float(self.position[1])]
        return [Change(NODE_ADDED, self.node_id)]

    def undo(self, graph: Graph) -> list[Change]:
        graph.remove_node(self.node_id)
        return [Change(NODE_REMOVED, self.node_id)]


@dataclass
class RemoveNode(Command):
    node_id: str
    label = "delete node"
    _saved: dict[str, Any] = field(default_factory=dict, repr=False)

    def do(self, graph: Graph) -> list[Change]:
        node = graph.node(self.node_id)
        consumers = [(dst, port, out) for src, out, dst, port in graph.links() if src == self.node_id]
        self._saved = {
            "type": node.type_id, "params": dict(node.params), "title": node.title,
            "inputs": dict(node.inputs), "consumers": consumers,
            "position": _positions(graph).get(self.node_id, [0.0, 0.0]),
        }
        graph.remove_node(self.node_id)
        return [Change(NODE_REMOVED, self.node_id)] + [Change(LINKS, dst) for dst, _, _ in consumers]

    def undo(self, graph: Graph) -> list[Change]:
        saved = self._saved
        graph.add_node(saved["type"], self.node_id)
        node = graph.nodes[self.node_id]
        node.params.update(saved["params"])  # values were valid when removed
        node.title = saved["title"]
        _positions(graph)[self.node_id] = list(saved["position"])
        for port, (src, out) in saved["inputs"].items():
            graph.connect(f"{src}.{out}", f"{self.node_id}.{port}")
        for dst, port, out in saved["consumers"]:
            graph.connect(f"{self.node_id}.{out}", f"{dst}.{port}")
        return [Change(NODE_ADDED, self.node_id)] + [Change(LINKS, dst) for dst, _, _ in saved["consumers"]]


@dataclass
class RemoveBroken(Command):
    """Delete a node that did not load (kept as written): Save then leaves it out, and the
    kept links that named it go with it."""

    node_id: str
    label = "delete broken node"
    _saved: dict[str, Any] = field(default_factory=dict, repr=False)

    def do(self, graph: Graph) -> list[Change]:
        kept = graph.kept
        links = {(n, p): r for n, ports in kept.inputs.items() for p, r in ports.items()
                 if isinstance(r, str) and r.split(".")[0] == self.node_id}
        for node_id, port in links:
            del kept.inputs[node_id][port]
        self._saved = {"body": kept.nodes.pop(self.node_id), "links": links,
                       "position": _positions(graph).pop(self.node_id, None)}
        return [Change(BROKEN, self.node_id)]

    def undo(self, graph: Graph) -> list[Change]:
        graph.kept.node(self.node_id, self._saved["body"])
        for (node_id, port), ref in self._saved["links"].items():
            graph.kept.input(node_id, port, ref)
        if self._saved["position"] is not None:
            _positions(graph)[self.node_id] = self._saved["position"]
        return [Change(BROKEN, self.node_id)]


@dataclass
class SetLink(Command):
    """Link ``source`` ("node.output") to ``target`` ("node.input"), or unlink it (None)."""

    target: str
    source: str | None
    label = "connect"
    _old: str | None = field(default=None, repr=False)

    def do(self, graph: Graph) -> list[Change]:
        node_id, port = split_ref(self.target)
        old = graph.node(node_id).inputs.get(port)
        self._old = f"{old[0]}.{old[1]}" if old else None
        self._apply(graph, self.source)
        return [Change(LINKS, node_id)]

    def undo(self, graph: Graph) -> list[Change]:
        self._apply(graph, self._old)
        return [Change(LINKS, split_ref(self.target)[0])]

    def _apply(self, graph: Graph, source: str | None) -> None:
        if source is None:
            graph.disconnect(self.target)
        else:
            graph.connect(source, self.target)


@dataclass
class SetParam(Command):
    """Set a parameter (``reset=True``: back to its declared default)."""

    node_id: str
    name: str
    value: Any = None
    reset: bool = False
    label = "change parameter"
    _old: tuple[bool, Any] = field(default=(False, None), repr=False)

    def do(self, graph: Graph) -> list[Change]:
        params = graph.node(self.node_id).params
        self._old = (self.name in params, params.get(self.name))
        if self.reset:
            graph.reset_param(self.node_id, self.name)
        else:
            graph.set_param(self.node_id, self.name, self.value)
        return [Change(PARAM, self.node_id)]

    def undo(self, graph: Graph) -> list[Change]:
        had, old = self._old
        if had:
            graph.nodes[self.node_id].params[self.name] = old
            graph.revision += 1
        else:
            graph.reset_param(self.node_id, self.name)
        return [Change(PARAM, self.node_id)]


@dataclass
class MoveNodes(Command):
    new: dict[str, tuple[float, float]]
    label = "move"
    _old: dict[str, list[float] | None] = field(default_factory=dict, repr=False)

    def do(self, graph: Graph) -> list[Change]:
        positions = _positions(graph)
        self._old = {n: positions.get(n) for n in self.new}
        for node_id, (x, y) in self.new.items():
            positions[node_id] = [float(x), float(y)]
        return [Change(MOVED, n) for n in self.new]

    def undo(self, graph: Graph) -> list[Change]:
        positions = _positions(graph)
        for node_id, old in self._old.items():
            if old is None:
                positions.pop(node_id, None)
            else:
                positions[node_id] = old
        return [Change(MOVED, n) for n in self.new]


def backdrops_of(graph: Graph) -> list[dict[str, Any]]:
    """``ui.backdrops``: boxes grouping nodes on the canvas; ``thyra run`` ignores them."""
    backdrops = graph.ui.get("backdrops")
    return backdrops if isinstance(backdrops, list) else []


@dataclass
class SetBackdrops(Command):
    """Replace the list of backdrops (add, retitle, move, resize and delete are all this)."""

    new: list[dict[str, Any]]
    label: str = "edit backdrop"
    _old: list[dict[str, Any]] | None = field(default=None, repr=False)

    def do(self, graph: Graph) -> list[Change]:
        self._old = [dict(b) for b in backdrops_of(graph)] if "backdrops" in graph.ui else None
        self._apply(graph, [dict(b) for b in self.new])
        return [Change(BACKDROPS, "")]

    def undo(self, graph: Graph) -> list[Change]:
        self._apply(graph, self._old)
        return [Change(BACKDROPS, "")]

    @staticmethod
    def _apply(graph: Graph, backdrops: list[dict[str, Any]] | None) -> None:
        if backdrops:
            graph.ui["backdrops"] = backdrops
        else:
            graph.ui.pop("backdrops", None)  # no empty key left in the file


@dataclass
class RenameNode(Command):
    """Change a node's id; links, outputs, its position and backdrop membership follow."""

    old: str
    new: str
    label = "rename node"

    def do(self, graph: Graph) -> list[Change]:
        return self._rename(graph, self.old, self.new)

    def undo(self, graph: Graph) -> list[Change]:
        return self._rename(graph, self.new, self.old)

    @staticmethod
    def _rename(graph: Graph, old: str, new: str) -> list[Change]:
        graph.rename_node(old, new)
        for backdrop in backdrops_of(graph):
            backdrop["nodes"] = [new if n == old else n for n in backdrop.get("nodes", [])]
        consumers = sorted({dst for src, _, dst, _ in graph.links() if src == new})
        # The views drop the old node and draw the new one, with its pipes.
        return [Change(NODE_REMOVED, old), Change(NODE_ADDED, new)] + [Change(LINKS, c) for c in consumers]


@dataclass
class Macro(Command):
    """Several commands as one undo step; all or nothing."""

    commands: list[Command]
    label: str = "edit"

    def do(self, graph: Graph) -> list[Change]:
        changes: list[Change] = []
        done: list[Command] = []
        try:
            for command in self.commands:
                changes += command.do(graph)
                done.append(command)
        except Exception:
            for command in reversed(done):
                command.undo(graph)
            raise
        return changes

    def undo(self, graph: Graph) -> list[Change]:
        changes: list[Change] = []
        for command in reversed(self.commands):
            changes += command.undo(graph)
        return changes


class UndoStack:
    """Commands done so far; ``index`` counts those in effect. ``clean`` marks the saved state."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.index = 0
        self.clean_index: int | None = 0

    def push(self, command: Command, graph: Graph) -> list[Change]:
        changes = command.do(graph)  # raises before anything is recorded
        del self.commands[self.index:]
        if self.clean_index is not None and self.clean_index > self.index:
            self.clean_index = None  # the saved state can no longer be reached
        self.commands.append(command)
        self.index += 1
        return changes

    def can_undo(self) -> bool:
        return self.index > 0

    def can_redo(self) -> bool:
        return self.index < len(self.commands)

    def undo(self, graph: Graph) -> list[Change]:
        if not self.can_undo():
            return []
        self.index -= 1
        return self.commands[self.index].undo(graph)

    def redo(self, graph: Graph) -> list[Change]:
        if not self.can_redo():
            return []
        changes = self.commands[self.index].do(graph)
        self.index += 1
        return changes

    def mark_clean(self) -> None:
        self.clean_index = self.index

    @property
    def is_clean(self) -> bool:
        return self.clean_index == self.index

    def undo_label(self) -> str:
        return self.commands[self.index - 1].label if self.can_undo() else ""

    def redo_label(self) -> str:
        return self.commands[self.index].label if self.can_redo() else ""
