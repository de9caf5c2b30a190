"""Camera maths: OpenCV pinhole, world-to-camera [R|t], depth = camera-space z."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.recon.camera_math import (
    camera, camera_center, depth_to_points, look_at, pixel_grid, pixel_rays, project, unproject,
)
from thyra_graph.types import Cameras

K = np.array([[500.0, 0.0, 320.0], [0.0, 480.0, 240.0], [0.0, 0.0, 1.0]])


def rotation(axis: str, degrees: float) -> np.ndarray:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return {"x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
            "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])}[axis]


def pose(R: np.ndarray, center: np.ndarray) -> np.ndarray:
    return np.column_stack([R, -R @ center])


def test_project_matches_the_pinhole_formula_for_an_identity_camera() -> None:
    uv, z = project(np.array([[0.2, -0.1, 2.0]]), K, np.eye(4))
    assert uv[0] == pytest.approx([320 + 500 * 0.1, 240 - 480 * 0.05])
    assert z[0] == pytest.approx(2.0)


def test_points_behind_the_camera_get_no_pixel() -> None:
    uv, z = project(np.array([[0.0, 0.0, -1.0], [0.0, 0.0, 1.0]]), K, np.eye(3, 4))
    assert np.isnan(uv[0]).all() and z[0] < 0
    assert uv[1] == pytest.approx([320, 240])


def test_unproject_inverts_project_for_a_rotated_translated_camera() -> None:
    rng = np.random.default_rng(0)
    E = pose(rotation("y", 30) @ rotation("x", -10), np.array([1.0, -0.5, -3.0]))
    points = rng.uniform(-1, 1, (50, 3))
    uv, z = project(points, K, E)
    assert (z > 0).all()
    assert unproject(uv, z, K, E) == pytest.approx(points, abs=1e-9)


def test_skewed_intrinsics_round_trip() -> None:
    skewed = K.copy()
    skewed[0, 1] = 3.0
    points = np.array([[0.3, 0.4, 2.5], [-0.7, 0.1, 1.5]])
    uv, z = project(points, skewed, np.eye(3, 4))
    assert unproject(uv, z, skewed, np.eye(3, 4)) == pytest.approx(points)


def test_pixel_rays_start_at_the_centre_and_pass_through_the_point() -> None:
    E = pose(rotation("y", -45), np.array([2.0, 0.0, -2.0]))
    point = np.array([0.1, 0.2, 0.3])
    uv, _ = project(point[None], K, E)
    origin, directions = pixel_rays(uv, K, E)
    assert origin == pytest.approx([2.0, 0.0, -2.0])
    towards = (point - origin) / np.linalg.norm(point - origin)
    assert directions[0] == pytest.approx(towards)
    assert np.linalg.norm(directions, axis=1) == pytest.approx(1.0)


def test_depth_of_a_fronto_parallel_plane_lands_on_the_plane_in_world() -> None:
    # A camera 4 m in front of the plane z = 0, looking along +z: depth is 4 everywhere and
    # every point must come back with world z = 0 and x, y spread as the field of view says.
    E = look_at([0.0, 0.0, -4.0], [0.0, 0.0, 0.0])
    depth = np.full((48, 64), 4.0)
    depth[0, 0] = np.nan
    depth[1, 1] = 0.0
    points, flat = depth_to_points(depth, K / [[10], [10], [1]], E)
    assert len(points) == 48 * 64 - 2
    assert points[:, 2] == pytest.approx(0.0, abs=1e-9)
    rows, cols = np.unravel_index(flat, depth.shape)
    assert points[:, 0] == pytest.approx((cols - 32.0) / 50.0 * 4.0)
    assert points[:, 1] == pytest.approx((rows - 24.0) / 48.0 * 4.0)


def test_depth_to_points_honours_the_mask_and_refuses_a_wrong_sized_one() -> None:
    depth = np.ones((4, 5))
    mask = np.zeros((4, 5), dtype=bool)
    mask[2, 3] = True
    points, flat = depth_to_points(depth, K, np.eye(3, 4), mask=mask)
    assert flat.tolist() == [2 * 5 + 3]
    with pytest.raises(ValueError, match="mask is 4×5 but the depth map is 5×4"):
        depth_to_points(depth, K, np.eye(3, 4), mask=np.ones((5, 4), dtype=bool))


def test_look_at_keeps_the_world_up_at_the_image_top() -> None:
    E = look_at([0.0, -1.0, -5.0], [0.0, -1.0, 0.0])
    assert camera_center(E) == pytest.approx([0.0, -1.0, -5.0])
    uv, _ = project(np.array([[0.0, -2.0, 0.0], [1.0, -1.0, 0.0]]), K, E)
    assert uv[0, 1] < 240  # a point above (world −y) appears above the centre
    assert uv[1, 0] > 320  # a point at +x appears to the right
    assert E[:, :3] @ E[:, :3].T == pytest.approx(np.eye(3))


def test_camera_picks_one_from_cameras_and_pixel_grid_is_row_major() -> None:
    cams = Cameras(np.stack([K, K]), np.stack([np.eye(4), np.eye(4)]), (640, 480))
    k, e = camera(cams, 1)
    assert k.shape == (3, 3) and e.shape == (3, 4)
    with pytest.raises(IndexError, match="holds 2"):
        camera(cams, 2)
    assert pixel_grid(2, 3)[:4].tolist() == [[0, 0], [1, 0], [2, 0], [0, 1]]
