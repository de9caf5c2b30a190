"""Making a subgraph from some nodes of a graph, and putting one instance in their place.

:func:`extract` copies the chosen nodes into a new graph whose ``inputs:`` are the links that
came into the selection (one input per outside output, feeding every inner input it fed) and
whose ``outputs:`` are the inner outputs used outside (links leaving the selection and the
graph's reported outputs). :func:`replace_with_instance` then swaps the chosen nodes for one
node of the new type, linked as they were.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .graph import Graph, GraphError, split_ref
from .samples import is_sample_ref
from .subgraph import SubgraphSpec, output_names


def extract(graph: Graph, node_ids: list[str], *, name: str, folder: Path) -> Graph:
    """A new graph of ``node_ids`` (in the graph's order) to be saved in ``folder``."""
    chosen = [n for n in graph.nodes if n in set(node_ids)]
    if not chosen:
        raise GraphError("select the nodes to make a subgraph of first")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*", name):
        raise GraphError(f"subgraph name {name!r}: use letters, digits, '_' or '-', starting with a letter")
    inside = set(chosen)
    sub = Graph(graph.registry, name=name, base_dir=folder)
    sub.description = f"Made from {', '.join(chosen)} of {graph.name}."
    for node_id in chosen:
        node = graph.nodes[node_id]
        sub.add_node(node.type_id, node_id)
        sub.nodes[node_id].title = node.title
        for pname, value in node.params.items():
            sub.nodes[node_id].params[pname] = _rebased(graph, node.type_id, pname, value, folder)
    for src, out, dst, port in graph.links():
        if src in inside and dst in inside:
            sub.connect(f"{src}.{out}", f"{dst}.{port}")
    for (src, out), targets in crossing_in(graph, inside).items():
        name_ = _unique(targets[0][1], sub.inputs)
        sub.inputs[name_] = [f"{d}.{p}" for d, p in targets]
    sub.outputs = crossing_out(graph, inside)
    if not sub.outputs:
        raise GraphError("nothing outside uses what the selected nodes make, so the subgraph would have no "
                         "outputs: include fewer nodes, or link one of their outputs to a node outside")
    positions = graph.ui.get("positions") or {}
    kept = {n: list(positions[n]) for n in chosen if n in positions}
    if kept:
        x0 = min(p[0] for p in kept.values())
        y0 = min(p[1] for p in kept.values())
        sub.ui["positions"] = {n: [p[0] - x0, p[1] - y0] for n, p in kept.items()}
    return sub


def crossing_in(graph: Graph, inside: set[str]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Links into the selection: outside (node, output) → the inside (node, input)s it feeds."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for src, out, dst, port in graph.links():
        if src not in inside and dst in inside:
            found.setdefault((src, out), []).append((dst, port))
    return found


def crossing_out(graph: Graph, inside: set[str]) -> list[str]:
    """The inside 'node.output's used outside: by links leaving the selection or as graph outputs."""
    refs: list[str] = []
    for src, out, dst, _ in graph.links():
        if src in inside and dst not in inside and f"{src}.{out}" not in refs:
            refs.append(f"{src}.{out}")
    for ref in graph.outputs:
        if split_ref(ref)[0] in inside and ref not in refs:
            refs.append(ref)
    return refs


def replace_with_instance(graph: Graph, node_ids: list[str], spec: SubgraphSpec, sub: Graph) -> str:
    """Swap ``node_ids`` for one node of ``spec`` (made from them by :func:`extract`); its id."""
    inside = set(node_ids)
    incoming = crossing_in(graph, inside)
    out_names = output_names(sub.outputs)
    outgoing = [(src, out, dst, port) for src, out, dst, port in graph.links() if src in inside and dst not in inside]
    reported = list(graph.outputs)
    positions = graph.ui.get("positions") or {}
    spots = [positions[n] for n in node_ids if n in positions]
    instance = graph.unique_id(sub.name.replace("-", "_"))
    for node_id in node_ids:
        graph.remove_node(node_id)
    graph.add_node(spec.id, instance)
    by_target = {ref: name for name, refs in sub.inputs.items() for ref in refs}
    for (src, out), targets in incoming.items():
        graph.connect(f"{src}.{out}", f"{instance}.{by_target[f'{targets[0][0]}.{targets[0][1]}']}")
    for src, out, dst, port in outgoing:
        graph.connect(f"{instance}.{out_names[f'{src}.{out}']}", f"{dst}.{port}")
    graph.outputs = [f"{instance}.{out_names[ref]}" if split_ref(ref)[0] in inside else ref for ref in reported]
    if spots:
        graph.ui.setdefault("positions", {})[instance] = [sum(p[0] for p in spots) / len(spots),
                                                          sum(p[1] for p in spots) / len(spots)]
    graph.revision += 1
    return instance


def _rebased(graph: Graph, type_id: str, name: str, value: Any, folder: Path) -> Any:
    """A relative path read by a node, made relative to the subgraph's folder (writes stay
    relative to the graph that will use the subgraph)."""
    param = graph.registry[type_id].param(name)
    if param is None or param.kind != "path" or param.io == "write" or not isinstance(value, str):
        return value
    if Path(value).is_absolute() or value.startswith("~") or is_sample_ref(value):
        return value
    absolute = graph.resolve_path(value)
    try:
        return Path(os.path.relpath(absolute, folder.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return absolute.as_posix()


def _unique(stem: str, taken: dict[str, Any]) -> str:
    if stem not in taken:
        return stem
    i = 2
    while f"{stem}_{i}" in taken:
        i += 1
    return f"{stem}_{i}"
