"""recon.fuse: TSDF fusion of exact sphere depth maps gives the sphere."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.fuse import fuse
from thyra_graph.types import Field, FrameSeries

from .conftest import RADIUS


def test_fused_sphere_is_within_a_voxel_of_the_truth(sphere_views) -> None:
    cameras, depths, frames = sphere_views
    out = fuse(cameras, depths=depths, frames=frames, voxel_size=0.02)
    mesh, cloud = out["mesh"], out["cloud"]
    mesh.validate()
    cloud.validate()
    radii = np.linalg.norm(mesh.vertices, axis=1)
    assert np.median(np.abs(radii - RADIUS)) < 0.01
    assert np.percentile(np.abs(radii - RADIUS), 95) < 0.02  # one voxel
    assert np.abs(radii - RADIUS).max() < 0.06  # grazing views at the silhouettes
    # The whole sphere is covered: vertices in every direction.
    directions = mesh.vertices / radii[:, None]
    for axis in np.eye(3):
        assert (directions @ axis).max() > 0.95 and (directions @ axis).min() < -0.95
    assert mesh.vertex_colors is not None and cloud.normals is not None
    assert np.linalg.norm(cloud.points, axis=1) == pytest.approx(RADIUS, abs=0.06)
    outward = np.einsum("ij,ij->i", cloud.normals, cloud.points)
    assert (outward > 0).mean() > 0.99


def test_automatic_voxel_follows_the_pixel_footprint(sphere_views) -> None:
    cameras, depths, _ = sphere_views
    mesh = fuse(cameras, depths=depths)["mesh"]
    assert mesh.vertex_colors is None
    radii = np.linalg.norm(mesh.vertices, axis=1)
    assert np.median(np.abs(radii - RADIUS)) < 0.02


def test_empty_depth_is_refused(sphere_views) -> None:
    cameras, _, _ = sphere_views
    nothing = Field({"depth": np.full((72, 96), np.nan, np.float32)}, meta={"units": "metres"})
    series = FrameSeries.from_items((i, float(i), nothing) for i in range(len(cameras)))
    with pytest.raises(NodeError, match="no depth map has a valid pixel"):
        fuse(cameras, depths=series)
