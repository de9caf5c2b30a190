"""Automatic layout for graphs written by hand (no ``ui.positions``): columns by depth."""

from __future__ import annotations

import networkx as nx

from thyra_graph.engine.graph import Graph

COLUMN = 260.0  # horizontal distance between generations
ROW = 150.0     # vertical distance between nodes of one generation


def generation_layout(graph: Graph) -> dict[str, list[float]]:
    """Positions for every node: one column per topological generation, rows centred.

    Within a column nodes keep the order of the file, so the picture follows the text.
    """
    order = {node_id: i for i, node_id in enumerate(graph.nodes)}
    positions: dict[str, list[float]] = {}
    for column, generation in enumerate(nx.topological_generations(graph.dag)):
        members = sorted(generation, key=order.__getitem__)
        top = -(len(members) - 1) * ROW / 2
        for row, node_id in enumerate(members):
            positions[node_id] = [column * COLUMN, top + row * ROW]
    return positions


def layout_missing(graph: Graph) -> list[str]:
    """Give a position to every node that has none; returns the ids placed.

    When no node has a position the whole graph is laid out; otherwise each newcomer goes
    to its generation's column, below everything already there.
    """
    positions = graph.ui.get("positions")
    if not isinstance(positions, dict):
        positions = {}
    missing = [n for n in graph.nodes if not _valid(positions.get(n))]
    if not missing:
        return []
    computed = generation_layout(graph)
    if len(missing) == len(graph.nodes):
        positions.update(computed)
    else:
        lowest = max((p[1] for n, p in positions.items() if n in graph.nodes and _valid(p)), default=0.0)
        for i, node_id in enumerate(missing):
            positions[node_id] = [computed[node_id][0], lowest + ROW * (i + 1)]
    graph.ui["positions"] = {n: positions[n] for n in graph.nodes if n in positions} | {
        n: p for n, p in positions.items() if n not in graph.nodes}
    return missing


def _valid(position) -> bool:
    return (isinstance(position, (list, tuple)) and len(position) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in position))
