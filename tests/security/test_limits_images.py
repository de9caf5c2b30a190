"""Image decompression bombs are refused from the header, before a pixel is decoded.

A 110 KB PNG (or TIFF, or a 600-byte JPEG) claiming 30000×30000 pixels would decode to a
2.7 GB RGB array. io.load_image and count.tiled read the size from the header first and
refuse it with a message naming the file, the limit and how to raise it; the refusal happens
in a fresh interpreter whose peak memory stays far below the decoded size.
"""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest
from hostile_files import jpeg_bomb, png_bomb, refused_in_fresh_process, tiff_bomb

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.tiled import tiled
from thyra_graph.nodes.io.image_files import load_image
from thyra_graph.nodes.io.limits import check_image_header

PEAK_MB = 300  # the decoded bomb would be 2700 MB; an interpreter with OpenCV and numpy is ~100
BUILDERS = {"png": png_bomb, "tif": tiff_bomb, "jpg": jpeg_bomb}


@pytest.mark.skipif(sys.platform == "win32", reason="peak memory is read with the resource module")
@pytest.mark.parametrize("suffix", list(BUILDERS))
def test_a_bomb_is_refused_by_load_image_naming_the_file_within_bounded_memory(tmp_path, suffix):
    bomb = BUILDERS[suffix](tmp_path / f"bomb.{suffix}")
    assert bomb.stat().st_size < 200_000
    message, peak_mb = refused_in_fresh_process(
        f"from thyra_graph.nodes.io.image_files import load_image\nload_image(path={str(bomb)!r})")
    assert str(bomb) in message
    assert "30000×30000" in message and "89.5 Mpx" in message
    assert "THYRA_MAX_IMAGE_PIXELS" in message and "max_pixels" in message
    assert peak_mb < PEAK_MB, f"refusing the bomb took {peak_mb:.0f} MB"


def test_count_tiled_refuses_a_bomb_path_too(tmp_path):
    bomb = png_bomb(tmp_path / "bomb.png")
    with pytest.raises(NodeError, match=r"bomb\.png.*30000×30000.*THYRA_MAX_IMAGE_PIXELS"):
        tiled(None, path=str(bomb))


def test_the_limit_is_lowered_or_lifted_by_the_param_and_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    cv2.imwrite(str(path), np.zeros((40, 50, 3), np.uint8))
    with pytest.raises(NodeError, match=r"small\.png.*50×40.*over the limit"):
        load_image(path=str(path), max_pixels=1000)
    monkeypatch.setenv("THYRA_MAX_IMAGE_PIXELS", "1000")
    with pytest.raises(NodeError, match="THYRA_MAX_IMAGE_PIXELS"):
        load_image(path=str(path))
    assert load_image(path=str(path), max_pixels=2000).data.shape == (40, 50, 3)  # the param wins
    assert load_image(path=str(path), max_pixels=0).data.shape == (40, 50, 3)  # 0 = no limit
    monkeypatch.setenv("THYRA_MAX_IMAGE_PIXELS", "lots")
    with pytest.raises(NodeError, match="THYRA_MAX_IMAGE_PIXELS='lots' is not a number"):
        load_image(path=str(path))


def test_a_header_size_above_pillows_own_bomb_ceiling_is_read_when_the_user_lifts_the_limit(tmp_path):
    # Pillow's Image.open refuses anything over 179 Mpx itself; Thyra's limit must be liftable past it.
    bomb = png_bomb(tmp_path / "big.png", side=20000)
    assert check_image_header(bomb, 500_000_000) == (20000, 20000)


def test_every_format_the_node_lists_still_loads_under_the_limit(tmp_path):
    picture = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    for suffix in (".png", ".jpg", ".tif", ".bmp", ".webp"):
        path = tmp_path / f"picture{suffix}"
        assert cv2.imwrite(str(path), picture)
        assert load_image(path=str(path)).data.shape == (24, 32, 3), suffix
