"""Every graph in graphs/ loads, validates and runs (new graph files are picked up here
automatically); the quickstart finds its 24 coins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.graphfile import load_graph_file

REPO = Path(__file__).resolve().parents[1]
GRAPHS = sorted((REPO / "graphs").glob("*.yaml"))
COINS_PNG = REPO / "thyra_graph" / "samples" / "coins.png"


def redirect_written_files(graph: Graph, folder: Path) -> None:
    """Point every file a sink writes into ``folder``, so tests never write into the repo."""
    for node_id in graph.nodes:
        for param in graph.spec(node_id).params:
            if param.kind == "path" and param.io == "write":
                written = Path(graph.params(node_id)[param.name])
                graph.set_param(node_id, param.name, str(folder / node_id / written.name))


def run_graph_file(path: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    loaded = load_graph_file(path, default_registry())
    assert loaded.ok, "\n".join(str(d) for d in loaded.diagnostics)
    redirect_written_files(loaded.graph, tmp_path / "out")
    return Executor(disk=DiskCache(tmp_path / "cache")).run(loaded.graph)


def test_there_are_graphs_to_check():
    assert REPO / "graphs" / "quickstart.yaml" in GRAPHS


@pytest.mark.parametrize("path", GRAPHS, ids=[p.name for p in GRAPHS])
def test_graph_loads_without_problems_and_runs_ok(path, tmp_path, monkeypatch, use_tiny_models, local_chat_server):
    # Model nodes keep their real ids (facebook/sam2.1-hiera-tiny, …): use_tiny_models puts tiny
    # randomly initialised models of the same architectures where the real weights would be, and
    # label.vlm talks to a loopback test double of an OpenAI-compatible server.
    result = run_graph_file(path, tmp_path, monkeypatch)
    assert result.status == "ok", {n: r.error for n, r in result.nodes.items() if r.error}
    assert result.count("executed") == len(result.nodes)


def test_every_graph_passes_thyra_validate(tmp_path):
    env = dict(os.environ, THYRA_CACHE_DIR=str(tmp_path / "cache"), THYRA_PLUGIN_PATH="",
               XDG_DATA_HOME=str(tmp_path / "xdg"))
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "validate", *map(str, GRAPHS)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok") == len(GRAPHS)


def test_quickstart_writes_its_overlay_under_out_quickstart():
    graph = load_graph_file(REPO / "graphs" / "quickstart.yaml", default_registry()).graph
    written = graph.resolve_path(graph.params("save")["path"])
    assert written.parent == REPO / "graphs" / "out" / "quickstart"  # next to the graph, wherever it is copied
    assert written.suffix == ".png"
    assert graph.outputs == ["coins.count"]


def test_quickstart_counts_24_coins_and_draws_them(tmp_path, monkeypatch):
    import cv2

    result = run_graph_file(REPO / "graphs" / "quickstart.yaml", tmp_path, monkeypatch)
    assert result.ok
    assert result.outputs["coins.count"].value == 24
    written = [Path(f) for value in result.outputs.values() for f in value.files()]
    pngs = [path for path in written if path.suffix == ".png"]
    assert len(pngs) == 1, written
    overlay_path = pngs[0]
    assert overlay_path.is_file()
    assert overlay_path.is_relative_to(tmp_path)
    overlay = cv2.imread(str(overlay_path), cv2.IMREAD_UNCHANGED)
    source = cv2.imread(str(COINS_PNG), cv2.IMREAD_COLOR)
    assert overlay is not None, "the overlay is not a readable image"
    assert overlay.shape == source.shape
    assert not np.array_equal(overlay, source), "nothing was drawn on the overlay"


def test_describe_regions_labels_every_region_and_reports_it(tmp_path, monkeypatch, use_tiny_models, local_chat_server):
    result = run_graph_file(REPO / "graphs" / "describe_regions.yaml", tmp_path, monkeypatch)
    assert result.ok
    cost = result.outputs["describe.cost"].text  # listed under outputs: in the graph file
    regions = int(cost.split(" crops")[0])
    assert regions >= 1
    assert len(local_chat_server.requests) == regions  # one request per region, crops not whole frames
    assert f"{regions} requests" in cost
    written = {Path(f).name for value in result.outputs.values() for f in value.files()}
    report = (tmp_path / "out" / "report" / "report.md").read_text()
    assert report.count("A small object.") == regions  # the test server's answer, attached to each region
    assert {"annotated.png", "report.md", "report.json"} <= written | {p.name for p in (tmp_path / "out").rglob("*")}


def test_a_vlm_answer_is_a_fixed_input_so_its_descendants_cache_on_the_next_run(
        tmp_path, monkeypatch, use_tiny_models, local_chat_server):
    # label.vlm is declared non-deterministic (a sampled answer): once given, the answer is kept
    # with its key, so the annotated image and the report after it are served from the cache.
    first = run_graph_file(REPO / "graphs" / "describe_regions.yaml", tmp_path, monkeypatch)
    asked = len(local_chat_server.requests)
    report = (tmp_path / "out" / "report" / "report.md").read_text()
    second = run_graph_file(REPO / "graphs" / "describe_regions.yaml", tmp_path, monkeypatch)
    assert first.ok and second.ok
    assert {n: r.status for n, r in second.nodes.items()} == {n: "cached" for n in second.nodes}
    assert len(local_chat_server.requests) == asked  # nothing asked twice
    assert second.outputs["describe.cost"].text == first.outputs["describe.cost"].text
    assert (tmp_path / "out" / "report" / "report.md").read_text() == report
