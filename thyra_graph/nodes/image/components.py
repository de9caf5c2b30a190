"""From a mask to objects: one instance per connected region."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Instances, Mask, Number

# Instances hold one full-size mask per object; refuse sizes that would exhaust memory.
MAX_INSTANCE_BYTES = 2 * 1024**3


@node(
    "image.contours", category="image",
    inputs=[Input("mask", Mask)],
    params=[
        Param("min_area", 0, min=0, help="drop regions with fewer pixels than this (specks, noise)"),
        Param("max_area", None, kind="int", min=1, help="drop regions with more pixels than this; empty = no limit"),
        Param("connectivity", 8, choices=(4, 8), help="8: pixels touching at a corner belong together; 4: only edge neighbours"),
        Param("fill_holes", False, help="fill each object's holes (a ring becomes a disc); objects inside a hole stay separate"),
    ],
    outputs=[
        Output("instances", Instances, help="one mask per region, numbered in reading order (rows top to bottom, left to right)"),
        Output("count", Number, help="how many regions were kept"),
    ],
)
def contours(mask: Mask, *, min_area: int, max_area: int | None, connectivity: int, fill_holes: bool) -> dict:
    """Split a mask into objects: every connected region becomes one instance.

    A region's holes stay holes (unless ``fill_holes``), and a region inside another's hole
    is an object of its own. ``extra`` records each object's area and centroid.

    Example: ``{type: image.contours, inputs: {mask: fill.mask}, params: {min_area: 300}}``
    """
    import cv2

    data = mask.data
    height, width = data.shape
    total, labels, stats, centroids = cv2.connectedComponentsWithStats(data.astype(np.uint8), connectivity=connectivity)
    areas = stats[:, cv2.CC_STAT_AREA]
    keep = [label for label in range(1, total)
            if areas[label] >= min_area and (max_area is None or areas[label] <= max_area)]
    keep = [keep[i] for i in reading_order(centroids[keep], stats[keep, cv2.CC_STAT_TOP] + stats[keep, cv2.CC_STAT_HEIGHT])]
    if len(keep) * height * width > MAX_INSTANCE_BYTES:
        raise NodeError(
            f"{len(keep)} regions of a {width}×{height} mask would need "
            f"{len(keep) * height * width / 1024**3:.1f} GiB of instance masks: raise min_area to "
            "drop the small specks (or clean the mask with image.morphology first)")
    masks = np.zeros((len(keep), height, width), dtype=bool)
    extra = []
    for index, label in enumerate(keep):
        x, y, w, h = (int(v) for v in stats[label, :4])
        region = labels[y:y + h, x:x + w] == label
        if fill_holes:
            from scipy import ndimage

            region = ndimage.binary_fill_holes(region)
        masks[index, y:y + h, x:x + w] = region
        extra.append({"area": int(areas[label]), "centroid": [round(float(c), 2) for c in centroids[label]]})
    return {"instances": Instances(masks, extra=extra), "count": Number(len(keep))}


def reading_order(centroids: np.ndarray, bottoms: np.ndarray) -> list[int]:
    """Indices of objects in reading order: rows from the top, each row from the left.

    An object joins the current row while its centre lies above the bottom edge of every
    object already in the row; otherwise it starts the next row.
    """
    by_height = sorted(range(len(centroids)), key=lambda i: (centroids[i][1], centroids[i][0]))
    rows: list[list[int]] = []
    row_bottom = -np.inf
    for i in by_height:
        if rows and centroids[i][1] < row_bottom:
            rows[-1].append(i)
            row_bottom = min(row_bottom, bottoms[i])
        else:
            rows.append([i])
            row_bottom = bottoms[i]
    return [i for row in rows for i in sorted(row, key=lambda i: centroids[i][0])]
