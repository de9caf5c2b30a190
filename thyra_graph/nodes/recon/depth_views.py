"""The per-view inputs the depth nodes share: depth maps (one Field, or a series of them, one
per camera), their cameras, and optional colour images and masks, checked against each other."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError
from thyra_graph.types import Cameras, Field, FrameSeries, Image, Instances, Mask

from .camera_math import camera

DEPTH_INPUTS = (
    Input("cameras", Cameras, help="the cameras the depth maps were seen from (world-to-camera, OpenCV axes)"),
    Input("depth", Field, required=False, help="one depth map (layer 'depth', camera-space z) for the camera 'view'"),
    Input("depths", FrameSeries, required=False, help="one depth map per camera, in the cameras' order (e.g. recon.mvs depths)"),
    Input("image", Image, required=False, help="colours for 'depth': the image it was measured on"),
    Input("frames", FrameSeries, required=False, help="colours for 'depths': one image per camera"),
)


@dataclass
class DepthView:
    """One view ready for unprojection: its camera, H×W depth (NaN/≤0 = none), optional colours."""

    index: int
    K: np.ndarray
    extrinsic: np.ndarray
    depth: np.ndarray
    colors: np.ndarray | None
    units: str


def depth_layer(field: Field, where: str) -> tuple[np.ndarray, str]:
    """The depth array of a Field (its 'depth' layer, or its only layer) and its units."""
    if "depth" in field.layers:
        layer = field["depth"]
    elif len(field.layers) == 1:
        layer = next(iter(field.layers.values()))
    else:
        raise NodeError(f"{where} has layers {', '.join(field.layers)} but no 'depth' layer; connect a depth map")
    return np.asarray(layer, dtype=np.float32), str(field.meta.get("units", "unknown"))


def _items(series: FrameSeries | None, expected: type, name: str, node: str) -> list | None:
    if series is None:
        return None
    items = [item for _, _, item in series]
    for position, item in enumerate(items):
        if not isinstance(item, expected):
            raise NodeError(f"{node}: item {position} of '{name}' is a {type(item).__name__}, not a {expected.__name__}")
    return items


def gather_views(node: str, cameras: Cameras, depth: Field | None, depths: FrameSeries | None,
                 image: Image | None, frames: FrameSeries | None, view: int) -> list[DepthView]:
    """Pair depth maps with their cameras and colours; every size mismatch is a NodeError."""
    if (depth is None) == (depths is None):
        raise NodeError(f"{node}: connect either 'depth' (one map, for camera 'view') or 'depths' (one per camera)")
    if depth is not None:
        if not 0 <= view < len(cameras):
            raise NodeError(f"{node}: view is {view} but the cameras hold {len(cameras)} (0 to {len(cameras) - 1})")
        fields, indices = [depth], [view]
        colors = None if image is None else [image]
    else:
        fields = _items(depths, Field, "depths", node)
        if len(fields) != len(cameras):
            raise NodeError(f"{node}: {len(fields)} depth maps for {len(cameras)} cameras; give one per camera")
        indices = list(range(len(fields)))
        colors = _items(frames, Image, "frames", node)
        if colors is not None and len(colors) != len(fields):
            raise NodeError(f"{node}: {len(colors)} frames for {len(fields)} depth maps; give one image per view")
    width, height = cameras.image_size
    views = []
    for position, (field, index) in enumerate(zip(fields, indices)):
        array, units = depth_layer(field, f"{node}: depth map {position}")
        if array.shape != (height, width):
            raise NodeError(f"{node}: depth map {position} is {array.shape[1]}×{array.shape[0]} but camera {index} "
                            f"sees {width}×{height} images; give depth on the camera's own pixel grid (or scale "
                            "the cameras with the images)")
        rgb = None
        if colors is not None:
            rgb = colors[position].as_uint8_rgb()
            if rgb.shape[:2] != (height, width):
                raise NodeError(f"{node}: colour image {position} is {rgb.shape[1]}×{rgb.shape[0]} but its depth map is "
                                f"{width}×{height}; give the image the depth was measured on")
        K, extrinsic = camera(cameras, index)
        views.append(DepthView(index, K, extrinsic, array, rgb, units))
    return views


def keep_mask(item: object, where: str) -> np.ndarray:
    """The H×W bool mask of one view: a Mask as is, Instances as the union of their objects."""
    if isinstance(item, Mask):
        return np.asarray(item.data, dtype=bool)
    if isinstance(item, Instances):
        return np.asarray(item.masks, dtype=bool).any(axis=0) if len(item) else np.zeros(item.shape, dtype=bool)
    raise NodeError(f"{where} is a {type(item).__name__}; give a Mask or Instances per view")


def view_masks(node: str, mask: Mask | None, masks: FrameSeries | None, views: list[DepthView]) -> list[np.ndarray | None]:
    """One optional H×W keep-mask per view (a Mask for one view, a series of Mask/Instances for all)."""
    if mask is not None and masks is not None:
        raise NodeError(f"{node}: connect 'mask' (one view) or 'masks' (one per view), not both")
    if mask is not None:
        if len(views) != 1:
            raise NodeError(f"{node}: one 'mask' for {len(views)} views; connect 'masks' with one per view")
        items = [mask]
    elif masks is not None:
        items = [item for _, _, item in masks]
        if len(items) != len(views):
            raise NodeError(f"{node}: {len(items)} masks for {len(views)} views; give one per view")
    else:
        return [None] * len(views)
    result = []
    for position, (item, view) in enumerate(zip(items, views)):
        data = keep_mask(item, f"{node}: mask {position}")
        if data.shape != view.depth.shape:
            raise NodeError(f"{node}: mask {position} is {data.shape[1]}×{data.shape[0]} but its depth map is "
                            f"{view.depth.shape[1]}×{view.depth.shape[0]}")
        result.append(data)
    return result
