"""pointcloud.crop: keep the points inside a box, or those that per-view masks say belong to an
object (seed 000's "reconstruct only this class": SAM 2 or photogrammetry masks, projected
through the cameras)."""

from __future__ import annotations

from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.recon.camera_math import camera, project
from thyra_graph.nodes.recon.depth_views import keep_mask
from thyra_graph.types import Cameras, FrameSeries, PointCloud

from .open3d_convert import require_points, select


def votes_in_masks(points: np.ndarray, cameras: Cameras, masks: list[np.ndarray]) -> np.ndarray:
    """How many views see each point inside their mask (points behind or outside a view: no vote)."""
    width, height = cameras.image_size
    votes = np.zeros(len(points), dtype=np.int32)
    for index, mask in enumerate(masks):
        if mask.shape != (height, width):
            raise NodeError(f"pointcloud.crop: mask {index} is {mask.shape[1]}×{mask.shape[0]} but the cameras see "
                            f"{width}×{height} images; give masks of the photos the cameras belong to")
        K, extrinsic = camera(cameras, index)
        uv, z = project(points, K, extrinsic)
        # Pixel (u, v) covers [u - 0.5, u + 0.5): round to the nearest pixel centre.
        with np.errstate(invalid="ignore"):
            columns, rows = np.floor(uv[:, 0] + 0.5), np.floor(uv[:, 1] + 0.5)
            seen = (z > 0) & (columns >= 0) & (columns < width) & (rows >= 0) & (rows < height)
        hit = np.zeros(len(points), dtype=bool)
        hit[seen] = mask[rows[seen].astype(np.int64), columns[seen].astype(np.int64)]
        votes += hit
    return votes


def _box(value: Any, name: str) -> np.ndarray | None:
    if value in (None, []):
        return None
    array = np.asarray(value, dtype=np.float64) if isinstance(value, (list, tuple)) else None
    if array is None or array.shape != (3,) or not np.isfinite(array).all():
        raise NodeError(f"pointcloud.crop: '{name}' must be a corner [x, y, z] (or [] for none), got {value!r}")
    return array


@node(
    "pointcloud.crop", title="Crop cloud", category="pointcloud",
    inputs=[
        Input("cloud", PointCloud, help="the points to crop"),
        Input("cameras", Cameras, required=False, help="the cameras the masks were seen by (one per mask, same order)"),
        Input("masks", FrameSeries, required=False, help="one Mask or Instances per camera: white / object = keep"),
    ],
    params=[
        Param("box_min", [], kind="json", items="number", help="lower corner [x, y, z] of the box to keep, in the cloud's units ([] = no box)"),
        Param("box_max", [], kind="json", items="number", help="upper corner [x, y, z] of the box to keep ([] = no box)"),
        Param("min_views", 1, min=1, max=10000, help="masks: keep a point seen inside the mask by at least this many views"),
    ],
    outputs=[Output("cloud", PointCloud, help="the points kept, with all their fields")],
)
def crop(cloud: PointCloud, cameras: Cameras | None = None, masks: FrameSeries | None = None, *,
         box_min: Any, box_max: Any, min_views: int) -> PointCloud:
    """Keep the points inside a box and/or inside per-view masks (projected through the cameras).

    Example (only the car): ``{type: pointcloud.crop, inputs: {cloud: fuse.cloud, cameras:
    sfm.cameras, masks: seg.instances}, params: {min_views: 2}}``
    """
    require_points(cloud, "pointcloud.crop")
    low, high = _box(box_min, "box_min"), _box(box_max, "box_max")
    if (low is None) != (high is None):
        raise NodeError("pointcloud.crop: give both box_min and box_max (or neither)")
    if (cameras is None) != (masks is None):
        raise NodeError("pointcloud.crop: cropping by masks needs both the 'cameras' and the 'masks' input connected")
    if low is None and masks is None:
        raise NodeError("pointcloud.crop: nothing to crop by; set box_min and box_max, or connect cameras and masks")
    keep = np.ones(len(cloud), dtype=bool)
    points = cloud.points.astype(np.float64)
    if low is not None:
        if (low > high).any():
            raise NodeError(f"pointcloud.crop: box_min {low.tolist()} is above box_max {high.tolist()} on some axis")
        keep &= ((points >= low) & (points <= high)).all(axis=1)
    if masks is not None:
        if len(masks) != len(cameras):
            raise NodeError(f"pointcloud.crop: {len(masks)} masks for {len(cameras)} cameras; give one mask per camera")
        if min_views > len(cameras):
            raise NodeError(f"pointcloud.crop: min_views is {min_views} but there are only {len(cameras)} views")
        views = [keep_mask(item, f"pointcloud.crop: mask {index}") for index, (_, _, item) in enumerate(masks)]
        keep &= votes_in_masks(points, cameras, views) >= min_views
    result = select(cloud, np.flatnonzero(keep))
    require_points(result, "pointcloud.crop", what="cropped cloud")
    return result
