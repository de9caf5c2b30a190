"""Views for SfM and MVS: a folder or glob of photos, or frames written as files."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.views import views_from_frames, views_from_param
from thyra_graph.types import FrameSeries, Image, Mask


def _write(path, width=32, height=24, value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((height, width, 3), value, np.uint8))


def test_a_folder_gives_its_images_sorted_by_name(tmp_path):
    for name in ("b.png", "a.jpg", "notes.txt"):
        (_write(tmp_path / name) if name != "notes.txt" else (tmp_path / name).write_text("x"))
    views = views_from_param(str(tmp_path))
    assert views.names == ["a.jpg", "b.png"] and views.size == (32, 24) and views.folder == tmp_path


def test_a_glob_picks_its_files_and_names_them_relative_to_its_folder(tmp_path):
    _write(tmp_path / "set" / "x" / "1.jpg")
    _write(tmp_path / "set" / "y" / "2.jpg")
    _write(tmp_path / "set" / "y" / "3.png")
    views = views_from_param(str(tmp_path / "set" / "*" / "*.jpg"))
    assert views.folder == tmp_path / "set" and views.names == ["x/1.jpg", "y/2.jpg"]
    assert views.read(1).shape == (24, 32, 3)


def test_images_of_different_sizes_are_refused_naming_them(tmp_path):
    _write(tmp_path / "a.png")
    _write(tmp_path / "b.png", width=40)
    with pytest.raises(NodeError, match=r"different sizes: 32×24 \(a.png\), 40×24 \(b.png\)"):
        views_from_param(str(tmp_path))


def test_frames_are_written_losslessly_under_their_names(tmp_path):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(2)]
    frames = FrameSeries.from_items([(0, 0.0, Image(images[0], {"name": "left.png"})), (5, 0.2, Image(images[1]))])
    views = views_from_frames(frames, tmp_path)
    assert views.names == ["left.png", "frame_000005.png"]
    assert np.array_equal(views.read(0), images[0]) and np.array_equal(views.read(1), images[1])
    with pytest.raises(NodeError, match="FrameSeries of Image"):
        views_from_frames(FrameSeries.from_items([(0, 0.0, Mask(np.zeros((4, 4), bool)))]), tmp_path)
