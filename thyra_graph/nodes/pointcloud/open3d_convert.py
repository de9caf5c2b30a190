"""Conversions between Thyra's PointCloud / Mesh and Open3D's geometries (open3d imported lazily).

Colours travel as 0-1 floats in Open3D and as uint8 in Thyra; confidence has no Open3D field,
so nodes that keep points one-for-one carry it across by index (:func:`select`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from thyra_graph.engine.declaration import NodeError
from thyra_graph.types import Mesh, PointCloud


def to_open3d_cloud(cloud: PointCloud) -> Any:
    """An ``open3d.geometry.PointCloud`` with the points, colours and normals of ``cloud``."""
    import open3d as o3d

    result = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(cloud.points, dtype=np.float64)))
    if cloud.colors is not None:
        result.colors = o3d.utility.Vector3dVector(cloud.colors.astype(np.float64) / 255.0)
    if cloud.normals is not None:
        result.normals = o3d.utility.Vector3dVector(cloud.normals.astype(np.float64))
    return result


def from_open3d_cloud(geometry: Any) -> PointCloud:
    """A PointCloud from an Open3D point cloud (colours back to uint8)."""
    colors = np.asarray(geometry.colors) if geometry.has_colors() else None
    return PointCloud(
        np.asarray(geometry.points, dtype=np.float32),
        None if colors is None else to_uint8(colors),
        np.asarray(geometry.normals, dtype=np.float32) if geometry.has_normals() else None)


def to_open3d_mesh(mesh: Mesh) -> Any:
    """An ``open3d.geometry.TriangleMesh`` with the vertices, faces and colours of ``mesh``."""
    import open3d as o3d

    result = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(mesh.vertices, dtype=np.float64)),
                                       o3d.utility.Vector3iVector(np.asarray(mesh.faces, dtype=np.int32)))
    if mesh.vertex_colors is not None:
        result.vertex_colors = o3d.utility.Vector3dVector(mesh.vertex_colors.astype(np.float64) / 255.0)
    return result


def from_open3d_mesh(geometry: Any) -> Mesh:
    """A Mesh from an Open3D triangle mesh (colours back to uint8)."""
    colors = np.asarray(geometry.vertex_colors) if geometry.has_vertex_colors() else None
    return Mesh(np.asarray(geometry.vertices, dtype=np.float32), np.asarray(geometry.triangles, dtype=np.int32),
                None if colors is None else to_uint8(colors))


def to_uint8(colors: np.ndarray) -> np.ndarray:
    """0-1 float colours as 0-255 uint8."""
    return (np.clip(colors, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def select(cloud: PointCloud, indices: np.ndarray) -> PointCloud:
    """The points of ``cloud`` at ``indices``, with every per-point field kept."""
    indices = np.asarray(indices, dtype=np.int64)
    pick = (lambda a: None if a is None else a[indices])
    return PointCloud(cloud.points[indices], pick(cloud.colors), pick(cloud.normals), pick(cloud.confidence))


def require_points(cloud: PointCloud, node: str, *, what: str = "input cloud", at_least: int = 1) -> None:
    """Refuse a cloud with too few points, naming the node and what to change upstream."""
    if len(cloud) < at_least:
        raise NodeError(f"{node}: the {what} has {len(cloud)} points but at least {at_least} are needed; "
                        "loosen the filters before this node (a smaller voxel, a larger crop, fewer "
                        "outlier neighbours) or check that the depth upstream is valid")
