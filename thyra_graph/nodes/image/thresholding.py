"""Splitting an image into foreground and background by grey level."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Mask

from .pixels import gray_uint8

METHODS = ("otsu", "fixed", "adaptive")


@node(
    "image.threshold", category="image",
    inputs=[Input("image", Image)],
    params=[
        Param("method", "otsu", choices=METHODS,
              help="otsu: one level chosen from the histogram; fixed: 'value'; adaptive: compare each pixel with its neighbourhood"),
        Param("value", 128, min=0, max=255, when={"method": "fixed"}, help="grey level for method=fixed: brighter pixels are foreground"),
        Param("block_size", 51, min=3, max=2001, step=2,
              when={"method": "adaptive"}, help="adaptive: odd width in pixels of the neighbourhood (larger than the objects)"),
        Param("offset", 0.0, min=-255, max=255, when={"method": "adaptive"}, help="adaptive: how much brighter than its neighbourhood mean a pixel must be"),
        Param("invert", False, help="make dark pixels the foreground instead (dark objects on a light background)"),
    ],
    outputs=[Output("mask", Mask, help="True where the image is foreground")],
)
def threshold(image: Image, *, method: str, value: int, block_size: int, offset: float, invert: bool) -> Mask:
    """Turn an image into a foreground mask: bright pixels in, dark pixels out.

    Otsu suits evenly lit scenes. Under uneven lighting a single level cannot fit every
    region; ``adaptive`` compares each pixel with the mean of its ``block_size`` neighbourhood
    instead, so objects count as foreground wherever they sit.

    Example: ``{type: image.threshold, inputs: {image: blur.image}, params: {method: adaptive, block_size: 101, offset: 15}}``
    """
    import cv2

    gray = gray_uint8(image)
    if method == "otsu":
        level, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        mask = gray > level
    elif method == "fixed":
        mask = gray > value
    else:
        if block_size % 2 == 0:
            raise NodeError(f"block_size must be odd (a neighbourhood centred on the pixel), got {block_size}: use {block_size + 1}")
        # The local mean in float, so that a fractional offset is honoured and nothing rounds.
        mean = cv2.boxFilter(gray.astype(np.float32), -1, (block_size, block_size), borderType=cv2.BORDER_REPLICATE)
        mask = gray > mean + offset
    return Mask(~mask if invert else mask)
