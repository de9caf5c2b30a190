"""The synthetic multi-view scene: its ground truth is exact and consistent across views."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.recon.synthetic_scene import BOXES, render_scene, synthetic_scene
from thyra_graph.types import Cameras, Field, Image, Instances


@pytest.fixture(scope="module")
def scene():
    return render_scene(4, (160, 120), seed=0)


def _project(cameras: Cameras, view: int, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cam = points @ cameras.rotations[view].T + cameras.translations[view]
    uv = cam @ cameras.intrinsics[view].T
    return uv[:, :2] / uv[:, 2:], cam[:, 2]


def test_depth_is_consistent_across_views(scene):
    """A surface point seen in view 0 projects into view 3 where view 3 sees the same depth."""
    world = scene.points(0).reshape(-1, 3)
    world = world[np.isfinite(world).all(axis=1)]
    uv, z = _project(scene.cameras, 3, world)
    w, h = scene.cameras.image_size
    u, v = np.round(uv[:, 0]).astype(int), np.round(uv[:, 1]).astype(int)
    inside = (u >= 0) & (u < w) & (v >= 0) & (v < h)
    seen = scene.depths[3][v[inside], u[inside]]
    relative = np.abs(seen - z[inside]) / z[inside]
    # Most points are visible in both views (the rest are occluded or at a rounded edge).
    assert np.mean(relative < 0.01) > 0.8
    assert np.median(relative) < 0.005  # nearest-pixel lookup at 160×120


def test_box_masks_match_the_box_geometry(scene):
    """Every pixel labelled box k sees a point on that box's surface, and vice versa."""
    for view in range(len(scene.images)):
        world = scene.points(view)
        for k, box in enumerate(BOXES, start=1):
            on = scene.object_ids[view] == k
            assert on.any()
            p = world[on]
            assert (p >= box.low - 1e-6).all() and (p <= box.high + 1e-6).all()
            inside = ((world >= box.low - 1e-6) & (world <= box.high + 1e-6)).all(axis=-1)
            assert not (inside & ~on).any()


def test_left_box_is_left_and_nearest_right_box_right_and_farthest(scene):
    for view in range(len(scene.images)):
        ids, depth = scene.object_ids[view], scene.depths[view]
        x = {k: np.nonzero(ids == k)[1].mean() for k in (1, 3)}
        z = {k: np.median(depth[ids == k]) for k in (1, 3)}
        assert BOXES[0].name == "left box" and BOXES[2].name == "right box"
        assert x[1] < x[3] and z[1] < z[3]


def test_cameras_are_world_to_camera_and_look_at_the_scene(scene):
    centres = scene.cameras.centers()
    for view, centre in enumerate(centres):
        R = scene.cameras.rotations[view]
        assert np.allclose(R @ R.T, np.eye(3), atol=1e-9) and np.isclose(np.linalg.det(R), 1.0)
        assert np.allclose(R @ centre + scene.cameras.translations[view], 0.0, atol=1e-9)
    # Every view sees surfaces almost everywhere and is textured (SIFT needs contrast).
    for image, depth in zip(scene.images, scene.depths):
        assert (depth > 0).mean() > 0.95
        assert image.std() > 30


def test_same_seed_same_scene_other_seed_other_textures():
    a, b, c = (render_scene(2, (64, 48), seed=s) for s in (0, 0, 1))
    assert np.array_equal(a.images[0], b.images[0])
    assert not np.array_equal(a.images[0], c.images[0])
    assert np.array_equal(a.depths[0], c.depths[0])


def test_node_outputs_types_and_units():
    out = synthetic_scene.func(n_views=3, width=96, height=64, arc_degrees=40.0, seed=0)
    frames, cameras, depths, objects = out["frames"], out["cameras"], out["depths"], out["objects"]
    for value in out.values():
        value.validate()
    assert len(frames) == len(cameras) == len(depths) == len(objects) == 3
    assert isinstance(frames.items[0], Image) and frames.items[0].data.shape == (64, 96, 3)
    assert isinstance(depths.items[0], Field) and depths.items[0].meta["units"] == "metres"
    assert isinstance(objects.items[0], Instances)
    assert list(objects.items[1].class_ids) == [1, 2, 3]
    assert objects.items[1].classes[1] == "left box"
    assert cameras.names[2] == "view_002.png" and cameras.image_size == (96, 64)
