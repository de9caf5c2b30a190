"""The quickstart graph's chain, node by node: exactly the 24 coins, each its own instance.

The nodes are called with the parameters written in graphs/quickstart.yaml, so tuning the
graph file is what this test checks (the engine's own graph tests run the file end to end).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thyra_graph.engine.samples import is_sample_ref, sample_path
from thyra_graph.engine.yamlfile import parse_yaml
from thyra_graph.nodes.builtin import THYRA_NODES
from thyra_graph.types import Image, Instances

GRAPH = Path(__file__).resolve().parents[3] / "graphs" / "quickstart.yaml"


def run_in_file_order(graph_file: Path, out_dir: Path) -> dict[str, dict]:
    """A minimal stand-in for the executor: nodes in file order, paths against the file."""
    specs = {spec.id: spec for spec in THYRA_NODES}
    document = parse_yaml(graph_file.read_text()).data
    results: dict[str, dict] = {}
    for node_id, entry in document["nodes"].items():
        spec = specs[entry["type"]]
        inputs = {}
        for port, link in entry.get("inputs", {}).items():
            source, output = link.split(".")
            inputs[port] = results[source][output]
        params = dict(entry.get("params", {}))
        for param in spec.params:
            if param.kind == "path" and param.name in params and is_sample_ref(params[param.name]):
                params[param.name] = str(sample_path(params[param.name]))  # samples:coins.png
            elif param.kind == "path" and param.name in params:
                base = out_dir if param.io == "write" else graph_file.parent
                params[param.name] = str((base / params[param.name]).resolve())
        value = spec(**inputs, **params)
        results[node_id] = value if isinstance(value, dict) else {spec.outputs[0].name: value}
    return results


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory) -> dict[str, dict]:
    return run_in_file_order(GRAPH, tmp_path_factory.mktemp("quickstart"))


def test_quickstart_finds_exactly_24_coins(quickstart):
    assert quickstart["coins"]["count"].value == 24
    assert len(quickstart["coins"]["instances"]) == 24


def test_every_coin_is_its_own_instance(quickstart):
    instances: Instances = quickstart["coins"]["instances"]
    areas = instances.areas()
    # Coins in this picture are 1,000-3,200 px: a merged pair or a fragment falls outside.
    assert areas.min() > 900 and areas.max() < 3300
    assert instances.masks.sum(axis=0).max() == 1
    # Compact, round shapes: a bounding box filled like a disc (pi / 4), not like two coins.
    boxes = instances.boxes().xyxy
    fill = areas / ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    assert fill.min() > 0.65


def test_a_single_global_otsu_level_merges_a_coin_with_the_bright_background(coins):
    # Why the quickstart uses an adaptive threshold: the top of the picture is lit brighter,
    # so one global level takes background there for foreground and glues a coin to it.
    from thyra_graph.nodes.image.components import contours
    from thyra_graph.nodes.image.mask_morphology import morphology
    from thyra_graph.nodes.image.thresholding import threshold

    filled = morphology(threshold(coins, method="otsu"), operation="fill_holes")
    areas = contours(filled, min_area=300)["instances"].areas()
    assert areas.max() > 5000


def test_quickstart_writes_the_overlay_it_drew(quickstart):
    written = Path(quickstart["save"]["path"].path)
    assert written.is_file() and written.name == "coins_overlay.png"
    drawn: Image = quickstart["overlay"]["image"]
    source: Image = quickstart["load"]["image"]
    changed = (drawn.data != source.data).any(axis=2)
    instances = quickstart["coins"]["instances"]
    assert all(changed[mask].mean() > 0.9 for mask in instances.masks)


def test_the_coins_are_numbered_in_rows(quickstart):
    centroids = np.array([e["centroid"] for e in quickstart["coins"]["instances"].extra])
    # Four rows of coins: numbers 1-6 lie in the top row, left to right.
    top_row = centroids[:6]
    assert (np.diff(top_row[:, 0]) > 0).all()
    assert top_row[:, 1].max() < centroids[6:, 1].min()
