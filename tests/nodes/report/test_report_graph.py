"""The report nodes in a graph run by the engine: coins found by thresholding, named by a tiny
CLIP, drawn and written up; re-running serves every node from the disk cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import thyra_graph
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graphfile import load_graph_text
from thyra_graph.engine.registry import Registry
from thyra_graph.nodes.builtin import THYRA_NODES
from thyra_graph.nodes.report.annotated_image import annotated_image
from thyra_graph.nodes.report.text_report import text_report

COINS = Path(thyra_graph.__file__).parent / "samples" / "coins.png"

GRAPH = f"""
thyra: 1
name: coins-report
nodes:
  load:   {{type: io.load_image, params: {{path: {COINS.as_posix()!r}}}}}
  mask:   {{type: image.threshold, inputs: {{image: load.image}}, params: {{method: otsu}}}}
  coins:  {{type: image.contours, inputs: {{mask: mask.mask}}, params: {{min_area: 500}}}}
  name:   {{type: label.clip, inputs: {{image: load.image, instances: coins.instances}},
            params: {{classes: [coin, button], device: cpu}}}}
  draw:   {{type: report.annotated_image, inputs: {{image: load.image, instances: name.instances}}}}
  save:   {{type: io.save_image, inputs: {{image: draw.image}}, params: {{path: out/coins.png}}}}
  report: {{type: report.text, inputs: {{instances: name.instances, image: load.image}}, params: {{path: out/coins.md}}}}
"""


def registry() -> Registry:
    from thyra_graph.nodes.label.clip import clip

    found = Registry()
    for spec in [*THYRA_NODES, clip, annotated_image, text_report]:
        found.add(spec)
    return found


def test_a_coin_report_runs_and_reruns_from_the_cache(use_tiny_models, tmp_path):
    pytest.importorskip("transformers")
    loaded = load_graph_text(GRAPH, registry(), base_dir=tmp_path)
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    disk = DiskCache(tmp_path / "cache")
    first = Executor(disk=disk).run(loaded.graph)
    assert first.ok, {n: r.error for n, r in first.nodes.items() if r.error}
    report = json.loads((tmp_path / "out" / "coins.json").read_text(encoding="utf-8"))
    assert len(report["regions"]) == 24 and sum(g["regions"] for g in report["summary"]) == 24
    assert {r["label"] for r in report["regions"]} <= {"coin", "button"}
    assert (tmp_path / "out" / "coins.png").stat().st_size > 10_000
    second = Executor(disk=disk).run(loaded.graph)
    assert second.ok and {r.status for r in second.nodes.values()} == {"cached"}
