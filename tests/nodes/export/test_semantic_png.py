"""export.semantic_png: class-id PNGs that every tool reads as ids, and the class map."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.classes import class_color
from thyra_graph.nodes.export.semantic_png import semantic_png
from thyra_graph.types import Files, Image, Instances


def read(path) -> np.ndarray:
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert data is not None, path
    return data


def test_each_pixel_holds_its_class_id_and_the_background_0(scene, tmp_path):
    result = semantic_png(scene, path=str(tmp_path / "sem"))
    label_map = read(tmp_path / "sem" / "image.png")
    assert label_map.dtype == np.uint8 and label_map.shape == (60, 80)
    assert set(np.unique(label_map)) == {0, 1, 2, 3}
    assert (label_map[scene.masks[2]] == 1).all()  # the ring is a car
    assert label_map[45, 62] == 0  # its hole stays background
    assert (label_map[~scene.masks.any(axis=0)] == 0).all()
    assert isinstance(result, Files) and result.path == str(tmp_path / "sem")
    assert sorted(result.files()) == sorted([str(tmp_path / "sem" / "image.png"), str(tmp_path / "sem" / "classes.json")])


def test_where_objects_overlap_the_higher_score_wins(scene, tmp_path):
    semantic_png(scene, path=str(tmp_path / "a"))
    overlap = scene.masks[0] & scene.masks[1]
    assert overlap.any()
    assert (read(tmp_path / "a" / "image.png")[overlap] == 1).all()  # the car (0.9) over the person (0.6)
    flipped = Instances(scene.masks, scene.class_ids, [0.1, 0.6, 0.8, 0.5], classes=scene.classes)
    semantic_png(flipped, path=str(tmp_path / "b"))
    assert (read(tmp_path / "b" / "image.png")[overlap] == 2).all()


def test_between_equal_scores_the_first_object_wins(tmp_path):
    masks = np.zeros((2, 6, 6), bool)
    masks[0, :4, :4] = masks[1, 2:, 2:] = True
    semantic_png(Instances(masks, [5, 7], [0.5, 0.5]), path=str(tmp_path / "s"))
    assert read(tmp_path / "s" / "image.png")[3, 3] == 5
    semantic_png(Instances(masks[::-1].copy(), [7, 5], [0.5, 0.5]), path=str(tmp_path / "t"))
    assert read(tmp_path / "t" / "image.png")[3, 3] == 7


def test_the_class_map_names_and_colours_every_id(scene, tmp_path):
    semantic_png(scene, image=Image(np.zeros((60, 80, 3), np.uint8), {"path": "/data/Straße 1.jpg"}), path=str(tmp_path / "s"))
    document = json.loads((tmp_path / "s" / "classes.json").read_text(encoding="utf-8"))
    assert document["bit_depth"] == 8
    assert document["classes"] == {
        "0": {"name": "background", "color": [0, 0, 0]}, "1": {"name": "car", "color": list(class_color(1))},
        "2": {"name": "person", "color": list(class_color(2))}, "3": {"name": "sky", "color": list(class_color(3))}}
    assert document["masks"] == [{"mask": "Straße 1.png", "image": "Straße 1.jpg"}]
    assert (tmp_path / "s" / "Straße 1.png").is_file()


def test_more_than_255_class_ids_are_refused_in_8_bit_and_fit_in_16_bit(tmp_path):
    masks = np.zeros((300, 20, 20), bool)
    for i in range(300):
        masks[i, i // 20, i % 20] = True
    many = Instances(masks, np.arange(1, 301), classes={i: f"c{i}" for i in range(1, 301)})
    with pytest.raises(NodeError, match=r"class id 300 \(300 classes\) does not fit a 8-bit PNG.*set bit_depth: 16"):
        semantic_png(many, path=str(tmp_path / "eight"))
    assert not (tmp_path / "eight").exists()  # refused before writing anything
    semantic_png(many, path=str(tmp_path / "sixteen"), bit_depth=16)
    label_map = read(tmp_path / "sixteen" / "image.png")
    assert label_map.dtype == np.uint16
    assert label_map[14, 19] == 300 and label_map[0, 0] == 1
    assert np.array_equal(np.array(PILImage.open(tmp_path / "sixteen" / "image.png")), label_map)


def test_the_palette_png_keeps_the_ids_and_shows_the_class_colours(scene, tmp_path):
    semantic_png(scene, path=str(tmp_path / "s"), palette_png=True)
    plain = read(tmp_path / "s" / "image.png")
    indexed = PILImage.open(tmp_path / "s" / "image_palette.png")
    assert indexed.mode == "P"
    assert np.array_equal(np.array(indexed), plain)
    assert np.array(indexed.convert("RGB"))[15, 20].tolist() == list(class_color(1))


def test_a_palette_needs_8_bit(scene, tmp_path):
    with pytest.raises(NodeError, match="palette_png needs bit_depth 8"):
        semantic_png(scene, path=str(tmp_path / "s"), palette_png=True, bit_depth=16)


def test_no_objects_give_an_all_background_png_and_a_valid_class_map(empty_scene, tmp_path):
    semantic_png(empty_scene, path=str(tmp_path / "s"))
    assert not read(tmp_path / "s" / "image.png").any()
    assert json.loads((tmp_path / "s" / "classes.json").read_text())["classes"]["1"]["name"] == "car"


def test_a_series_writes_one_png_per_frame(frames, tmp_path):
    semantic_png(series=frames, path=str(tmp_path / "s"))
    names = sorted(p.name for p in (tmp_path / "s").glob("*.png"))
    assert names == ["frame_000000.png", "frame_000005.png", "frame_000010.png"]
    masks = json.loads((tmp_path / "s" / "classes.json").read_text())["masks"]
    assert masks[1] == {"mask": "frame_000005.png", "image": "frame_000005.png", "frame_index": 5, "timestamp": 0.2}


def test_a_grey_class_map_is_written_as_it_is(tmp_path):
    ids = np.zeros((10, 12), np.uint8)
    ids[2:5, 3:9] = 4
    semantic_png(class_map=Image(np.repeat(ids[:, :, None], 3, axis=2), {"path": "labels.png"}), path=str(tmp_path / "s"))
    assert np.array_equal(read(tmp_path / "s" / "labels.png"), ids)
    assert list(json.loads((tmp_path / "s" / "classes.json").read_text())["classes"]) == ["0", "4"]


def test_a_colour_class_map_is_refused(tmp_path):
    colours = np.zeros((4, 4, 3), np.uint8)
    colours[0, 0] = (255, 0, 0)
    with pytest.raises(NodeError, match="grey image of class ids"):
        semantic_png(class_map=Image(colours), path=str(tmp_path / "s"))
