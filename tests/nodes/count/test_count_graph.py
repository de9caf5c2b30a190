"""graphs/count_tiny_objects.yaml: image → count → heat-map overlay + CSV/JSON of the points."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from thyra_graph.api import default_registry
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graphfile import load_graph_file

GRAPH = Path(__file__).resolve().parents[3] / "graphs" / "count_tiny_objects.yaml"


def test_the_graph_counts_draws_and_exports_the_same_objects(tmp_path, monkeypatch):
    import cv2

    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    loaded = load_graph_file(GRAPH, default_registry())
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    graph = loaded.graph
    for node_id, name in (("save", "overlay.png"), ("csv", "points.csv"), ("json", "points.json")):
        graph.set_param(node_id, "path", str(tmp_path / "out" / name))
    result = Executor(disk=DiskCache()).run(graph)
    assert result.ok, {n: r.error for n, r in result.nodes.items() if r.error}

    count = result.outputs["blobs.count"].value
    assert 1000 < count < 10000  # thousands of faint galaxies in the deep field
    assert abs(result.outputs["density.count"].value - count) < 1e-6
    with open(tmp_path / "out" / "points.csv", newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == count
    assert json.loads((tmp_path / "out" / "points.json").read_text(encoding="utf-8"))["count"] == count
    overlay = cv2.imread(str(tmp_path / "out" / "overlay.png"))
    assert overlay is not None and overlay.shape == (872, 1000, 3)
