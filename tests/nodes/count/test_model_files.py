"""count.save_model and count.load_model: a model learned from dots is kept as a file, read back
in another process with the same counts, and a damaged or hostile file is refused with a
sentence naming the file and the fix, never a traceback, never unpickled."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count import model_files
from thyra_graph.nodes.count.from_dots import apply_density, learn_density
from thyra_graph.nodes.count.model_files import load_counting_model, save_counting_model
from thyra_graph.nodes.count.synthetic import family_scene
from thyra_graph.types import DensityModel, Image


@pytest.fixture(scope="module")
def model() -> DensityModel:
    scene = family_scene("cars 8-14 px", 0, width=160, height=160)
    dots = [[float(x), float(y), 1] for x, y in scene.xy[:20]]
    return learn_density(Image(scene.image), points=dots, trees=4)["model"]


def test_a_saved_model_reads_back_equal_and_counts_the_same(model, tmp_path):
    written = save_counting_model(model, path=str(tmp_path / "cells.npz"))
    loaded = load_counting_model(path=written.path)
    for name in model_files.ARRAYS:
        assert np.array_equal(getattr(loaded, name), getattr(model, name)) and getattr(loaded, name).dtype == getattr(model, name).dtype
    assert loaded.settings == model.settings and loaded.meta == model.meta
    image = Image(family_scene("cars 8-14 px", 1, width=160, height=160).image)
    assert apply_density(loaded, image)["count"].value == apply_density(model, image)["count"].value


def test_a_graph_saves_the_model_and_another_graph_in_another_process_counts_with_it(tmp_path):
    learn = tmp_path / "learn.yaml"
    learn.write_text(
        "thyra: 1\nnodes:\n"
        "  train: {type: count.synthetic_scene, params: {width: 160, height: 160, count: 20, seed: 0}}\n"
        "  learn: {type: count.learn_density, inputs: {image: train.image, dots: train.points},"
        " params: {annotated: whole image, trees: 4}}\n"
        "  keep: {type: count.save_model, inputs: {model: learn.model}, params: {path: models/cells.npz}}\n"
        "  scene: {type: count.synthetic_scene, params: {width: 160, height: 160, count: 20, seed: 3}}\n"
        "  apply: {type: count.apply_density, inputs: {model: learn.model, image: scene.image}}\n"
        "outputs: [apply.count]\n", encoding="utf-8")
    use = tmp_path / "elsewhere" / "use.yaml"
    use.parent.mkdir()
    use.write_text(
        "thyra: 1\nnodes:\n"
        "  model: {type: count.load_model, params: {path: ../models/cells.npz}}\n"
        "  scene: {type: count.synthetic_scene, params: {width: 160, height: 160, count: 20, seed: 3}}\n"
        "  apply: {type: count.apply_density, inputs: {model: model.model, image: scene.image}}\n"
        "outputs: [apply.count]\n", encoding="utf-8")
    counts = []
    for graph in (learn, use):
        done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "run", str(graph), "--no-cache", "--json"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        counts.append(json.loads(done.stdout)["outputs"]["apply.count"])
    assert (tmp_path / "models" / "cells.npz").is_file()
    assert counts[0] == counts[1] and counts[0] > 5


def write_npz(path, arrays: dict[str, np.ndarray], header: dict | None = None, **savez) -> str:
    members = dict(arrays)
    if header is not None:
        members["thyra.json"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **members, **savez)
    return str(path)


def parts(model: DensityModel) -> tuple[dict, dict]:
    meta, arrays = model.to_record()
    return {"format": model_files.FORMAT, **meta}, {name: np.array(a) for name, a in arrays.items()}


def refused(path: str, match: str) -> None:
    with pytest.raises(NodeError, match=match) as caught:
        load_counting_model(path=path)
    assert "Point 'path' at a file written by count.save_model" in str(caught.value) or "no counting model" in str(caught.value)


def test_a_model_whose_walk_would_never_end_is_refused(model, tmp_path):
    header, arrays = parts(model)
    arrays["left"][0] = 0  # a node that is its own child
    refused(write_npz(tmp_path / "loop.npz", arrays, header), "node 0's left child 0 does not lie after it")


def test_an_object_array_is_never_unpickled(model, tmp_path):
    header, arrays = parts(model)
    arrays["value"] = np.array([object()] * len(arrays["value"]), dtype=object)
    refused(write_npz(tmp_path / "pickle.npz", arrays, header), "allow_pickle=False")


def test_a_file_that_is_no_model_is_refused_naming_what_it_holds(model, tmp_path):
    header, arrays = parts(model)
    refused(write_npz(tmp_path / "other.npz", {"image": np.zeros((4, 4))}), "not the entries of a model")
    refused(write_npz(tmp_path / "format.npz", arrays, {**header, "format": "someone.else/9"}), "does not name the format")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes((tmp_path / "format.npz").read_bytes()[:300])
    refused(str(truncated), "cannot be used")
    refused(str(tmp_path / "missing.npz"), "no counting model file")


def test_a_small_file_that_would_unpack_to_too_much_is_refused_before_reading(model, tmp_path, monkeypatch):
    header, arrays = parts(model)
    arrays["threshold"] = np.zeros(2_000_000)  # 16 MB of zeros compress to almost nothing
    path = tmp_path / "bomb.npz"
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, **{"thyra.json": np.frombuffer(json.dumps(header).encode(), np.uint8)})
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 1_000_000 and zipfile.is_zipfile(path)
    monkeypatch.setattr(model_files, "MAX_MODEL_BYTES", 8_000_000)
    refused(str(path), "unpacks to .* bytes, more than a model may hold")


def test_a_model_is_saved_as_npz_only(model, tmp_path):
    with pytest.raises(NodeError, match="end the path with .npz"):
        save_counting_model(model, path=str(tmp_path / "model.pkl"))
