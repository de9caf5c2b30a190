"""The example plugin's nodes. Thyra collects every ``@node`` declared in this module, and
the port types, param kinds and previews listed in ``THYRA_TYPES``, ``THYRA_PARAM_KINDS`` and
``THYRA_PREVIEWS``.

Ids start with the plugin's own prefix (``example.``) so they never clash with built-in
nodes or other plugins.
"""

from __future__ import annotations

import numpy as np

from thyra_graph import Input, Output, Param, node
from thyra_graph.types import Image

from .histogram import CHANNELS, Histogram, render_histogram


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


@node(
    "example.histogram", category="example",
    inputs=[Input("image", Image, help="the image whose pixels are counted")],
    params=[Param("channels", "rgb", kind=CHANNELS, help="which colour channels to count, e.g. 'rgb' or 'g'")],
    outputs=[Output("histogram", Histogram, help="256 counts per channel")],
)
def histogram(image: Image, *, channels: str) -> Histogram:
    """Count how many pixels have each grey level (0-255), per colour channel.

    Example: a 4×4 black image gives 16 counts at level 0 in each channel. Float images
    (0-1) are scaled to 0-255 first.
    """
    data = image.data
    if data.dtype != np.uint8:
        data = np.clip(np.round(data.astype(np.float64) * 255), 0, 255).astype(np.uint8)
    if data.ndim == 2:  # a grey image: every channel is the grey level
        data = np.repeat(data[..., None], 3, axis=2)
    counts = np.stack([np.bincount(data[..., "rgb".index(c)].ravel(), minlength=256) for c in channels])
    return Histogram(counts.astype(np.int64), channels, dict(image.meta))


# What this plugin adds beside its nodes: a port type, a param kind and the type's preview.
THYRA_TYPES = [Histogram]
THYRA_PARAM_KINDS = [CHANNELS]
THYRA_PREVIEWS = {Histogram.type_name: render_histogram}
