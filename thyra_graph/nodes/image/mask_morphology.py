"""Cleaning up masks: opening, closing, erosion, dilation, hole filling."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.types import Mask

OPERATIONS = ("open", "close", "erode", "dilate", "fill_holes")


@node(
    "image.morphology", category="image",
    inputs=[Input("mask", Mask)],
    params=[
        Param("operation", "open", choices=OPERATIONS,
              help="open: remove specks; close: bridge gaps; erode/dilate: shrink/grow; fill_holes: fill enclosed background"),
        Param("radius", 2, min=1, max=200, when={"operation": ["open", "close", "erode", "dilate"]}, help="radius in pixels of the disc the operation uses (not used by fill_holes)"),
    ],
    outputs=[Output("mask", Mask)],
)
def morphology(mask: Mask, *, operation: str, radius: int) -> Mask:
    """Reshape a mask with a disc: remove specks, close gaps, shrink, grow or fill holes.

    ``open`` deletes foreground thinner than the disc, ``close`` fills background gaps thinner
    than it; ``fill_holes`` turns every region of background enclosed by foreground into
    foreground (a ring becomes a disc).

    Example: ``{type: image.morphology, inputs: {mask: threshold.mask}, params: {operation: open, radius: 2}}``
    """
    import cv2

    if operation == "fill_holes":
        from scipy import ndimage

        return Mask(ndimage.binary_fill_holes(mask.data))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    op = {"open": cv2.MORPH_OPEN, "close": cv2.MORPH_CLOSE, "erode": cv2.MORPH_ERODE, "dilate": cv2.MORPH_DILATE}[operation]
    # OpenCV's default border never erodes from, or grows in from, outside the image, so
    # objects touching the edge are treated like any other.
    result = cv2.morphologyEx(mask.data.astype(np.uint8), op, disc)
    return Mask(result.astype(bool))
