"""export.photogrammetry_masks: each tool's documented file names, white = use, black = ignore."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.photogrammetry import photogrammetry_masks
from thyra_graph.types import Image

PHOTO = Image(np.zeros((60, 80, 3), np.uint8), {"path": "/survey/DSC_0001.JPG"})


def read(path) -> np.ndarray:
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert data is not None and data.dtype == np.uint8 and data.ndim == 2, path
    return data


@pytest.mark.parametrize("convention, name", [
    ("metashape", "DSC_0001_mask.png"),  # Import Masks, template {filename}_mask.png
    ("realitycapture", "DSC_0001.JPG.mask.png"),  # mask layer: photo name + .mask.png
    ("colmap", "DSC_0001.JPG.png"),  # ImageReader.mask_path: photo name + .png
])
def test_each_convention_names_the_mask_as_its_tool_looks_for_it(scene, tmp_path, convention, name):
    result = photogrammetry_masks(scene, image=PHOTO, path=str(tmp_path / "masks"), convention=convention)
    assert result.files() == [str(tmp_path / "masks" / name)]
    assert set(np.unique(read(tmp_path / "masks" / name))) <= {0, 255}


def test_colmap_masks_mirror_the_photos_sub_folders(scene, tmp_path):
    photogrammetry_masks(scene, path=str(tmp_path / "masks"), convention="colmap", image_name="abc/012.jpg")
    assert (tmp_path / "masks" / "abc" / "012.jpg.png").is_file()


def test_drop_classes_makes_those_objects_black_and_everything_else_white(scene, tmp_path):
    photogrammetry_masks(scene, path=str(tmp_path / "m"), drop_classes=["sky", "person"])
    mask = read(tmp_path / "m" / "image_mask.png")
    ignored = scene.masks[1] | scene.masks[3]
    assert (mask[ignored] == 0).all() and (mask[~ignored] == 255).all()


def test_keep_classes_makes_only_those_objects_white(scene, tmp_path):
    photogrammetry_masks(scene, path=str(tmp_path / "m"), keep_classes=["car"])
    mask = read(tmp_path / "m" / "image_mask.png")
    cars = scene.masks[0] | scene.masks[2]
    assert (mask[cars] == 255).all() and (mask[~cars] == 0).all()


def test_with_no_classes_named_every_object_is_kept_and_the_background_ignored(scene, tmp_path):
    photogrammetry_masks(scene, path=str(tmp_path / "m"))
    assert np.array_equal(read(tmp_path / "m" / "image_mask.png") == 255, scene.masks.any(axis=0))


def test_classes_can_be_named_by_id(scene, tmp_path):
    photogrammetry_masks(scene, path=str(tmp_path / "m"), drop_classes=[3])
    assert (read(tmp_path / "m" / "image_mask.png")[scene.masks[3]] == 0).all()


def test_grow_widens_the_ignored_area(scene, tmp_path):
    photogrammetry_masks(scene, path=str(tmp_path / "a"), drop_classes=["sky"])
    photogrammetry_masks(scene, path=str(tmp_path / "b"), drop_classes=["sky"], grow=3)
    plain, grown = read(tmp_path / "a" / "image_mask.png"), read(tmp_path / "b" / "image_mask.png")
    assert (grown[:, :9] == 0).all() and (plain[:, 6:9] == 255).all()


def test_keep_and_drop_together_are_refused(scene, tmp_path):
    with pytest.raises(NodeError, match="keep_classes or drop_classes, not both"):
        photogrammetry_masks(scene, path=str(tmp_path / "m"), keep_classes=["car"], drop_classes=["sky"])


def test_an_unknown_class_name_is_warned_about(scene, tmp_path, ctx):
    photogrammetry_masks(scene, path=str(tmp_path / "m"), drop_classes=["tree"], ctx=ctx)
    assert any("'tree'" in w for w in ctx.warnings)
    assert (read(tmp_path / "m" / "image_mask.png") == 255).all()


def test_a_series_writes_a_mask_per_frame(frames, tmp_path):
    photogrammetry_masks(series=frames, path=str(tmp_path / "m"), convention="realitycapture", image_name="f{frame:03d}.jpg")
    assert sorted(p.name for p in (tmp_path / "m").glob("*.png")) == [
        "f000.jpg.mask.png", "f005.jpg.mask.png", "f010.jpg.mask.png"]
    assert not read(tmp_path / "m" / "f010.jpg.mask.png").any()  # no objects: nothing to use
