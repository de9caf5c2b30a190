"""The document an editor window works on: a graph, its file, its undo history.

No Qt here: the canvas and panels call these methods and listen to the :class:`Change`
records they announce. Every method either applies its whole edit or raises
:class:`GraphError` with the engine's message and leaves the graph as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import networkx as nx

from thyra_graph.engine.graph import Graph, GraphError, NodeInstance, split_ref
from thyra_graph.engine.graphfile import Diagnostic, load_graph_file, load_graph_text, save_graph
from thyra_graph.engine.registry import Registry

from .commands import (AddNode, Change, Command, Macro, MoveNodes, RemoveBroken, RemoveNode, RenameNode, SetBackdrops, SetLink,
                       SetParam, UndoStack, backdrops_of)
from .layout import layout_missing

Listener = Callable[[list[Change]], None]


class Document:
    """A graph being edited, with its file path, undo stack and change listeners."""

    def __init__(self, registry: Registry, graph: Graph | None = None, path: Path | None = None) -> None:
        self.registry = registry
        self.graph = graph if graph is not None else Graph(registry, name="untitled")
        self.path = Path(path) if path is not None else None
        self.undo_stack = UndoStack()
        self.diagnostics: list[Diagnostic] = []
        self._listeners: list[Listener] = []
        layout_missing(self.graph)  # a hand-written file opens tidy, without being "modified"

    # -- files -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, registry: Registry) -> "Document":
        """Open a graph file. A file with errors opens with its valid part and its diagnostics;
        a file that cannot be read at all raises :class:`GraphError` listing why."""
        path = Path(path)
        loaded = load_graph_file(path, registry)
        if loaded.graph is None:
            raise GraphError("\n".join(str(d) for d in loaded.diagnostics) or f"cannot open {path}")
        document = cls(registry, loaded.graph, path)
        document.diagnostics = list(loaded.diagnostics)
        return document

    @classmethod
    def recovered(cls, text: str, registry: Registry, path: Path | None, base_dir: Path | None) -> "Document":
        """A document restored from an autosave: it belongs to ``path`` and is unsaved."""
        loaded = load_graph_text(text, registry, source="recovered autosave", base_dir=base_dir)
        if loaded.graph is None:
            raise GraphError("\n".join(str(d) for d in loaded.diagnostics))
        loaded.graph.source = Path(path).resolve() if path else None
        document = cls(registry, loaded.graph, path)
        document.diagnostics = list(loaded.diagnostics)
        document.undo_stack.clean_index = None  # differs from the file until saved
        return document

    def save(self, path: str | Path | None = None) -> Path:
        """Write the graph file (the same YAML ``thyra run`` reads); marks the document clean."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise GraphError("this graph has no file yet: choose where to save it (Save As)")
        if self.graph.name == "untitled" and target.stem:
            self.graph.name = target.stem
        save_graph(self.graph, target)
        self.path = target
        self.undo_stack.mark_clean()
        # What the file says now, with its own name and lines (the old file's are stale).
        self.diagnostics = list(load_graph_file(target, self.registry).diagnostics)
        return target

    @property
    def modified(self) -> bool:
        return not self.undo_stack.is_clean

    @property
    def title(self) -> str:
        return self.path.name if self.path else "untitled"

    # -- listening ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        if listener not in self._listeners:  # a document shown again (back from a subgraph) is not heard twice
            self._listeners.append(listener)

    def _announce(self, changes: list[Change]) -> None:
        for listener in list(self._listeners):
            listener(changes)

    def execute(self, command: Command) -> list[Change]:
        changes = self.undo_stack.push(command, self.graph)
        self._announce(changes)
        return changes

    def undo(self) -> list[Change]:
        changes = self.undo_stack.undo(self.graph)
        self._announce(changes)
        return changes

    def redo(self) -> list[Change]:
        changes = self.undo_stack.redo(self.graph)
        self._announce(changes)
        return changes

    # -- edits -------------------------------------------------------------------------------
    def add_node(self, type_id: str, position: tuple[float, float] = (0.0, 0.0), *,
                 node_id: str | None = None, params: dict[str, Any] | None = None,
                 links: Iterable[tuple[str, str]] = ()) -> str:
        """Add a node of ``type_id``; returns its Thyra id (derived from the type name).

        ``links`` (source, target) pairs that join the new node to others are made in the
        same undo step (a node created from a dropped pipe, connected)."""
        if type_id not in self.registry:
            raise GraphError(f"unknown node type {type_id!r}{self.registry.suggest_suffix(type_id)}")
        node_id = node_id or self.graph.unique_id(type_id.rsplit(".", 1)[-1])
        commands: list[Command] = [AddNode(type_id, node_id, position, dict(params or {}))]
        commands += [SetLink(target, source) for source, target in links]
        self.execute(commands[0] if len(commands) == 1 else Macro(commands, label="add connected node"))
        return node_id

    def remove_nodes(self, node_ids: Iterable[str]) -> None:
        """Delete nodes; a node kept as written (it did not load) is deleted too, so Save drops it."""
        node_ids = list(node_ids)
        ids = [n for n in node_ids if n in self.graph.nodes]
        broken = [n for n in node_ids if n in self.graph.kept.nodes]
        if not ids and not broken:
            return
        commands: list[Command] = [RemoveNode(n) for n in ids] + [RemoveBroken(n) for n in broken]
        backdrops = self._copied_backdrops()
        for backdrop in backdrops:
            backdrop["nodes"] = [n for n in backdrop["nodes"] if n not in ids]
        if backdrops != self.backdrops:
            commands.append(SetBackdrops(backdrops))  # no backdrop names a node that is gone
        self.execute(Macro(commands, label="delete nodes"))

    def connect(self, source: str, target: str) -> None:
        """Link ``"node.output"`` to ``"node.input"``; a type mismatch or a cycle raises."""
        self.execute(SetLink(target, source))

    def disconnect(self, target: str) -> None:
        node_id, port = split_ref(target)
        if port in self.graph.node(node_id).inputs:
            self.execute(SetLink(target, None))

    def change_links(self, unlink: Iterable[str], link: Iterable[tuple[str, str]]) -> None:
        """One gesture on the canvas (drop a pipe elsewhere): all of it, or nothing."""
        commands: list[Command] = [SetLink(target, None) for target in unlink]
        commands += [SetLink(target, source) for source, target in link]
        if commands:
            self.execute(Macro(commands, label="connect" if any(c.source for c in commands) else "disconnect"))

    def set_param(self, node_id: str, name: str, value: Any) -> bool:
        """Set a parameter; False (and no undo step) when the value is unchanged."""
        spec = self.graph.spec(node_id)
        param = spec.param(name)
        if param is not None:
            try:
                if param.coerce(value) == self.graph.params(node_id)[name] and name in self.graph.nodes[node_id].params:
                    return False
            except ValueError:
                pass  # set_param reports it with the node and parameter named
        self.execute(SetParam(node_id, name, value))
        return True

    def reset_param(self, node_id: str, name: str) -> None:
        if name in self.graph.node(node_id).params:
            self.execute(SetParam(node_id, name, reset=True))

    def move_nodes(self, positions: dict[str, tuple[float, float]]) -> None:
        current = self.graph.ui.get("positions") or {}
        moved = {n: p for n, p in positions.items()
                 if (n in self.graph.nodes or n in self.graph.kept.nodes) and list(map(float, p)) != list(current.get(n) or [])}
        if moved:
            self.execute(MoveNodes(moved))

    def rename_node(self, old: str, new: str) -> None:
        """Change a node's id (the graph file's key); a taken or invalid id raises GraphError."""
        new = new.strip()
        if new != old:
            self.execute(RenameNode(old, new))

    # -- backdrops ---------------------------------------------------------------------------
    @property
    def backdrops(self) -> list[dict[str, Any]]:
        """``ui.backdrops``: each {title, x, y, width, height, nodes}; read-only, edit with the methods."""
        return backdrops_of(self.graph)

    def add_backdrop(self, node_ids: Iterable[str], title: str = "Group",
                     rect: tuple[float, float, float, float] | None = None) -> int:
        """Group nodes in a backdrop; ``rect`` (x, y, width, height) defaults to around their
        positions. Returns the backdrop's index."""
        wanted = set(node_ids)
        ids = [n for n in self.graph.nodes if n in wanted]  # in file order, whatever the selection order
        if not ids:
            raise GraphError("select the nodes to group first, then add a backdrop around them")
        if rect is None:
            xs = [self.position(n)[0] for n in ids]
            ys = [self.position(n)[1] for n in ids]
            # Positions are node corners; leave room for a node's size and the title bar.
            rect = (min(xs) - 40, min(ys) - 70, max(xs) - min(xs) + 260, max(ys) - min(ys) + 200)
        x, y, width, height = (float(v) for v in rect)
        backdrop = {"title": title, "x": x, "y": y, "width": width, "height": height, "nodes": ids}
        self.execute(SetBackdrops(self._copied_backdrops() + [backdrop], label="add backdrop"))
        return len(self.backdrops) - 1

    def set_backdrop_title(self, index: int, title: str) -> None:
        backdrops = self._copied_backdrops()
        if backdrops[index].get("title") != title:
            backdrops[index]["title"] = title
            self.execute(SetBackdrops(backdrops, label="rename backdrop"))

    def update_backdrop(self, index: int, rect: tuple[float, float, float, float], *,
                        nodes: Iterable[str] | None = None,
                        positions: dict[str, tuple[float, float]] | None = None) -> None:
        """Move or resize a backdrop; ``positions`` moves the nodes that went with it, in the
        same undo step."""
        backdrops = self._copied_backdrops()
        backdrop = backdrops[index]
        backdrop.update(zip(("x", "y", "width", "height"), (float(v) for v in rect)))
        if nodes is not None:
            wanted = set(nodes)
            backdrop["nodes"] = [n for n in self.graph.nodes if n in wanted]
        commands: list[Command] = [SetBackdrops(backdrops, label="move backdrop")]
        current = self.graph.ui.get("positions") or {}
        moved = {n: p for n, p in (positions or {}).items()
                 if n in self.graph.nodes and list(map(float, p)) != list(current.get(n) or [])}
        if moved:
            commands.append(MoveNodes(moved))
        if backdrops != self.backdrops or moved:
            self.execute(Macro(commands, label="move backdrop"))

    def move_backdrop(self, index: int, dx: float, dy: float) -> None:
        """Move a backdrop and the nodes it groups together."""
        backdrop = self.backdrops[index]
        positions = {n: (self.position(n)[0] + dx, self.position(n)[1] + dy)
                     for n in backdrop.get("nodes", []) if n in self.graph.nodes}
        rect = (backdrop["x"] + dx, backdrop["y"] + dy, backdrop["width"], backdrop["height"])
        self.update_backdrop(index, rect, positions=positions)

    def remove_backdrop(self, index: int) -> None:
        """Delete a backdrop; the nodes it grouped stay."""
        backdrops = self._copied_backdrops()
        del backdrops[index]
        self.execute(SetBackdrops(backdrops, label="delete backdrop"))

    def _copied_backdrops(self) -> list[dict[str, Any]]:
        return [dict(b, nodes=list(b.get("nodes", []))) for b in self.backdrops]

    # -- copy and paste ----------------------------------------------------------------------
    def copy(self, node_ids: Iterable[str]) -> dict[str, Any]:
        """The selected nodes as plain data (links between them kept), for :meth:`paste`."""
        ids = [n for n in node_ids if n in self.graph.nodes]
        positions = self.graph.ui.get("positions") or {}
        nodes = {}
        for node_id in ids:
            node = self.graph.nodes[node_id]
            nodes[node_id] = {
                "type": node.type_id, "params": dict(node.params), "title": node.title,
                "inputs": {p: f"{s}.{o}" for p, (s, o) in node.inputs.items() if s in ids},
                "position": list(positions.get(node_id, [0.0, 0.0])),
            }
        return {"nodes": nodes}

    def paste(self, data: dict[str, Any], offset: tuple[float, float] = (40.0, 40.0)) -> list[str]:
        """Add copies of copied nodes under fresh ids; returns the new ids."""
        renamed: dict[str, str] = {}
        taken = set(self.graph.nodes)
        commands: list[Command] = []
        for old_id, body in data.get("nodes", {}).items():
            stem = body["type"].rsplit(".", 1)[-1]
            new_id = stem
            i = 2
            while new_id in taken:
                new_id, i = f"{stem}{i}", i + 1
            taken.add(new_id)
            renamed[old_id] = new_id
            x, y = body.get("position", [0.0, 0.0])
            commands.append(AddNode(body["type"], new_id, (x + offset[0], y + offset[1]), dict(body.get("params", {})), body.get("title", "")))
        for old_id, body in data.get("nodes", {}).items():
            for port, ref in body.get("inputs", {}).items():
                src, out = split_ref(ref)
                commands.append(SetLink(f"{renamed[old_id]}.{port}", f"{renamed[src]}.{out}"))
        if commands:
            self.execute(Macro(commands, label="paste"))
        return list(renamed.values())

    # -- questions the views ask -------------------------------------------------------------
    def descendants(self, node_id: str) -> set[str]:
        return set(nx.descendants(self.graph.dag, node_id)) if node_id in self.graph.dag else set()

    def position(self, node_id: str) -> tuple[float, float]:
        x, y = (self.graph.ui.get("positions") or {}).get(node_id, [0.0, 0.0])
        return float(x), float(y)

    def snapshot(self) -> Graph:
        """A copy of the graph for a run in another thread, so edits made meanwhile cannot
        change a plan half-way. Cache keys depend only on content, so the copy hits the same
        cache entries as the original."""
        source = self.graph
        copy = Graph(source.registry, name=source.name, description=source.description, base_dir=source.base_dir)
        copy.source = source.source
        copy.outputs = list(source.outputs)
        for node_id, node in source.nodes.items():
            copy.nodes[node_id] = NodeInstance(node_id, node.type_id, dict(node.params), dict(node.inputs), node.title)
            copy.dag.add_node(node_id)
        for src, out, dst, port in source.links():
            copy._link(src, out, dst, port)
        return copy
