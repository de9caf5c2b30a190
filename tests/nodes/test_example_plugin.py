"""The example plugin's own port type, param kind and preview, used as a user would: from a
graph file run by `thyra run` in separate processes sharing one disk cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from thyra_graph.nodes.discovery import discover
from thyra_graph.types import Image

REPO = Path(__file__).resolve().parents[2]
PLUGIN_FOLDER = REPO / "plugins" / "thyra-example-plugin"  # holds the package: a plugin folder
COINS = REPO / "thyra_graph" / "samples" / "coins.png"

GRAPH = f"""\
thyra: 1
name: histogram
nodes:
  load: {{type: io.load_image, params: {{path: {COINS.as_posix()}}}}}
  hist: {{type: example.histogram, inputs: {{image: load.image}}, params: {{channels: CHANNELS}}}}
outputs: [hist.histogram]
"""


@pytest.fixture(scope="module")
def registry():
    return discover(plugin_path=[PLUGIN_FOLDER], user_plugins=False)


def thyra(*args: str, cache: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "THYRA_CACHE_DIR": str(cache), "THYRA_PLUGIN_PATH": str(PLUGIN_FOLDER),
           "XDG_DATA_HOME": str(cwd / "xdg-data"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    return subprocess.run([sys.executable, "-m", "thyra_graph.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def graph_file(folder: Path, channels: str) -> Path:
    path = folder / "histogram.yaml"
    path.write_text(GRAPH.replace("CHANNELS", channels), encoding="utf-8")
    return path


def test_the_plugin_registers_its_type_kind_and_preview_without_problems(registry):
    assert [str(p) for p in registry.problems] == []
    origin = registry.origins["example.histogram"]
    assert registry.extension_origins["type:example.Histogram"] == origin
    assert registry.extension_origins["kind:example.channels"] == origin
    assert registry.extension_origins["preview:example.Histogram"] == origin


def test_the_histogram_counts_each_channels_grey_levels(registry):
    data = np.zeros((2, 3, 3), np.uint8)
    data[0, :, 1] = 200  # three green pixels at 200
    histogram = registry["example.histogram"](Image(data), channels="gr")

    histogram.validate()
    assert histogram.channels == "gr"
    assert histogram.counts.shape == (2, 256)
    assert histogram.counts[0, 200] == 3 and histogram.counts[0, 0] == 3
    assert histogram.counts[1, 0] == 6
    assert histogram.summary() == {"channels": "gr", "pixels": 6, "peak": {"g": 0, "r": 0}}


def test_the_preview_draws_a_bar_per_grey_level(registry):
    data = np.full((4, 4, 3), 255, np.uint8)
    picture, caption = registry.previews["example.Histogram"](registry["example.histogram"](Image(data), channels="g"))

    assert picture.dtype == np.uint8 and picture.shape == (120, 256, 3)
    assert picture[:, 255, 1].min() > 100  # the full-height bar at level 255 is green
    assert picture[:, 0].max() == 24  # no pixels at level 0: background only
    assert caption == "histogram of g: 16 pixels"


def test_a_histogram_is_cached_on_disk_and_read_back_by_a_new_process(tmp_path):
    graph = graph_file(tmp_path, "rgb")
    cache = tmp_path / "cache"

    first = thyra("run", "--json", str(graph), cache=cache, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    entries = sorted(p.name for p in cache.rglob("*.thyra"))
    second = thyra("run", "--json", str(graph), cache=cache, cwd=tmp_path)
    assert second.returncode == 0, second.stderr

    before, after = json.loads(first.stdout), json.loads(second.stdout)
    assert before["nodes"]["hist"]["status"] == "executed"
    assert after["nodes"]["hist"]["status"] == "cached"  # read back, not recomputed
    assert after["outputs"]["hist.histogram"] == before["outputs"]["hist.histogram"]
    assert after["outputs"]["hist.histogram"]["pixels"] == 303 * 384
    assert sorted(p.name for p in cache.rglob("*.thyra")) == entries  # nothing deleted as corrupt
    assert "corrupt" not in second.stderr


def test_a_bad_channels_value_in_a_graph_file_names_the_file_node_and_allowed_values(tmp_path):
    graph = graph_file(tmp_path, "rgx")

    done = thyra("validate", str(graph), cache=tmp_path / "cache", cwd=tmp_path)

    assert done.returncode == 2
    assert "histogram.yaml" in done.stderr + done.stdout
    message = done.stderr + done.stdout
    assert "'hist'" in message and "channels" in message
    assert "'rgx' is not a set of channel letters" in message
    assert "expected distinct channel letters from 'rgb'" in message
    assert "Traceback" not in message
