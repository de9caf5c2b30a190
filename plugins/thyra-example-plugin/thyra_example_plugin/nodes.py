"""The example plugin's nodes. Thyra collects every ``@node`` declared in this module.

Ids start with the plugin's own prefix (``example.``) so they never clash with built-in
nodes or other plugins.
"""

from __future__ import annotations

import numpy as np

from thyra_graph import Input, Output, Param, node
from thyra_graph.types import Image


@node(
    "example.invert", category="example",
    inputs=[Input("image", Image, help="the image to invert")],
    outputs=[Output("image", Image, help="the negative")],
)
def invert(image: Image) -> Image:
    """Turn an image into its negative (black becomes white).

    Example: a uint8 pixel of 10 becomes 245; a float pixel of 0.25 becomes 0.75.
    """
    data = image.data
    inverted = 255 - data if data.dtype == np.uint8 else 1.0 - data
    return Image(inverted, dict(image.meta))


@node(
    "example.brightness", category="example",
    inputs=[Input("image", Image)],
    params=[Param("gain", 1.0, min=0.0, max=10.0, step=0.1,
                  help="multiplies every pixel; 1 keeps the image, 2 doubles its brightness")],
    outputs=[Output("image", Image)],
)
def brightness(image: Image, *, gain: float) -> Image:
    """Make an image brighter or darker by multiplying its pixels by a gain (clipped to range)."""
    data = image.data
    if data.dtype == np.uint8:
        scaled = np.clip(data.astype(np.float32) * gain + 0.5, 0, 255).astype(np.uint8)
    else:
        scaled = np.clip(data * gain, 0.0, 1.0).astype(data.dtype)
    return Image(scaled, dict(image.meta))
