"""recon.align_depth: a relative map that is an affine function of the truth (in depth or in
inverse depth), polluted with outliers, is brought back to the truth within 1 %."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.align_depth import align_depth
from thyra_graph.nodes.recon.camera_math import depth_to_points, look_at
from thyra_graph.types import Cameras, Field, PointCloud

HEIGHT, WIDTH = 60, 80
K = np.array([[70.0, 0, 39.5], [0, 70.0, 29.5], [0, 0, 1]])


def true_depth() -> np.ndarray:
    """A tilted floor 2-6 m away with a box 1.5 m away in front of it."""
    rows = np.arange(HEIGHT, dtype=np.float64)[:, None]
    z = np.broadcast_to(6.0 - 4.0 * rows / HEIGHT, (HEIGHT, WIDTH)).copy()
    z[20:40, 30:55] = 1.5
    return z


def relative_inverse(z: np.ndarray) -> np.ndarray:
    """What a DPT-like model gives: inverse depth with an unknown scale and shift."""
    return (1.0 / z - 0.05) / 0.02


def test_inverse_depth_with_outliers_is_brought_back_to_metres_from_a_reference_map():
    z = true_depth()
    reference = z.copy()
    rng = np.random.default_rng(0)
    wrong = rng.random(z.shape) < 0.25  # a quarter of the known depths are wrong
    reference[wrong] *= rng.uniform(1.5, 3.0, wrong.sum())
    reference[:5] = np.nan  # unknown there
    result = align_depth(Field({"inverse_depth": relative_inverse(z).astype(np.float32)}, meta={"units": "relative"}),
                         reference=Field({"depth": reference.astype(np.float32)}, meta={"units": "metres"}))
    aligned = result["depth"]
    assert aligned.meta["units"] == "metres"
    np.testing.assert_allclose(aligned["depth"], z, rtol=0.01)
    report = result["report"]
    assert report["inliers"][0] < report["pairs"][0]


def test_affine_relative_depth_is_aligned_to_sfm_points_seen_by_the_camera():
    z = true_depth()
    extrinsic = look_at([1.0, -2.0, -3.0], [1.0, -1.0, 3.0])
    cameras = Cameras(K[None], extrinsic[None], (WIDTH, HEIGHT), ["view0"])
    rng = np.random.default_rng(1)
    sample = np.zeros(z.shape, bool)
    sample.flat[rng.choice(z.size, 300, replace=False)] = True
    points, _ = depth_to_points(z, K, extrinsic, mask=sample)
    outliers = points[:60] + rng.normal(0, 1.0, (60, 3))  # badly triangulated points
    cloud = PointCloud(np.concatenate([points, outliers]))
    predicted = 0.3 * z + 2.0  # a relative depth map: right up to scale and shift
    result = align_depth(Field({"depth": predicted.astype(np.float32)}), points=cloud, cameras=cameras)
    np.testing.assert_allclose(result["depth"]["depth"], z, rtol=0.01)
    assert result["depth"].meta["units"] == "relative"
    assert result["report"]["scale"][0] == pytest.approx(1 / 0.3, rel=0.01)


def test_wrong_size_and_missing_geometry_are_clear_errors():
    z = true_depth()
    field = Field({"inverse_depth": relative_inverse(z).astype(np.float32)})
    with pytest.raises(NodeError, match="needs known geometry"):
        align_depth(field)
    with pytest.raises(NodeError, match="same pixel grid"):
        align_depth(field, reference=Field({"depth": np.ones((10, 10), np.float32)}))
    cameras = Cameras(K[None], np.eye(3, 4)[None], (WIDTH + 1, HEIGHT))
    with pytest.raises(NodeError, match="cameras are for 81×60"):
        align_depth(field, points=PointCloud(np.ones((20, 3), np.float32)), cameras=cameras)
