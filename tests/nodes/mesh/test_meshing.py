"""mesh.poisson recovers a sphere; mesh.simplify keeps its shape with fewer triangles."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.mesh.poisson import poisson
from thyra_graph.nodes.mesh.simplify import simplify
from thyra_graph.types import PointCloud

RADIUS = 0.7


@pytest.fixture(scope="module")
def sphere_cloud() -> PointCloud:
    """5,000 points uniformly on a sphere of radius 0.7 centred at (1, 2, 3), outward normals."""
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(5000, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return PointCloud((directions * RADIUS + [1, 2, 3]).astype(np.float32), normals=directions.astype(np.float32))


@pytest.fixture(scope="module")
def sphere_mesh(sphere_cloud):
    return poisson(sphere_cloud, depth=7, trim=0.0, scale=1.1)


def test_poisson_recovers_the_sphere_radius_within_one_percent(sphere_mesh) -> None:
    sphere_mesh.validate()
    radii = np.linalg.norm(sphere_mesh.vertices - [1, 2, 3], axis=1)
    assert np.median(radii) == pytest.approx(RADIUS, rel=0.01)
    assert np.abs(radii - RADIUS).max() < 0.03 * RADIUS
    # Closed: every edge is shared by exactly two triangles.
    edges = np.sort(sphere_mesh.faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts == 2).all()


def test_trimming_cuts_the_surface_invented_across_a_hole(sphere_cloud) -> None:
    open_top = sphere_cloud.points[:, 2] < 3 + 0.5 * RADIUS  # a cap of the sphere has no points
    cloud = PointCloud(sphere_cloud.points[open_top], normals=sphere_cloud.normals[open_top])
    full = poisson(cloud, depth=7, trim=0.0, scale=1.1)
    trimmed = poisson(cloud, depth=7, trim=0.1, scale=1.1)
    top = 3 + 0.8 * RADIUS
    assert (full.vertices[:, 2] > top).any()  # Poisson closed the hole
    assert (trimmed.vertices[:, 2] > top).sum() < 0.2 * (full.vertices[:, 2] > top).sum()


def test_poisson_needs_normals() -> None:
    cloud = PointCloud(np.random.default_rng(0).random((50, 3)).astype(np.float32))
    with pytest.raises(NodeError, match="put a pointcloud.normals node before"):
        poisson(cloud)


def test_simplify_reaches_the_target_and_keeps_the_sphere(sphere_mesh) -> None:
    smaller = simplify(sphere_mesh, triangles=500)
    assert 400 <= len(smaller.faces) <= 500
    radii = np.linalg.norm(smaller.vertices - [1, 2, 3], axis=1)
    assert np.median(radii) == pytest.approx(RADIUS, rel=0.02)
    assert simplify(smaller, triangles=10_000) is smaller
