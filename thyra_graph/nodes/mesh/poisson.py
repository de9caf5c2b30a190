"""mesh.poisson: a watertight surface through an oriented point cloud (screened Poisson, Open3D),
trimmed where the points gave it little support."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.pointcloud.open3d_convert import from_open3d_mesh, require_points, to_open3d_cloud
from thyra_graph.types import Mesh, PointCloud


@node(
    "mesh.poisson", title="Poisson mesh", category="mesh", requires=("open3d",),
    inputs=[Input("cloud", PointCloud, help="points with normals facing outwards / towards the cameras (pointcloud.normals)")],
    params=[
        Param("depth", 8, min=4, max=12, help="octree depth: detail grows as 2^depth cells across the scene (8 fine for most, 10+ slow)"),
        Param("trim", 0.05, min=0.0, max=0.99, help="drop the vertices whose point support (density) is in this lowest fraction: cuts the surface Poisson invents across holes"),
        Param("scale", 1.1, min=1.0, max=3.0, help="the reconstruction box as a multiple of the cloud's bounding box"),
    ],
    outputs=[Output("mesh", Mesh, help="the surface, in the cloud's units, coloured when the cloud is")],
)
def poisson(cloud: PointCloud, *, depth: int, trim: float, scale: float, ctx) -> Mesh:
    """Mesh an oriented point cloud by screened Poisson reconstruction, trimming weak parts.

    Example: ``{type: mesh.poisson, inputs: {cloud: normals.cloud}, params: {depth: 8, trim: 0.05}}``
    """
    import open3d as o3d

    require_points(cloud, "mesh.poisson", at_least=10)
    if cloud.normals is None:
        raise NodeError("mesh.poisson: the cloud has no normals, and Poisson needs them to tell inside from "
                        "outside; put a pointcloud.normals node before this one")
    geometry = to_open3d_cloud(cloud)
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        mesh, densities = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(
            geometry, depth=depth, scale=scale, linear_fit=False)
    densities = np.asarray(densities)
    if trim > 0 and len(densities):
        mesh.remove_vertices_by_mask(densities < np.quantile(densities, trim))
    mesh.remove_unreferenced_vertices()
    result = from_open3d_mesh(mesh)
    if len(result.faces) == 0:
        raise NodeError("mesh.poisson: the surface came out empty; lower 'trim', or check that the normals are "
                        "consistent (pointcloud.normals with orient towards the cameras)")
    ctx.log.info("Poisson surface: %d vertices, %d faces", len(result.vertices), len(result.faces))
    return result
