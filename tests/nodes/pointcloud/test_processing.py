"""pointcloud.downsample, clean, normals on clouds with known structure."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.pointcloud.processing import clean, downsample, normals
from thyra_graph.types import PointCloud


def plane(n: int = 2000, seed: int = 0) -> PointCloud:
    """Points on z = 0 within [0, 1]², coloured by x."""
    rng = np.random.default_rng(seed)
    points = np.column_stack([rng.random((n, 2)), np.zeros(n)]).astype(np.float32)
    colors = np.repeat((points[:, :1] * 255).astype(np.uint8), 3, axis=1)
    return PointCloud(points, colors, confidence=np.linspace(0, 1, n, dtype=np.float32))


def test_downsample_leaves_one_point_per_voxel() -> None:
    source = plane()
    cloud = downsample(source, voxel_size=0.1)
    # Open3D's grid starts half a voxel below the lowest point: 11×11 cells over [0, 1]².
    assert len(cloud) == 121
    origin = source.points.min(axis=0) - 0.05
    cells = np.floor((cloud.points[:, :2] - origin[:2]) / 0.1)
    assert len(np.unique(cells, axis=0)) == len(cloud)
    assert cloud.colors is not None and cloud.colors.dtype == np.uint8


def test_statistical_cleaning_drops_far_strays_and_keeps_fields() -> None:
    base = plane()
    strays = np.array([[5, 5, 5], [-4, 2, 9], [0.5, 0.5, 3]], dtype=np.float32)
    cloud = PointCloud(np.vstack([base.points, strays]), np.vstack([base.colors, np.zeros((3, 3), np.uint8)]),
                       confidence=np.concatenate([base.confidence, [9, 9, 9]]).astype(np.float32))
    kept = clean(cloud, method="statistical", neighbours=20, std_ratio=2.0)
    assert not np.isin(strays, kept.points).all(axis=1).any()
    assert len(kept) > 0.9 * len(base)
    assert len(kept.confidence) == len(kept) and (kept.confidence <= 1).all()


def test_radius_cleaning_and_an_empty_result_is_refused() -> None:
    cloud = PointCloud(np.array([[0, 0, 0], [0.01, 0, 0], [0.02, 0, 0], [3, 3, 3]], dtype=np.float32))
    kept = clean(cloud, method="radius", neighbours=2, radius=0.05)
    assert len(kept) == 3
    with pytest.raises(NodeError, match="cleaned cloud has 0 points"):
        clean(cloud, method="radius", neighbours=10, radius=0.05)


def test_normals_of_a_plane_face_the_given_point() -> None:
    cloud = normals(plane(), radius=0.1, max_neighbours=30, orient="towards", towards=[0.5, 0.5, -2.0])
    assert np.abs(cloud.normals[:, 2]) == pytest.approx(1.0, abs=1e-3)
    assert (cloud.normals[:, 2] < 0).all()
    assert np.array_equal(cloud.points, plane().points)


def test_normals_need_a_point_to_face() -> None:
    with pytest.raises(NodeError, match="'towards' must be a point"):
        normals(plane(), radius=0.1, max_neighbours=30, orient="towards", towards=[1, 2])
