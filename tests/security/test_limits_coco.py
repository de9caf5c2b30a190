"""Hostile COCO and JSON files: too big, too deep, impossible sizes, image names that escape.

Every one is refused by io.load_coco with a NodeError naming the file, before the document
or any mask is built in memory.
"""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest
from hostile_files import coco_file, nested_json, refused_in_fresh_process

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.coco_files import load_coco
from thyra_graph.nodes.io.limits import json_depth, load_json_limited

IMAGE = {"id": 1, "file_name": "a.png", "width": 4, "height": 3}


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    path = coco_file(tmp_path / "big.json", [IMAGE])
    monkeypatch.setenv("THYRA_MAX_JSON_BYTES", "50")
    with pytest.raises(NodeError, match=r"big\.json.* bytes, over the limit of 50: .*THYRA_MAX_JSON_BYTES"):
        load_coco(path=str(path))


def test_nesting_deeper_than_python_can_parse_is_a_clear_error_not_a_recursion_error(tmp_path):
    path = nested_json(tmp_path / "deep.json", 100_000)
    with pytest.raises(NodeError, match=r"deep\.json.*nests .* deep"):
        load_coco(path=str(path))


def test_nesting_over_the_depth_limit_is_refused(tmp_path, monkeypatch):
    path = nested_json(tmp_path / "deep.json", 200)
    with pytest.raises(NodeError, match=r"deep\.json.*more than 64 levels.*THYRA_MAX_JSON_DEPTH"):
        load_coco(path=str(path))
    monkeypatch.setenv("THYRA_MAX_JSON_DEPTH", "0")  # no limit: parsed, then refused as not COCO
    with pytest.raises(NodeError, match="lists no images"):
        load_coco(path=str(path))


@pytest.mark.parametrize("width", [-5, 0, 2.5, "4", True])
def test_an_impossible_image_size_names_the_file_and_the_image(tmp_path, width):
    path = coco_file(tmp_path / "c.json", [{**IMAGE, "width": width}])
    with pytest.raises(NodeError, match=r"image 1 in .*c\.json.* positive whole numbers"):
        load_coco(path=str(path))


@pytest.mark.skipif(sys.platform == "win32", reason="peak memory is read with the resource module")
def test_a_huge_declared_image_size_is_refused_before_masks_are_allocated(tmp_path):
    annotation = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 1, 0, 1, 1]]}
    path = coco_file(tmp_path / "huge.json", [{**IMAGE, "width": 100_000, "height": 100_000}], [annotation])
    message, peak_mb = refused_in_fresh_process(
        f"from thyra_graph.nodes.io.coco_files import load_coco\nload_coco(path={str(path)!r})")
    assert "huge.json" in message and "100000×100000" in message and "THYRA_MAX_IMAGE_PIXELS" in message
    assert peak_mb < 300


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "../secret.png", "/etc/passwd", "sub/../../x.png"])
def test_file_name_cannot_leave_the_image_folder(tmp_path, name):
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(tmp_path / "secret.png"), np.zeros((3, 4, 3), np.uint8))
    path = coco_file(images / "c.json", [{**IMAGE, "file_name": name}])
    with pytest.raises(NodeError, match=r"file_name .* in .*c\.json.* points outside the image folder"):
        load_coco(path=str(path), ctx=Context.standalone("load"))


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_link_inside_the_image_folder_that_points_outside_is_refused(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(tmp_path / "outside.png"), np.zeros((3, 4, 3), np.uint8))
    (images / "a.png").symlink_to(tmp_path / "outside.png")
    path = coco_file(images / "c.json", [IMAGE])
    with pytest.raises(NodeError, match="points outside the image folder"):
        load_coco(path=str(path))


def test_an_image_in_a_subfolder_of_image_dir_still_loads(tmp_path):
    (tmp_path / "train").mkdir()
    cv2.imwrite(str(tmp_path / "train" / "a.png"), np.full((3, 4, 3), 7, np.uint8))
    path = coco_file(tmp_path / "c.json", [{**IMAGE, "file_name": "train/a.png"}])
    assert load_coco(path=str(path))["image"].data.shape == (3, 4, 3)


def test_load_json_limited_bounds_any_json_input(tmp_path):
    (tmp_path / "ok.json").write_text('{"a": [[1, 2], {"b": 3}]}', encoding="utf-8")
    assert load_json_limited(tmp_path / "ok.json", max_depth=3) == {"a": [[1, 2], {"b": 3}]}
    with pytest.raises(NodeError, match=r"ok\.json.*more than 2 levels"):
        load_json_limited(tmp_path / "ok.json", what="settings", max_depth=2)
    (tmp_path / "latin.json").write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(NodeError, match=r"latin\.json.* not UTF-8"):
        load_json_limited(tmp_path / "latin.json")
    assert json_depth(5) == 0 and json_depth([]) == 1 and json_depth({"a": [{}]}) == 3
