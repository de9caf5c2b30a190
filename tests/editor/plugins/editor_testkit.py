"""A promptable node for the editor tests (there is no SAM 2 node yet): it takes an image
and point clicks and returns a mask of discs around the positive points."""

from __future__ import annotations

import numpy as np

from thyra_graph import Input, Output, Param, node
from thyra_graph.types import Image, Mask


@node("editortest.click_mask", inputs=[Input("image", Image)],
      params=[Param("points", [], kind="points", help="clicks: positive grow the mask, negative cut it"),
              Param("radius", 20, min=1, max=500, help="disc radius in pixels")],
      outputs=[Output("mask", Mask)])
def click_mask(image, *, points, radius):
    """Mark discs around positive clicks, minus discs around negative clicks."""
    height, width = image.data.shape[:2]
    yy, xx = np.mgrid[:height, :width]
    mask = np.zeros((height, width), bool)
    for x, y, label in points:
        disc = (xx - x) ** 2 + (yy - y) ** 2 <= radius ** 2
        mask = mask | disc if label == 1 else mask & ~disc
    return mask
