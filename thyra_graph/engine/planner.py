"""Planning a run: which nodes are needed, their cache keys, and their effective params.

Everything here is iterative and linear in the number of nodes (no recursion anywhere,
so a 10,000-node chain plans like a 10-node one, just longer).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import networkx as nx

from .declaration import NodeSpec
from .graph import Graph, GraphError, split_ref
from .subgraph import flatten
from .keys import canonical_json, file_fingerprint, finish_key, static_part


@dataclass
class Plan:
    graph: Graph
    order: list[str]  # every needed node, topologically sorted
    targets: list[str]
    target_ports: dict[str, set[str] | None]  # None = all outputs of that node
    specs: dict[str, NodeSpec] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # effective, paths resolved
    keys: dict[str, str] = field(default_factory=dict)
    fresh_draws: set[str] = field(default_factory=set)  # random nodes whose seed is None
    #: flat "node.output" -> the ref the user asked for, where a subgraph instance was expanded
    aliases: dict[str, str] = field(default_factory=dict)


def resolve_targets(graph: Graph, targets: Iterable[str] | None) -> tuple[list[str], dict[str, set[str] | None]]:
    """``"node"`` or ``"node.output"`` strings → node ids and the ports asked for."""
    if not targets:
        ports_by_node: dict[str, set[str] | None] = {n: None for n in graph.sinks()}
        for ref in graph.outputs:
            node_id, port = split_ref(ref)
            if node_id in graph.nodes and ports_by_node.get(node_id, set()) is not None:
                ports_by_node.setdefault(node_id, set()).add(port)
        return list(ports_by_node), ports_by_node
    ports: dict[str, set[str] | None] = {}
    for ref in targets:
        node_id, port = split_ref(ref)
        if node_id not in graph.nodes:
            raise GraphError(f"--target {ref!r}: there is no node {node_id!r} in graph {graph.name!r}; nodes: {', '.join(graph.nodes)}")
        if port is not None:
            spec = graph.spec(node_id)
            if spec.output(port) is None:
                raise GraphError(f"--target {ref!r}: node {node_id!r} ({spec.id}) has no output {port!r}; outputs: {', '.join(o.name for o in spec.outputs)}")
            if ports.get(node_id, set()) is not None:
                ports.setdefault(node_id, set()).add(port)
        else:
            ports[node_id] = None
    return list(ports), ports


def make_plan(graph: Graph, targets: Iterable[str] | None = None, *, content_hash: bool = False, run_nonce: str = "") -> Plan:
    """Plan the ancestors of ``targets`` (default: every sink) and compute their keys.

    Subgraph instances are expanded first (:func:`~.subgraph.flatten`): the plan is of their
    inner nodes (ids ``instance/inner``), each with its own key."""
    graph, targets, aliases = _expanded(graph, targets)
    target_ids, target_ports = resolve_targets(graph, targets)
    if targets:
        needed: set[str] = set(target_ids)
        stack = list(target_ids)
        while stack:  # iterative ancestor walk
            for src in graph.dag.predecessors(stack.pop()):
                if src not in needed:
                    needed.add(src)
                    stack.append(src)
        order = [n for n in _topological_order(graph) if n in needed]
    else:
        # Every node of a DAG is a sink or leads to one: all sinks need the whole graph.
        order = list(_topological_order(graph))
    plan = Plan(graph, order, target_ids, target_ports, aliases=aliases)
    static = _static_parts(graph, content_hash)
    problems: list[str] = []
    missing_modules: dict[str, list[str]] = {}
    specs, params, keys = plan.specs, plan.params, plan.keys
    for node_id in order:
        part = static.get(node_id)
        if part is None:
            part = _static_part(graph, node_id, content_hash)
            if part is None:
                problems.append(f"node {node_id!r}: unknown node type {graph.nodes[node_id].type_id!r}")
                continue
            static[node_id] = part
        spec = specs[node_id] = part.spec
        if part.missing_inputs:
            problems.append(f"node {node_id!r} ({spec.id}): required input(s) {', '.join(part.missing_inputs)} not connected")
        modules = missing_modules.get(spec.id)
        if modules is None:
            modules = missing_modules[spec.id] = spec.missing_requirements()
        if modules:
            problems.append(f"node {node_id!r} ({spec.id}) needs {', '.join(modules)}, which is not installed")
        if problems:
            continue  # the plan is refused: keys would be of no use
        params[node_id] = part.params
        if part.read_paths or part.unseeded or spec.fingerprint is not None:
            extras = [file_fingerprint(path, content=content_hash) for path in part.read_paths]
            if spec.fingerprint is not None:
                # External state is read at every plan: it can change between runs.
                extras.append(f"state:{_external_state(spec, node_id, part.params)}")
            if part.unseeded:
                # Each unseeded random node is its own draw, even beside an identical twin.
                extras.append(f"nonce:{run_nonce}:{node_id}")
                plan.fresh_draws.add(node_id)
            keys[node_id] = finish_key(part.static, part.inputs, keys, extras)
        else:
            keys[node_id] = finish_key(part.static, part.inputs, keys)
    if problems:
        raise GraphError("the graph cannot run:\n  " + "\n  ".join(problems))
    return plan


def _expanded(graph: Graph, targets: Iterable[str] | None) -> tuple[Graph, list[str] | None, dict[str, str]]:
    """The graph with its subgraph instances expanded, the targets in its ids, and the aliases
    that name the expanded outputs as the user did."""
    flat = flatten(graph)
    if flat.graph is graph:
        return graph, list(targets) if targets else None, {}
    asked = list(targets) if targets else []
    resolve_targets(graph, asked)  # unknown targets are named in the user's terms
    refs = []
    for ref in asked or graph.outputs:
        node_id, port = split_ref(ref)
        if port is None and node_id in flat.members:
            refs += [f"{node_id}.{o.name}" for o in graph.spec(node_id).outputs]
        else:
            refs.append(ref)
    aliases = {flat.ref(ref): ref for ref in refs if split_ref(ref)[1] is not None}
    flat_targets = [flat.ref(ref) for ref in refs] if asked else None
    return flat.graph, flat_targets, aliases


def _external_state(spec: NodeSpec, node_id: str, params: dict[str, Any]) -> str:
    try:
        state = spec.fingerprint(dict(params))
    except Exception as exc:  # plugin code: its failure is named, not a traceback
        raise GraphError(f"node {node_id!r} ({spec.id}): its fingerprint hook failed: {exc}") from exc
    return str(state)


class _NodePart(NamedTuple):
    """What planning derives from one node alone; valid until the graph's next edit."""

    spec: NodeSpec
    params: dict[str, Any]  # effective, paths resolved
    static: bytes  # type, version and params, as the key hashes them (keys.static_part)
    inputs: tuple[tuple[str, str, str], ...]  # (port, producer, output), sorted by port
    read_paths: tuple[Path, ...]
    unseeded: bool
    missing_inputs: tuple[str, ...]


def _static_parts(graph: Graph, content_hash: bool) -> dict[str, _NodePart]:
    """Per-node parts that change only when the graph is edited (cached per revision).

    Re-planning an unchanged graph then costs a stat per file read and one short hash per
    node, not a params walk and a JSON dump.
    """
    cache = graph._plan_cache
    if cache is None or cache[0] != (graph.revision, content_hash):
        cache = graph._plan_cache = ((graph.revision, content_hash), {})
    return cache[1]


def _static_part(graph: Graph, node_id: str, content_hash: bool) -> _NodePart | None:
    node = graph.nodes[node_id]
    spec = graph.registry.get(node.type_id)
    if spec is None:
        return None
    params: dict[str, Any] = {}
    for_key: dict[str, Any] = {}
    read_paths = []
    for p in spec.params:
        value = node.params.get(p.name, p.default)
        if p.kind == "path" and isinstance(value, str):
            resolved = graph.resolve_path(value)
            value = str(resolved)
            if p.io != "write" and p.affects_result:
                read_paths.append(resolved)
                if content_hash:
                    # Content-addressed inputs: the key must not depend on where files are.
                    params[p.name] = value
                    continue
        params[p.name] = value
        if p.affects_result:
            for_key[p.name] = value
    unseeded = spec.draws_afresh(params)
    inputs = tuple(sorted((port, src, out) for port, (src, out) in node.inputs.items()))
    missing = tuple(i.name for i in spec.inputs if i.required and i.name not in node.inputs)
    # Tuples, not lists: empty ones are shared, so a big graph leaves fewer objects for the
    # garbage collector to walk on every full collection.
    return _NodePart(spec, params, static_part(spec.id, _version(spec), canonical_json(for_key)),
                     inputs, tuple(read_paths), unseeded, missing)


@functools.lru_cache(maxsize=None)
def _version(spec: NodeSpec) -> str:
    """Declared version + code version: an algorithm fixed in a new release never serves its
    old answers. Once per node type and process (the source is read once)."""
    return f"{spec.version}+{spec.code_version}"


def _topological_order(graph: Graph) -> list[str]:
    cached = graph._topo_cache
    if cached is not None and cached[0] == graph.revision:
        return cached[1]
    order = list(nx.topological_sort(graph.dag))
    graph._topo_cache = (graph.revision, order)
    return order
