"""Helpers of the batch tests: small text inputs, a one-node graph of a batchkit node."""

from __future__ import annotations

from pathlib import Path


def text_inputs(folder: Path, count: int) -> list[Path]:
    (folder / "in").mkdir(exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / "in" / f"item{index:02d}.txt"
        path.write_text(f"input number {index}\n", encoding="utf-8")
        paths.append(path)
    return paths


def graph_of(registry, folder: Path, node_type: str, out: str, **params):
    from thyra_graph.engine.graph import Graph

    graph = Graph(registry, name="batchkit", base_dir=folder)
    graph.add_node(node_type, "work", params={"out": out, **params})
    return graph
