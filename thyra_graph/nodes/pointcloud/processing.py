"""pointcloud.downsample, pointcloud.clean, pointcloud.normals: the usual Open3D clean-up
between a raw cloud (stereo, SfM, fused depth) and a mesh."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import PointCloud

from .open3d_convert import from_open3d_cloud, require_points, select, to_open3d_cloud

CLOUD_IN = Input("cloud", PointCloud, help="the points to process")


@node(
    "pointcloud.downsample", title="Downsample cloud", category="pointcloud", requires=("open3d",),
    inputs=[CLOUD_IN],
    params=[Param("voxel_size", 0.01, min=1e-6, help="edge of the voxel grid, in the cloud's units (metres for stereo); one point per occupied voxel")],
    outputs=[Output("cloud", PointCloud, help="one point per voxel: the mean of its points, colours and normals")],
)
def downsample(cloud: PointCloud, *, voxel_size: float) -> PointCloud:
    """Thin a cloud to one averaged point per voxel (Open3D voxel_down_sample).

    Confidence values are dropped (a voxel mixes points of different confidence).

    Example: ``{type: pointcloud.downsample, inputs: {cloud: points.cloud}, params: {voxel_size: 0.005}}``
    """
    require_points(cloud, "pointcloud.downsample")
    result = from_open3d_cloud(to_open3d_cloud(cloud).voxel_down_sample(voxel_size))
    require_points(result, "pointcloud.downsample", what="downsampled cloud")
    return result


@node(
    "pointcloud.clean", title="Clean cloud", category="pointcloud", requires=("open3d",),
    inputs=[CLOUD_IN],
    params=[
        Param("method", "statistical", choices=("statistical", "radius"), help="statistical: far from its neighbours compared with the average; radius: too few neighbours within a radius"),
        Param("neighbours", 20, min=1, max=1000, help="statistical: neighbours averaged over; radius: neighbours a point needs inside the radius"),
        Param("std_ratio", 2.0, min=0.01, max=100.0, when={"method": "statistical"}, help="statistical: drop points farther than mean + std_ratio × std of the neighbour distances"),
        Param("radius", 0.05, min=1e-9, when={"method": "radius"}, help="radius: the neighbourhood radius, in the cloud's units"),
    ],
    outputs=[Output("cloud", PointCloud, help="the points kept, with all their fields")],
)
def clean(cloud: PointCloud, *, method: str, neighbours: int, std_ratio: float, radius: float, ctx) -> PointCloud:
    """Remove stray points (Open3D statistical or radius outlier removal).

    Example: ``{type: pointcloud.clean, inputs: {cloud: points.cloud}, params: {method: statistical, neighbours: 20, std_ratio: 2.0}}``
    """
    require_points(cloud, "pointcloud.clean")
    geometry = to_open3d_cloud(cloud)
    if method == "statistical":
        _, kept = geometry.remove_statistical_outlier(nb_neighbors=neighbours, std_ratio=std_ratio)
    else:
        _, kept = geometry.remove_radius_outlier(nb_points=neighbours, radius=radius)
    result = select(cloud, np.asarray(kept, dtype=np.int64))
    require_points(result, "pointcloud.clean", what="cleaned cloud")
    ctx.log.info("kept %d of %d points", len(result), len(cloud))
    return result


@node(
    "pointcloud.normals", title="Cloud normals", category="pointcloud", requires=("open3d",),
    inputs=[CLOUD_IN],
    params=[
        Param("radius", 0.05, min=1e-9, help="neighbourhood radius for fitting each point's plane, in the cloud's units"),
        Param("max_neighbours", 30, min=3, max=1000, help="at most this many neighbours per fit"),
        Param("orient", "towards", choices=("towards", "consistent", "none"),
              help="towards: normals face the point 'towards' (a camera); consistent: propagated over the surface (closed objects); none: sign as fitted"),
        Param("towards", [0.0, 0.0, 0.0], kind="json", items="number", when={"orient": "towards"}, help="orient=towards: the [x, y, z] the normals face, e.g. the camera centre (stereo: the origin)"),
    ],
    outputs=[Output("cloud", PointCloud, help="the same points with unit normals")],
)
def normals(cloud: PointCloud, *, radius: float, max_neighbours: int, orient: str, towards: list) -> PointCloud:
    """Estimate a unit normal per point from its neighbours (Open3D), oriented for meshing.

    Example: ``{type: pointcloud.normals, inputs: {cloud: down.cloud}, params: {radius: 0.02, orient: towards, towards: [0, 0, 0]}}``
    """
    import open3d as o3d

    require_points(cloud, "pointcloud.normals", at_least=3)
    target = np.asarray(towards, dtype=np.float64) if isinstance(towards, (list, tuple)) else None
    if orient == "towards" and (target is None or target.shape != (3,) or not np.isfinite(target).all()):
        raise NodeError(f"pointcloud.normals: 'towards' must be a point [x, y, z], got {towards!r}")
    geometry = to_open3d_cloud(cloud)
    geometry.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=radius, max_nn=max_neighbours))
    if orient == "towards":
        geometry.orient_normals_towards_camera_location(target)
    elif orient == "consistent":
        geometry.orient_normals_consistent_tangent_plane(min(max_neighbours, len(cloud) - 1))
    return PointCloud(cloud.points, cloud.colors, np.asarray(geometry.normals, dtype=np.float32), cloud.confidence)
