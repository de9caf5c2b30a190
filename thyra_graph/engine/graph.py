"""The graph model: node instances and typed links, on a networkx DAG.

Every mutation is checked when it is made: unknown node types and ports, type mismatches
(naming both types), parameter values outside their declaration, and cycles are refused
with a :class:`GraphError` whose message says what to do.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import networkx as nx

from thyra_graph.types import is_compatible

from .declaration import NodeSpec, ParamError
from .kept import Kept
from .registry import Registry
from .samples import is_sample_ref, sample_path

NODE_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
FORMAT_VERSION = 1


class GraphError(ValueError):
    """An edit that would make the graph invalid. The message names the place and the fix."""


@dataclass
class NodeInstance:
    """One node of a graph: its type, the parameters set on it, and where its inputs come from."""

    id: str
    type_id: str
    params: dict[str, Any] = field(default_factory=dict)  # only the values set explicitly
    inputs: dict[str, tuple[str, str]] = field(default_factory=dict)  # port -> (node id, output)
    title: str = ""  # a name the user gave this node (shown instead of the type's title)


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"node.port"`` → ``("node", "port")``; ``"node"`` → ``("node", None)``."""
    node_id, _, port = ref.partition(".")
    return node_id, (port or None)


class Graph:
    """A Thyra graph. Build it in code or load it from a graph file (:mod:`.graphfile`)."""

    def __init__(self, registry: Registry, *, name: str = "untitled", description: str = "",
                 base_dir: Path | str | None = None) -> None:
        self.registry = registry
        self.name = name
        self.description = description
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self.source: Path | None = None  # the graph file this graph was loaded from
        # That file's round-trip YAML tree: saving edits it so comments and layout survive.
        self.document: Any = None
        self.nodes: dict[str, NodeInstance] = {}
        self.dag = nx.DiGraph()
        self.ui: dict[str, Any] = {}
        # "node.output" refs the graph reports (besides what its sinks write): run by default.
        self.outputs: list[str] = []
        # Inputs the graph takes when used as a subgraph: name -> the "node.input"s it feeds.
        self.inputs: dict[str, list[str]] = {}
        # What the file held that could not be loaded, written back on save (engine/kept.py).
        self.kept = Kept()
        # Bumped on every structural change; planners cache derived data against it.
        self.revision = 0
        self._topo_cache: tuple[int, list[str]] | None = None
        self._plan_cache: tuple[tuple[int, bool], dict[str, Any]] | None = None  # planner's per-node parts

    # -- nodes -------------------------------------------------------------------------------
    def spec(self, node_id: str) -> NodeSpec:
        return self.registry[self.node(node_id).type_id]

    def node(self, node_id: str) -> NodeInstance:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node {node_id!r} in graph {self.name!r}{_closest(node_id, self.nodes)}") from None

    def add_node(self, type_id: str, node_id: str | None = None, *, params: dict[str, Any] | None = None) -> str:
        """Add a node of type ``type_id``; returns its id (derived from the type if not given)."""
        if type_id not in self.registry:
            raise GraphError(f"unknown node type {type_id!r}{self.registry.suggest_suffix(type_id)}")
        if node_id is None:
            node_id = self.unique_id(type_id.rsplit(".", 1)[-1])
        if not NODE_ID_PATTERN.match(node_id):
            raise GraphError(f"node id {node_id!r} must start with a letter or '_' and hold only letters, digits, '_' or '-'")
        if node_id in self.nodes:
            raise GraphError(f"a node with id {node_id!r} exists already: choose another id")
        self.nodes[node_id] = NodeInstance(node_id, type_id)
        self.dag.add_node(node_id)
        self.revision += 1
        for name, value in (params or {}).items():
            self.set_param(node_id, name, value)
        return node_id

    def unique_id(self, stem: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9_\-]", "_", stem) or "node"
        if stem[0].isdigit() or stem[0] == "-":
            stem = "n" + stem
        if stem not in self.nodes:
            return stem
        i = 2
        while f"{stem}{i}" in self.nodes:
            i += 1
        return f"{stem}{i}"

    def remove_node(self, node_id: str) -> None:
        self.node(node_id)
        for other in self.nodes.values():
            for port, (src, _) in list(other.inputs.items()):
                if src == node_id:
                    del other.inputs[port]
        del self.nodes[node_id]
        self.dag.remove_node(node_id)
        self.outputs = [ref for ref in self.outputs if split_ref(ref)[0] != node_id]
        self.inputs = {k: kept for k, v in self.inputs.items() if (kept := [r for r in v if split_ref(r)[0] != node_id])}
        self.ui.get("positions", {}).pop(node_id, None)
        self.kept.drop(node_id)
        self.revision += 1

    def rename_node(self, old: str, new: str) -> None:
        """Give node ``old`` the id ``new``: links, reported outputs and its ui position follow."""
        node = self.node(old)
        if new == old:
            return
        if not NODE_ID_PATTERN.match(new):
            raise GraphError(f"node id {new!r} must start with a letter or '_' and hold only letters, digits, '_' or '-'")
        if new in self.nodes:
            raise GraphError(f"a node with id {new!r} exists already: choose another id")
        # Rebuild the dict so the node keeps its place in the file's order.
        self.nodes = {(new if k == old else k): v for k, v in self.nodes.items()}
        node.id = new
        for other in self.nodes.values():
            for port, (src, out) in other.inputs.items():
                if src == old:
                    other.inputs[port] = (new, out)
        nx.relabel_nodes(self.dag, {old: new}, copy=False)
        self.outputs = [new + ref[len(old):] if split_ref(ref)[0] == old else ref for ref in self.outputs]
        self.inputs = {k: [new + r[len(old):] if split_ref(r)[0] == old else r for r in v] for k, v in self.inputs.items()}
        positions = self.ui.get("positions")
        if isinstance(positions, dict) and old in positions:
            self.ui["positions"] = {(new if k == old else k): v for k, v in positions.items()}
        self.kept.rename(old, new)
        self.revision += 1

    # -- parameters -------------------------------------------------------------------------
    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set a parameter, checked and converted by its declaration."""
        spec = self.spec(node_id)
        param = spec.param(name)
        if param is None:
            known = ", ".join(p.name for p in spec.params) or "none"
            raise GraphError(f"node {node_id!r} ({spec.id}) has no parameter {name!r}{_closest(name, [p.name for p in spec.params])}; its parameters: {known}")
        try:
            self.nodes[node_id].params[name] = param.coerce(value)
        except ParamError as exc:
            raise GraphError(f"node {node_id!r} parameter {name!r}: {exc}") from None
        self.revision += 1

    def reset_param(self, node_id: str, name: str) -> None:
        self.node(node_id).params.pop(name, None)
        self.revision += 1

    def params(self, node_id: str) -> dict[str, Any]:
        """Every parameter of the node: the values set, and defaults for the rest."""
        spec = self.spec(node_id)
        values = self.nodes[node_id].params
        return {p.name: values.get(p.name, p.default) for p in spec.params}

    # -- links -------------------------------------------------------------------------------
    def connect(self, source: str, target: str) -> None:
        """Link ``"node.output"`` to ``"node.input"``; an input already linked is re-linked."""
        src_id, src_port = split_ref(source)
        dst_id, dst_port = split_ref(target)
        src_spec, dst_spec = self.spec(src_id), self.spec(dst_id)
        if src_port is None:
            if len(src_spec.outputs) != 1:
                raise GraphError(f"{source!r}: name the output, one of {', '.join(o.name for o in src_spec.outputs)}")
            src_port = src_spec.outputs[0].name
        if dst_port is None:
            raise GraphError(f"{target!r}: name the input, one of {', '.join(i.name for i in dst_spec.inputs) or 'none'}")
        output = src_spec.output(src_port)
        if output is None:
            raise GraphError(f"node {src_id!r} ({src_spec.id}) has no output {src_port!r}; outputs: {', '.join(o.name for o in src_spec.outputs)}")
        inp = dst_spec.input(dst_port)
        if inp is None:
            raise GraphError(f"node {dst_id!r} ({dst_spec.id}) has no input {dst_port!r}; inputs: {', '.join(i.name for i in dst_spec.inputs) or 'none'}")
        if not is_compatible(output.type, inp.type):
            raise GraphError(
                f"cannot connect {src_id}.{src_port} ({output.type.type_name}) to {dst_id}.{dst_port} "
                f"({inp.type.type_name}): the types differ; insert a node that converts "
                f"{output.type.type_name} to {inp.type.type_name}")
        if src_id == dst_id or nx.has_path(self.dag, dst_id, src_id):
            raise GraphError(f"cannot connect {src_id}.{src_port} to {dst_id}.{dst_port}: it would make a cycle")
        self.disconnect(target)
        self._link(src_id, src_port, dst_id, dst_port)

    def _link(self, src_id: str, src_port: str, dst_id: str, dst_port: str) -> None:
        self.nodes[dst_id].inputs[dst_port] = (src_id, src_port)
        ports = self.dag.edges[src_id, dst_id]["ports"] if self.dag.has_edge(src_id, dst_id) else set()
        ports.add((src_port, dst_port))
        self.dag.add_edge(src_id, dst_id, ports=ports)
        self.revision += 1

    def disconnect(self, target: str) -> None:
        dst_id, dst_port = split_ref(target)
        node = self.node(dst_id)
        link = node.inputs.pop(dst_port, None)
        if link is None:
            return
        src_id, src_port = link
        ports = self.dag.edges[src_id, dst_id]["ports"]
        ports.discard((src_port, dst_port))
        if not ports:
            self.dag.remove_edge(src_id, dst_id)
        self.revision += 1

    def links(self) -> Iterable[tuple[str, str, str, str]]:
        """Every link as (source node, output, target node, input)."""
        for node in self.nodes.values():
            for port, (src, out) in node.inputs.items():
                yield src, out, node.id, port

    # -- structure ---------------------------------------------------------------------------
    def topological_order(self) -> list[str]:
        return list(nx.topological_sort(self.dag))

    def sinks(self) -> list[str]:
        """Nodes nothing else consumes: what a run without targets computes."""
        succ = self.dag.succ
        return [n for n in self.nodes if not succ[n]]

    def missing_inputs(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        return [i.name for i in self.spec(node_id).inputs if i.required and i.name not in node.inputs]

    def resolve_path(self, value: str) -> Path:
        """A path parameter as written in the graph, resolved against the graph's folder.

        ``~`` means the user's home folder; ``$VAR`` is not expanded (a graph file must not read
        the environment: a secret's value would end up in a file name, the cache and the log).
        ``samples:NAME`` is a bundled sample file, wherever the graph file lives.
        """
        if is_sample_ref(value):
            return sample_path(value)
        path = Path(value).expanduser()
        return Path(os.path.normpath(path if path.is_absolute() else (self.base_dir / path)))

    # -- files -------------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        from .graphfile import graph_to_data

        return graph_to_data(self)

    def dumps(self) -> str:
        from .graphfile import dumps

        return dumps(self)

    def save(self, path: str | Path) -> Path:
        from .graphfile import save_graph

        return save_graph(self, path)

    def __repr__(self) -> str:
        return f"Graph({self.name!r}, {len(self.nodes)} nodes)"


def _closest(name: str, options: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
