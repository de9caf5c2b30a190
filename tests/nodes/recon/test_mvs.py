"""recon.mvs: dense depth from rectified pairs, checked against the rendered scene's truth."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.mvs import mvs
from thyra_graph.nodes.recon.synthetic_scene import render_scene
from thyra_graph.types import Cameras, FrameSeries, Image

PARAMS = dict(images=None, neighbours=2, depth_range=[], block_size=5, tolerance=0.01, min_consistent=1,
              voxel=0.0, units="metres")


def _frames(images, names=None) -> FrameSeries:
    return FrameSeries.from_items((i, float(i), Image(im, {"name": names[i]} if names else {}))
                                  for i, im in enumerate(images))


def _run(cameras, frames=None, points=None, **params):
    return mvs.func(cameras, frames, points, ctx=Context("mvs", "recon.mvs"), **{**PARAMS, **params})


@pytest.fixture(scope="module")
def scene():
    return render_scene(8, (640, 480), seed=0)


@pytest.fixture(scope="module")
def result(scene):
    # The depth search is bounded as recon.sfm's sparse points would bound it.
    return _run(scene.cameras, _frames(scene.images, scene.cameras.names), depth_range=[1.5, 8.0])


def test_every_view_is_mostly_covered_with_accurate_depth(scene, result):
    depths = result["depths"]
    assert len(depths) == 8 and depths.items[0].meta["units"] == "metres"
    for view, (_frame, _time, field) in enumerate(depths):
        depth, truth = field["depth"], scene.depths[view]
        assert depth.shape == truth.shape
        valid = depth > 0
        assert valid.mean() >= 0.70, f"view {view}"
        relative = np.abs(depth[valid] - truth[valid]) / truth[valid]
        assert np.median(relative) < 0.02, f"view {view}"


def test_fused_cloud_lies_on_the_true_surfaces(scene, result):
    from scipy.spatial import cKDTree

    cloud = result["cloud"]
    cloud.validate()
    assert len(cloud) > 10000 and cloud.colors is not None
    truth = np.concatenate([scene.points(view).reshape(-1, 3)[::2] for view in range(8)])
    truth = truth[np.isfinite(truth).all(axis=1)]
    distance, _ = cKDTree(truth).query(cloud.points.astype(np.float64))
    assert np.median(distance) < 0.005 * scene.size
    # Normals face the cameras: on the floor (y = 0, y down) they point up, towards -y.
    floor = np.abs(cloud.points[:, 1]) < 0.005
    assert floor.sum() > 1000 and np.median(cloud.normals[floor, 1]) < -0.95


def test_wrong_cameras_leave_nothing_consistent(scene):
    """With poses that do not belong to the views, the cross-view check rejects the depths."""
    small = render_scene(3, (320, 240), seed=0, arc_degrees=30.0)
    rng = np.random.default_rng(0)
    extrinsics = small.cameras.extrinsics.copy()
    extrinsics[:, :, 3] += rng.normal(0, 0.4, (3, 3))
    wrong = Cameras(small.cameras.intrinsics, extrinsics, small.cameras.image_size, small.cameras.names)
    good = _run(small.cameras, _frames(small.images), depth_range=[1.5, 8.0], tolerance=0.02)
    try:
        bad = _run(wrong, _frames(small.images), depth_range=[1.5, 8.0], tolerance=0.02)
        bad_cover = np.mean([(f["depth"] > 0).mean() for f in bad["depths"].items])
    except NodeError:
        bad_cover = 0.0
    good_cover = np.mean([(f["depth"] > 0).mean() for f in good["depths"].items])
    assert good_cover > 0.6 and bad_cover < 0.5 * good_cover


def test_images_param_finds_views_by_camera_name(tmp_path):
    import cv2

    small = render_scene(2, (96, 72), seed=0)
    for name, image in zip(small.cameras.names, small.images):
        cv2.imwrite(str(tmp_path / name), image[..., ::-1])
    out = _run(small.cameras, images=str(tmp_path), depth_range=[1.5, 8.0])
    assert len(out["depths"]) == 2
    renamed = Cameras(small.cameras.intrinsics, small.cameras.extrinsics, small.cameras.image_size, ["a.png", "b.png"])
    with pytest.raises(NodeError, match="no image for camera 'a.png'"):
        _run(renamed, images=str(tmp_path))


def test_bad_inputs_are_refused_with_the_fix():
    small = render_scene(2, (96, 72), seed=0)
    with pytest.raises(NodeError, match="2 frames for 3 cameras"):
        three = render_scene(3, (96, 72), seed=0).cameras
        _run(three, _frames(small.images))
    with pytest.raises(NodeError, match="images are 48×36 but the cameras are 96×72"):
        _run(small.cameras, _frames([im[::2, ::2] for im in small.images]))
    with pytest.raises(NodeError, match="depth_range"):
        _run(small.cameras, _frames(small.images), depth_range=[5, 1])
    with pytest.raises(NodeError, match="no images"):
        _run(small.cameras)
