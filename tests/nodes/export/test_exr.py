"""export.exr: float alpha and per-object channels in OpenEXR, and life without OpenEXR."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import OpenEXR
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.exr import exr
from thyra_graph.nodes.export.semantic_png import semantic_png
from thyra_graph.types import Files, Image


def channels(path) -> dict[str, np.ndarray]:
    with OpenEXR.File(str(path)) as file:
        return {name: channel.pixels.copy() for name, channel in file.channels().items()}


def test_alpha_is_1_on_every_object_and_0_elsewhere_in_half_floats(scene, tmp_path):
    result = exr(scene, path=str(tmp_path / "exr"))
    assert isinstance(result, Files) and result.files() == [str(tmp_path / "exr" / "image.exr")]
    planes = channels(tmp_path / "exr" / "image.exr")
    assert list(planes) == ["A"]
    assert planes["A"].dtype == np.float16 and planes["A"].shape == (60, 80)
    assert np.array_equal(planes["A"], scene.masks.any(axis=0).astype(np.float16))


def test_instances_layout_gives_one_float32_channel_per_object(scene, tmp_path):
    exr(scene, path=str(tmp_path / "exr"), channels="instances", precision="float")
    planes = channels(tmp_path / "exr" / "image.exr")
    assert sorted(planes) == ["001_car", "002_person", "003_car", "004_sky"]
    assert planes["002_person"].dtype == np.float32
    assert np.array_equal(planes["002_person"] == 1.0, scene.masks[1])


def test_feathering_softens_edges_into_values_between_0_and_1(scene, tmp_path):
    exr(scene, path=str(tmp_path / "exr"), feather=2.0, precision="float")
    alpha = channels(tmp_path / "exr" / "image.exr")["A"]
    assert alpha.min() >= 0 and alpha.max() <= 1
    assert ((alpha > 0.05) & (alpha < 0.95)).sum() > 50
    assert alpha[15, 20] > 0.95 and alpha[5, 75] < 0.05


def test_a_soft_mask_is_written_as_it_is(tmp_path):
    soft = np.linspace(0, 1, 48, dtype=np.float32).reshape(6, 8)
    exr(soft=Image(soft, {"path": "probabilities.tif"}), path=str(tmp_path / "exr"), precision="float")
    assert np.array_equal(channels(tmp_path / "exr" / "probabilities.exr")["A"], soft)


def test_a_soft_mask_outside_0_to_1_is_refused(tmp_path):
    with pytest.raises(NodeError, match="alpha must run from 0 to 1"):
        exr(soft=Image(np.full((2, 2), 3.0, np.float32)), path=str(tmp_path / "exr"))


def test_without_openexr_only_this_node_is_unavailable_and_says_how_to_install(scene, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "OpenEXR", None)  # as if it were not installed
    assert exr.missing_requirements() == ["OpenEXR"]
    with pytest.raises(NodeError, match=r"needs the OpenEXR package.*pip install OpenEXR"):
        exr(scene, path=str(tmp_path / "exr"))
    assert not semantic_png.missing_requirements()
    semantic_png(scene, path=str(tmp_path / "sem"))  # the other exporters still work
    assert (tmp_path / "sem" / "image.png").is_file()


def test_thyra_nodes_lists_export_exr_as_unavailable_without_openexr():
    code = ("import sys; sys.modules['OpenEXR'] = None; from thyra_graph.cli import main; "
            "sys.exit(main(['nodes']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if "export.exr" in line)
    assert "[unavailable: needs OpenEXR]" in line
    assert "unavailable" not in next(line for line in done.stdout.splitlines() if "export.coco" in line)
