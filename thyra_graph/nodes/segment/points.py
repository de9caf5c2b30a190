"""Candidate prompt points: a regular grid, or one point per object found by thresholding.

Coordinates follow SAM's convention (and Points'): x is the column, y the row, and pixel
(row r, column c) has its centre at (c, r). A point is looked up in a mask at the pixel
nearest to it (:func:`pixel_of`).
"""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Mask, Points

from ..image.pixels import require_same_size

CONTOUR_METHODS = ("otsu", "adaptive")
KEEP_CHOICES = ("inside", "outside")


# -- the grid ---------------------------------------------------------------------------------
def _axis(length: int, *, spacing: float, per_side: int, margin: float) -> np.ndarray:
    span = length - 2.0 * margin
    if span <= 0:
        return np.zeros(0)
    # Each point sits at the centre of its own cell (SAM's point grid); "- 0.5" turns a
    # position measured from the image edge into pixel-centre coordinates.
    if spacing > 0:
        count = max(1, int(np.floor(span / spacing)))
        # The cells are centred in the span so the leftover is shared by both ends.
        start = margin + (span - count * spacing) / 2.0 + spacing / 2.0 - 0.5
        return start + spacing * np.arange(count)
    return margin + (np.arange(per_side) + 0.5) * span / per_side - 0.5


def grid_points(height: int, width: int, *, spacing: float = 0, per_side: int = 16,
                margin: float = 0) -> np.ndarray:
    """N×2 (x, y) points on a regular grid over an image, row by row from the top left.

    ``spacing`` > 0 puts points that many pixels apart, the grid centred in the image;
    otherwise ``per_side`` points go across each side at the centres of equal cells.
    ``margin`` pixels along every edge are left free.
    """
    if spacing <= 0 and per_side < 1:
        raise ValueError("give spacing > 0 or per_side >= 1")
    xs = _axis(width, spacing=spacing, per_side=per_side, margin=margin)
    ys = _axis(height, spacing=spacing, per_side=per_side, margin=margin)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float64)


def pixel_of(xy: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns of the pixels nearest to points (x, y), and which points lie in the image."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    cols = np.floor(xy[:, 0] + 0.5).astype(np.int64)
    rows = np.floor(xy[:, 1] + 0.5).astype(np.int64)
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return np.clip(rows, 0, shape[0] - 1), np.clip(cols, 0, shape[1] - 1), inside


def points_in_mask(xy: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Which points fall on a True pixel of ``mask`` (points outside the image never do)."""
    rows, cols, inside = pixel_of(xy, mask.shape)
    return inside & mask[rows, cols]


# -- points from contours ---------------------------------------------------------------------
def foreground_of(data: np.ndarray, *, method: str = "otsu", block_size: int = 51, offset: float = 0.0,
                  invert: bool = False) -> np.ndarray:
    """H×W bool foreground of any image (grey, RGB, 8/16-bit, float) by Otsu or adaptive threshold.

    Images that are not 8-bit are stretched to their own min..max first, so a dim 16-bit
    microscope image splits as well as an 8-bit one.
    """
    from thyra_graph.nodes.count.intensity import gray_float
    from thyra_graph.nodes.image.thresholding import threshold

    if method not in CONTOUR_METHODS:
        raise NodeError(f"contour threshold method must be one of {', '.join(CONTOUR_METHODS)}, got {method!r}")
    if data.dtype == np.uint8:
        grey = data
    else:
        grey, _ = gray_float(data)
        low, high = float(grey.min()), float(grey.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        grey = ((grey - low) * scale + 0.5).astype(np.uint8)
    mask = threshold(Image(grey), method=method, block_size=block_size, offset=offset, invert=invert)
    return mask.data


def contour_points(mask: np.ndarray, *, min_area: int = 0, max_points: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One point per connected foreground region of ``mask``, largest region first.

    Returns N×2 (x, y) points and the N region areas (pixels). The point is the region's
    centroid when that pixel belongs to the region; for rings, crescents and other shapes
    whose centroid falls outside, it is the region pixel farthest from the region's border.
    Regions smaller than ``min_area`` are skipped; ``max_points`` > 0 keeps only the largest.
    Regions are traced with 8-connectivity, as contours are.
    """
    import cv2

    mask = np.ascontiguousarray(mask, dtype=np.uint8)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.int64)
    ids = np.arange(1, count)
    keep = areas >= max(min_area, 1)
    ids, areas = ids[keep], areas[keep]
    order = np.argsort(-areas, kind="stable")  # ties keep raster order: deterministic
    if max_points > 0:
        order = order[:max_points]
    points = np.zeros((len(order), 2), dtype=np.float64)
    for row, index in enumerate(order):
        label = ids[index]
        cx, cy = centroids[label]
        c, r = int(np.floor(cx + 0.5)), int(np.floor(cy + 0.5))
        if labels[r, c] == label:
            points[row] = (cx, cy)
            continue
        x, y, w, h = stats[label, :4]
        # Zero padding makes the box edge count as border, like the image edge.
        region = np.pad((labels[y:y + h, x:x + w] == label).astype(np.uint8), 1)
        distance = cv2.distanceTransform(region, cv2.DIST_L2, 5)
        r, c = np.unravel_index(int(np.argmax(distance)), distance.shape)
        points[row] = (x + c - 1, y + r - 1)
    return points, areas[order]


def _size_of(image: Image | None, mask: Mask | None, width: int, height: int) -> tuple[int, int]:
    if image is not None:
        return image.height, image.width
    if mask is not None:
        return int(mask.data.shape[0]), int(mask.data.shape[1])
    if width > 0 and height > 0:
        return height, width
    raise NodeError("points.grid needs to know the image size: connect an image (or a mask), "
                    "or set the width and height parameters")


@node(
    "points.grid", title="Grid points", category="points",
    inputs=[
        Input("image", Image, required=False, help="the image to cover (only its size is used)"),
        Input("mask", Mask, required=False, help="keep only the points inside (or outside) this mask"),
    ],
    params=[
        Param("per_side", 16, min=1, max=512, help="points across each side (used when spacing is 0)"),
        Param("spacing", 0, min=0, max=100000, help="distance between points in pixels; 0 = use per_side"),
        Param("margin", 0, min=0, max=100000, help="pixels left free along every edge"),
        Param("keep", "inside", choices=KEEP_CHOICES, help="with a mask: keep the points inside it, or outside it"),
        Param("width", 0, min=0, max=1000000, help="image width in pixels when no image is connected"),
        Param("height", 0, min=0, max=1000000, help="image height in pixels when no image is connected"),
    ],
    outputs=[Output("points", Points, help="positive points, row by row from the top left")],
)
def grid(image: Image | None = None, mask: Mask | None = None, *, per_side: int, spacing: int, margin: int,
         keep: str, width: int, height: int) -> Points:
    """Place prompt points on a regular grid over an image.

    The grid SAM's automatic mode uses: ``per_side`` × ``per_side`` points at the centres of
    equal cells, or points ``spacing`` pixels apart. With a mask connected only the points
    on it (or off it, ``keep: outside``) are kept, e.g. to prompt only the foreground.

    Example: ``{type: points.grid, inputs: {image: load.image}, params: {spacing: 64}}``
    """
    if image is not None and mask is not None:
        require_same_size(image, mask, name="mask")
    rows, cols = _size_of(image, mask, width, height)
    xy = grid_points(rows, cols, spacing=spacing, per_side=per_side, margin=margin)
    if mask is not None:
        on = points_in_mask(xy, mask.data)
        xy = xy[on if keep == "inside" else ~on]
    return Points(xy)


@node(
    "points.from_contours", title="Points from contours", category="points",
    inputs=[
        Input("image", Image),
        Input("mask", Mask, required=False, help="foreground to take the regions from instead of thresholding the image"),
    ],
    params=[
        Param("method", "otsu", choices=CONTOUR_METHODS,
              help="otsu: one grey level for the whole image; adaptive: compare each pixel with its neighbourhood"),
        Param("block_size", 51, min=3, max=2001, step=2, when={"method": "adaptive"}, help="adaptive: odd neighbourhood width in pixels (larger than the objects)"),
        Param("offset", 0.0, min=-255, max=255, when={"method": "adaptive"}, help="adaptive: how much brighter than its neighbourhood a pixel must be"),
        Param("invert", False, help="dark objects on a light background"),
        Param("min_area", 50, min=0, max=1e9, help="ignore regions smaller than this many pixels"),
        Param("max_points", 50, min=0, max=100000, help="keep the largest regions only; 0 = all"),
    ],
    outputs=[Output("points", Points, help="one positive point per region, largest region first; scales hold the equivalent radius")],
)
def from_contours(image: Image, mask: Mask | None = None, *, method: str, block_size: int, offset: float,
                  invert: bool, min_area: int, max_points: int) -> Points:
    """One prompt point per object outline, largest object first.

    The image is thresholded (or the connected mask used), each connected region's outline
    gives one point: its centroid, or for a ring or crescent whose centroid falls outside it
    the point deepest inside it. Prompting large regions first is what the sweeping analysis
    (segment.sam2_auto) relies on.

    Example: ``{type: points.from_contours, inputs: {image: load.image}, params: {min_area: 200, max_points: 20}}``
    """
    if mask is not None:
        require_same_size(image, mask, name="mask")
        foreground = mask.data
    else:
        if block_size % 2 == 0:
            raise NodeError(f"block_size must be odd (a neighbourhood centred on the pixel), got {block_size}: use {block_size + 1}")
        foreground = foreground_of(image.data, method=method, block_size=block_size, offset=offset, invert=invert)
    xy, areas = contour_points(foreground, min_area=min_area, max_points=max_points)
    return Points(xy, scales=np.sqrt(areas / np.pi))
