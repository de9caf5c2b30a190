"""A model the run would download from the Hugging Face hub is listed as a destination before
the run: the host is the user's (HF_ENDPOINT), so it is allowed; offline mode or a local copy
means nothing is fetched and nothing is listed."""

from __future__ import annotations

import json

GRAPH = """thyra: 1
name: names-things
nodes:
  load: {type: io.load_image, params: {path: in.png}}
  mask: {type: image.threshold, inputs: {image: load.image}}
  objects: {type: image.contours, inputs: {mask: mask.mask}}
  name: {type: label.clip, inputs: {image: load.image, instances: objects.instances}, params: {model: someone/not-cached-clip, classes: [coin]}}
"""


def destinations(thyra, graph_dir, *args):
    path = graph_dir / "clip.yaml"
    path.write_text(GRAPH, encoding="utf-8")
    code, out, err = thyra("validate", "--json", *args, path)
    assert code == 0, err
    return json.loads(out)[0]["destinations"]


def test_a_model_to_download_is_listed_with_the_users_endpoint(thyra, graph_dir, monkeypatch):
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "THYRA_OFFLINE", "THYRA_MODELS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(graph_dir / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.lab.example")
    assert destinations(thyra, graph_dir) == [{
        "node": "name", "url": "https://hf-mirror.lab.example/someone/not-cached-clip", "host": "hf-mirror.lab.example",
        "chosen_by": "user", "secret": None, "loopback": False}]


def test_offline_mode_or_a_local_copy_lists_nothing(thyra, graph_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert destinations(thyra, graph_dir) == []
    monkeypatch.delenv("HF_HUB_OFFLINE")
    (tmp_path / "models" / "someone--not-cached-clip").mkdir(parents=True)
    monkeypatch.setenv("THYRA_MODELS_DIR", str(tmp_path / "models"))
    assert destinations(thyra, graph_dir) == []
