"""What a run from the editor can reach: nodes waiting for an unconnected input are left out.

A user adds a node and has not wired it yet; the rest of the graph should still run, as in
ComfyUI and Blender. So the run's targets are the leaves of the part that can run, and every
node left out is named (on its badge and in the Problems list), not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from thyra_graph.engine.graph import Graph


@dataclass
class RunScope:
    """The targets to run, and the nodes left out with why."""

    targets: list[str] | None  # None: the whole graph, as asked
    unconnected: dict[str, list[str]] = field(default_factory=dict)  # node -> its unconnected inputs
    waiting: dict[str, str] = field(default_factory=dict)  # node -> the unconnected node it waits for

    @property
    def empty(self) -> bool:
        return self.targets == []


def run_scope(graph: Graph, targets: list[str] | None) -> RunScope:
    """Leave out the nodes with a required input unconnected, and everything after them."""
    unconnected = {n: missing for n in graph.nodes if (missing := graph.missing_inputs(n))}
    if not unconnected:
        return RunScope(targets)
    waiting: dict[str, str] = {}
    for node_id in unconnected:
        for later in nx.descendants(graph.dag, node_id):
            if later not in unconnected:
                waiting.setdefault(later, node_id)
    out = set(unconnected) | set(waiting)
    if targets:
        kept = [t for t in targets if t.split(".", 1)[0] not in out]
    else:
        kept = [n for n in graph.nodes if n not in out and all(s in out for s in graph.dag.successors(n))]
    return RunScope(kept, unconnected, waiting)
