"""recon.fuse: depth maps from several views fused into one surface by TSDF integration (Open3D).

Each depth map is carved into a truncated signed distance volume; noise averages out where
views overlap and the zero level set is extracted as a mesh and a point cloud.
"""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.nodes.pointcloud.open3d_convert import from_open3d_cloud, from_open3d_mesh
from thyra_graph.types import Cameras, Field, FrameSeries, Image, Mesh, PointCloud

from .depth_views import DEPTH_INPUTS, gather_views


def auto_voxel(depths: list[np.ndarray], focal: float) -> float:
    """A voxel about 2 pixels' footprint at the median depth: finer than that adds only noise."""
    valid = np.concatenate([d[np.isfinite(d) & (d > 0)] for d in depths])
    if not len(valid):
        return 0.0
    return float(2.0 * np.median(valid) / focal)


@node(
    "recon.fuse", title="Fuse depth (TSDF)", category="recon", requires=("open3d",),
    inputs=list(DEPTH_INPUTS),
    params=[
        Param("view", 0, min=0, max=100000, help="with 'depth': which camera it belongs to"),
        Param("voxel_size", 0.0, min=0.0, help="TSDF voxel edge in the depth's units (0 = about two pixels' footprint at the median depth)"),
        Param("truncation", 4.0, min=1.0, max=50.0, help="signed-distance truncation, in voxels: larger fills gaps, smaller keeps thin parts"),
        Param("min_views", 1, min=1, max=1000, help="keep only surface seen by at least this many views (2+ removes single-view noise)"),
        Param("max_depth", 0.0, min=0.0, help="ignore depths beyond this, in the depth's units (0 = keep all)"),
    ],
    outputs=[
        Output("mesh", Mesh, help="the fused surface in world coordinates (the depth's units), coloured when images are given"),
        Output("cloud", PointCloud, help="points on the fused surface, with normals"),
    ],
)
def fuse(cameras: Cameras, depth: Field | None = None, depths: FrameSeries | None = None,
         image: Image | None = None, frames: FrameSeries | None = None, *, view: int, voxel_size: float,
         truncation: float, min_views: int, max_depth: float, ctx) -> dict:
    """Fuse depth maps into one mesh and cloud by TSDF integration (Open3D VoxelBlockGrid).

    Example: ``{type: recon.fuse, inputs: {cameras: sfm.cameras, depths: mvs.depths, frames:
    load.frames}, params: {voxel_size: 0.01}}``
    """
    import open3d as o3d
    import open3d.core as o3c

    views = gather_views("recon.fuse", cameras, depth, depths, image, frames, view)
    if any(v.units == "relative" for v in views):
        ctx.warn("the depth is relative (scale-free): the fused surface has the depth's arbitrary scale")
    width, height = cameras.image_size
    voxel = voxel_size or auto_voxel([v.depth for v in views], float(views[0].K[0, 0]))
    if voxel <= 0 or not any((np.nan_to_num(v.depth) > 0).any() for v in views):
        raise NodeError("recon.fuse: no depth map has a valid pixel; check the depth upstream")
    far = max_depth or 1.01 * max(float(np.nanmax(v.depth, initial=0.0)) for v in views)
    colored = all(v.colors is not None for v in views)
    grid = o3d.t.geometry.VoxelBlockGrid(
        attr_names=("tsdf", "weight", "color"), attr_dtypes=(o3c.float32, o3c.float32, o3c.float32),
        attr_channels=(1, 1, 3), voxel_size=voxel, block_resolution=8, block_count=20000, device=o3c.Device("CPU:0"))
    for position, item in enumerate(views):
        ctx.progress(position, len(views))
        depth_map = np.where(np.isfinite(item.depth) & (item.depth > 0), item.depth, 0.0).astype(np.float32)
        depth_image = o3d.t.geometry.Image(o3c.Tensor(depth_map))
        color = item.colors if colored else np.zeros((height, width, 3), dtype=np.uint8)
        color_image = o3d.t.geometry.Image(o3c.Tensor(np.ascontiguousarray(color).astype(np.float32) / 255.0))
        K = o3c.Tensor(item.K, o3c.float64)
        extrinsic = o3c.Tensor(np.vstack([item.extrinsic, [0.0, 0.0, 0.0, 1.0]]), o3c.float64)
        blocks = grid.compute_unique_block_coordinates(depth_image, K, extrinsic, 1.0, far, truncation)
        grid.integrate(blocks, depth_image, color_image, K, K, extrinsic, 1.0, far, truncation)
    ctx.progress(len(views), len(views))
    # Each view adds weight 1 to the voxels it sees; keep the surface seen by at least min_views.
    threshold = min_views - 0.5
    mesh = grid.extract_triangle_mesh(weight_threshold=threshold).to_legacy()
    if len(mesh.triangles) == 0:
        raise NodeError(f"recon.fuse: the fused surface is empty (voxel {voxel:.4g}, min_views {min_views}); the "
                        "views may not overlap, min_views may be too high, or the voxel far too large or small")
    result = from_open3d_mesh(mesh)
    # Normals come from the TSDF gradient: outward, the side the cameras saw.
    cloud = from_open3d_cloud(grid.extract_point_cloud(weight_threshold=threshold).to_legacy())
    if not colored:
        result.vertex_colors, cloud.colors = None, None
    return {"mesh": result, "cloud": cloud}
