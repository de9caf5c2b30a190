"""pointcloud.crop: by a box, and by per-view masks projected through the cameras."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.pointcloud.crop import crop
from thyra_graph.nodes.recon.camera_math import camera, look_at, project
from thyra_graph.types import Cameras, FrameSeries, Instances, Mask, PointCloud

SIZE = (64, 48)


def two_objects() -> tuple[PointCloud, np.ndarray]:
    """A cube of points at x = −1 (the object) and one at x = +1 (the rest); flags the object."""
    rng = np.random.default_rng(1)
    a = rng.uniform(-0.2, 0.2, (300, 3)) + [-1, 0, 0]
    b = rng.uniform(-0.2, 0.2, (300, 3)) + [1, 0, 0]
    return PointCloud(np.vstack([a, b]).astype(np.float32)), np.arange(600) < 300


def rig(count: int = 3) -> Cameras:
    K = np.array([[40.0, 0, 31.5], [0, 40.0, 23.5], [0, 0, 1]])
    centres = [(0, -0.5, -5), (2, -0.5, -4.5), (-2, -0.5, -4.5)][:count]
    return Cameras(np.stack([K] * count), np.stack([look_at(c, (0, 0, 0)) for c in centres]), SIZE)


def object_masks(cameras: Cameras, points: np.ndarray) -> list[np.ndarray]:
    """Each view's mask: the pixels the object's points project to, grown by one pixel."""
    import cv2

    masks = []
    for index in range(len(cameras)):
        uv, _ = project(points, *camera(cameras, index))
        mask = np.zeros(SIZE[::-1], dtype=np.uint8)
        cols, rows = np.round(uv).astype(int).T
        inside = (cols >= 0) & (cols < SIZE[0]) & (rows >= 0) & (rows < SIZE[1])
        mask[rows[inside], cols[inside]] = 1
        masks.append(cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(bool))
    return masks


def test_box_keeps_the_points_inside() -> None:
    cloud, is_object = two_objects()
    kept = crop(cloud, box_min=[-2, -1, -1], box_max=[0, 1, 1])
    assert len(kept) == is_object.sum()
    assert (kept.points[:, 0] < 0).all()


def test_masks_projected_through_the_cameras_keep_only_the_object() -> None:
    cloud, is_object = two_objects()
    cameras = rig()
    masks = object_masks(cameras, cloud.points[is_object])
    series = FrameSeries.from_items((i, float(i), Mask(m)) for i, m in enumerate(masks))
    kept = crop(cloud, cameras, series, min_views=3)
    assert len(kept) == is_object.sum()
    assert (kept.points[:, 0] < -0.5).all()


def test_a_view_that_disagrees_is_outvoted_by_min_views() -> None:
    cloud, is_object = two_objects()
    cameras = rig()
    masks = object_masks(cameras, cloud.points[is_object])
    masks[1] = np.ones_like(masks[1])  # one view says everything is the object
    instances = [Instances(m[None], np.array([1])) for m in masks]
    series = FrameSeries.from_items((i, float(i), inst) for i, inst in enumerate(instances))
    assert len(crop(cloud, cameras, series, min_views=1)) == 600
    assert len(crop(cloud, cameras, series, min_views=2)) == is_object.sum()


def test_bad_crops_are_refused_with_the_fix() -> None:
    cloud, _ = two_objects()
    cameras = rig()
    with pytest.raises(NodeError, match="nothing to crop by"):
        crop(cloud)
    with pytest.raises(NodeError, match="give both box_min and box_max"):
        crop(cloud, box_min=[0, 0, 0])
    with pytest.raises(NodeError, match="cropped cloud has 0 points"):
        crop(cloud, box_min=[5, 5, 5], box_max=[6, 6, 6])
    wrong = FrameSeries.from_items((i, float(i), Mask(np.ones((10, 10), bool))) for i in range(3))
    with pytest.raises(NodeError, match="mask 0 is 10×10 but the cameras see 64×48"):
        crop(cloud, cameras, wrong)
    with pytest.raises(NodeError, match="2 masks for 3 cameras"):
        crop(cloud, cameras, wrong.select([0, 1]))
