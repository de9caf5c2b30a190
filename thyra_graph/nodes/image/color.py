"""Colour conversions."""

from __future__ import annotations

from thyra_graph.engine.declaration import Input, Output, node
from thyra_graph.types import Image

from .pixels import gray_uint8


@node(
    "image.to_gray", category="image",
    inputs=[Input("image", Image)],
    outputs=[Output("image", Image, help="H×W uint8 grey levels")],
)
def to_gray(image: Image) -> Image:
    """Convert an image to grey levels (0-255), weighting red, green and blue by luminance."""
    return Image(gray_uint8(image), dict(image.meta))
