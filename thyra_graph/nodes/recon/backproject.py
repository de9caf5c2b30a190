"""recon.backproject: depth maps + cameras → one world-space PointCloud (coloured, masked)."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, Field, FrameSeries, Image, Mask, PointCloud

from .camera_math import depth_to_points
from .depth_views import DEPTH_INPUTS, gather_views, view_masks


@node(
    "recon.backproject", title="Back-project depth", category="recon",
    inputs=[
        *DEPTH_INPUTS,
        Input("mask", Mask, required=False, help="keep only these pixels of 'depth' (e.g. stereo 'valid', or an object)"),
        Input("masks", FrameSeries, required=False, help="one Mask or Instances per view for 'depths': keep only their pixels"),
    ],
    params=[
        Param("view", 0, min=0, max=100000, help="with 'depth': which camera it belongs to (stereo: 0, the left one)"),
        Param("stride", 1, min=1, max=64, help="use every n-th pixel along rows and columns (n² fewer points)"),
        Param("max_depth", 0.0, min=0.0, help="drop pixels farther than this, in the depth's units (0 = keep all)"),
    ],
    outputs=[Output("cloud", PointCloud, help="the points in world coordinates, in the depth's units (metres for metric depth), coloured when images are given")],
)
def backproject(cameras: Cameras, depth: Field | None = None, depths: FrameSeries | None = None,
                image: Image | None = None, frames: FrameSeries | None = None, mask: Mask | None = None,
                masks: FrameSeries | None = None, *, view: int, stride: int, max_depth: float, ctx) -> PointCloud:
    """Lift every pixel with a depth into 3D through its camera, all views into one cloud.

    Example (stereo): ``{type: recon.backproject, inputs: {cameras: stereo.cameras, depth:
    stereo.depth, image: left.image}, params: {stride: 2}}``
    """
    views = gather_views("recon.backproject", cameras, depth, depths, image, frames, view)
    keeps = view_masks("recon.backproject", mask, masks, views)
    if len({v.units for v in views}) > 1:
        raise NodeError(f"recon.backproject: the depth maps mix units ({', '.join(sorted({v.units for v in views}))}); "
                        "align relative depth to metric (recon.align_depth) before merging views")
    parts, colors = [], []
    for position, (item, keep) in enumerate(zip(views, keeps)):
        ctx.progress(position, len(views))
        grid = np.zeros(item.depth.shape, dtype=bool)
        grid[::stride, ::stride] = True
        if keep is not None:
            grid &= keep
        if max_depth > 0:
            grid &= item.depth <= max_depth
        points, flat = depth_to_points(item.depth, item.K, item.extrinsic, mask=grid)
        parts.append(points.astype(np.float32))
        if item.colors is not None:
            colors.append(item.colors.reshape(-1, 3)[flat])
    ctx.progress(len(views), len(views))
    points = np.concatenate(parts) if parts else np.zeros((0, 3), np.float32)
    if len(points) == 0:
        raise NodeError("recon.backproject: no pixel has a valid depth (inside the masks and max_depth); check the "
                        "depth maps upstream, or widen the masks / raise max_depth")
    return PointCloud(points, np.concatenate(colors) if len(colors) == len(parts) else None)
