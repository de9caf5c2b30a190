"""io.load_ply: a point cloud or mesh from a PLY file (Open3D reader, size-bounded)."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.nodes.pointcloud.open3d_convert import from_open3d_cloud, from_open3d_mesh
from thyra_graph.types import Mesh, PointCloud

from .paths import existing_file


@node(
    "io.load_ply", title="Load PLY", category="io", requires=("open3d",),
    params=[
        Param("path", "model.ply", kind="path", io="read", help="the .ply file to read (points, or a mesh with faces)"),
        Param("max_size_mb", 2048, min=1, max=1_000_000, help="refuse files larger than this many megabytes (a guard against loading a huge file by mistake)"),
    ],
    outputs=[
        Output("cloud", PointCloud, help="the vertices as points, with their colours and normals when the file has them"),
        Output("mesh", Mesh, help="the vertices and faces (no faces when the file holds only points)"),
    ],
)
def load_ply(*, path: str, max_size_mb: int) -> dict:
    """Read a PLY file (ASCII or binary) as a point cloud and, when it has faces, a mesh.

    Example: ``{type: io.load_ply, params: {path: scans/room.ply}}``
    """
    import open3d as o3d

    file = existing_file(path, what="PLY")
    if file.suffix.lower() != ".ply":
        raise NodeError(f"io.load_ply: {str(file)!r} is not a .ply file; convert it, or use the reader for its format")
    size_mb = file.stat().st_size / 2 ** 20
    if size_mb > max_size_mb:
        raise NodeError(f"io.load_ply: {str(file)!r} is {size_mb:.0f} MB, above max_size_mb ({max_size_mb}); "
                        "raise max_size_mb if you mean to load it")
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        mesh = o3d.io.read_triangle_mesh(str(file))
        points = o3d.io.read_point_cloud(str(file))
    if len(points.points) == 0:
        raise NodeError(f"io.load_ply: {str(file)!r} holds no vertices, or is not a valid PLY file")
    cloud = from_open3d_cloud(points)
    surface = from_open3d_mesh(mesh) if len(mesh.triangles) else Mesh(cloud.points, np.zeros((0, 3), np.int32), cloud.colors)
    return {"cloud": cloud, "mesh": surface}
