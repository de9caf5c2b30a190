"""Every reader's failure names the file: empty, truncated, not the format, wrong type."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hostile_files import nested_json

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.coco_files import load_coco
from thyra_graph.nodes.io.image_files import load_image
from thyra_graph.nodes.io.limits import check_file_size
from thyra_graph.nodes.io.paths import MANIFEST_NAME, read_manifest
from thyra_graph.nodes.io.video_files import load_video


def test_a_zero_byte_image_is_called_empty_with_its_name(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(NodeError, match=r"empty\.png.* is empty \(0 bytes\)"):
        load_image(path=str(tmp_path / "empty.png"))


def test_a_truncated_png_names_the_file(tmp_path):
    picture = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    ok, encoded = cv2.imencode(".png", picture)
    (tmp_path / "cut.png").write_bytes(encoded.tobytes()[:200])
    with pytest.raises(NodeError, match=r"cut\.png.*could not be decoded.*truncated"):
        load_image(path=str(tmp_path / "cut.png"))


@pytest.mark.parametrize("content", [b"hello, I am text\n" * 10, b'{"images": []}', b"\0" * 64])
def test_something_that_is_not_an_image_names_the_file(tmp_path, content):
    (tmp_path / "photo.jpg").write_bytes(content)
    with pytest.raises(NodeError, match=r"photo\.jpg.*could not be decoded as an image"):
        load_image(path=str(tmp_path / "photo.jpg"))


def test_a_jpeg_named_png_is_read_by_its_content(tmp_path):
    ok, encoded = cv2.imencode(".jpg", np.full((8, 8, 3), 90, np.uint8))
    (tmp_path / "really-a-jpeg.png").write_bytes(encoded.tobytes())
    assert load_image(path=str(tmp_path / "really-a-jpeg.png")).data.shape == (8, 8, 3)


@pytest.mark.parametrize("content", [b"", b"[1, 2", b"[]"])
def test_a_coco_file_that_is_empty_broken_or_a_list_names_the_file(tmp_path, content):
    (tmp_path / "c.json").write_bytes(content)
    with pytest.raises(NodeError, match=r"c\.json"):
        load_coco(path=str(tmp_path / "c.json"))


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100])
def test_an_empty_or_bogus_video_names_the_file(tmp_path, content):
    (tmp_path / "clip.mp4").write_bytes(content)
    with pytest.raises(NodeError, match=r"clip\.mp4"):
        load_video(path=str(tmp_path / "clip.mp4"))


def test_check_file_size_names_the_file_and_the_limit(tmp_path):
    (tmp_path / "cloud.ply").write_bytes(b"ply\n" + b"\0" * 96)
    assert check_file_size(tmp_path / "cloud.ply", 1000, "point cloud") == 100
    with pytest.raises(NodeError, match=r"point cloud file .*cloud\.ply.* is 100 bytes, over the limit of 50"):
        check_file_size(tmp_path / "cloud.ply", 50, "point cloud")
    (tmp_path / "none.ply").write_bytes(b"")
    with pytest.raises(NodeError, match=r"none\.ply.* is empty"):
        check_file_size(tmp_path / "none.ply", 50, "point cloud")


def test_a_hostile_overwrite_manifest_counts_as_none(tmp_path):
    nested_json(tmp_path / MANIFEST_NAME, 100_000, inside="files")
    assert read_manifest(tmp_path) == {}  # every file there then counts as foreign: never overwritten
