"""export.instance_masks: one full-size black-and-white PNG per object, predictably named."""

from __future__ import annotations

import json

import cv2
import numpy as np
from PIL import Image as PILImage

from thyra_graph.nodes.export.instance_masks import instance_masks
from thyra_graph.types import Files, Image, Instances


def test_each_object_is_a_binary_png_of_the_image_size_named_image_number_class(scene, tmp_path):
    image = Image(np.zeros((60, 80, 3), np.uint8), {"path": "/shots/street.jpg"})
    result = instance_masks(scene, image=image, path=str(tmp_path / "objects"))
    names = sorted(p.name for p in (tmp_path / "objects").glob("*.png"))
    assert names == ["street_001_car.png", "street_002_person.png", "street_003_car.png", "street_004_sky.png"]
    for name, mask in zip(names, scene.masks):
        for data in (cv2.imread(str(tmp_path / "objects" / name), cv2.IMREAD_UNCHANGED),
                     np.array(PILImage.open(tmp_path / "objects" / name))):
            assert data.dtype == np.uint8 and data.shape == (60, 80)
            assert np.array_equal(data, np.where(mask, 255, 0).astype(np.uint8))
    assert isinstance(result, Files) and len(result.files()) == 5


def test_the_index_lists_every_file_with_its_object(scene, tmp_path):
    instance_masks(scene, path=str(tmp_path / "o"))
    index = json.loads((tmp_path / "o" / "index.json").read_text())
    first = index["masks"][0]
    assert first == {"file": "image_001_car.png", "image": "image.png", "instance": 1, "class_id": 1, "class": "car",
                     "score": 0.9, "bbox": [10, 5, 21, 21], "area": int(scene.masks[0].sum()), "label": "car"}
    assert [m["instance"] for m in index["masks"]] == [1, 2, 3, 4]
    assert index["classes"]["3"]["name"] == "sky"


def test_overlapping_objects_each_keep_their_whole_mask(scene, tmp_path):
    instance_masks(scene, path=str(tmp_path / "o"))
    person = cv2.imread(str(tmp_path / "o" / "image_002_person.png"), cv2.IMREAD_UNCHANGED)
    assert (person[scene.masks[0] & scene.masks[1]] == 255).all()


def test_unsafe_class_names_become_safe_file_names(tmp_path):
    masks = np.ones((1, 4, 4), bool)
    instance_masks(Instances(masks, [1], classes={1: 'traffic light / "red"'}), path=str(tmp_path / "o"))
    assert [p.name for p in (tmp_path / "o").glob("*.png")] == ["image_001_traffic light _ _red_.png"]


def test_no_objects_write_only_an_empty_index(empty_scene, tmp_path):
    result = instance_masks(empty_scene, path=str(tmp_path / "o"))
    assert [p.name for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")] == ["index.json"]
    assert json.loads((tmp_path / "o" / "index.json").read_text())["masks"] == []
    assert result.files() == [str(tmp_path / "o" / "index.json")]


def test_a_series_names_files_after_each_frame(frames, tmp_path):
    instance_masks(series=frames, path=str(tmp_path / "o"), image_name="cam_{frame:03d}.jpg")
    names = sorted(p.name for p in (tmp_path / "o").glob("*.png"))
    assert len(names) == 8 and names[0] == "cam_000_001_car.png" and names[-1] == "cam_005_004_sky.png"
    index = json.loads((tmp_path / "o" / "index.json").read_text())["masks"]
    assert index[4]["frame_index"] == 5 and index[4]["timestamp"] == 0.2


def test_a_4k_mask_of_a_small_object_is_small_and_exact(tmp_path):
    masks = np.zeros((1, 2160, 3840), bool)
    masks[0, 2150:, 3800:] = True  # touching the bottom-right corner
    instance_masks(Instances(masks, [1]), path=str(tmp_path / "o"))
    file = tmp_path / "o" / "image_001_class_1.png"
    assert file.stat().st_size < 20_000
    assert np.array_equal(cv2.imread(str(file), cv2.IMREAD_UNCHANGED) == 255, masks[0])
