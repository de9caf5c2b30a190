"""Shared input checks and pixel conversions for the image nodes.

Node code calls these instead of ad-hoc asserts so that every node words the same mistake
the same way.
"""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import NodeError
from thyra_graph.types import Image, Mask


def gray_uint8(image: Image) -> np.ndarray:
    """The image as H×W uint8 grey levels (RGB by BT.601 luma, float 0-1 scaled to 0-255)."""
    import cv2

    data = image.data
    if data.ndim == 3:
        data = data[:, :, 0] if data.shape[2] == 1 else data[:, :, :3]
    if np.issubdtype(data.dtype, np.floating):
        data = (np.clip(data, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if data.ndim == 3:
        data = cv2.cvtColor(np.ascontiguousarray(data), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(data)


def require_same_size(image: Image, other: Mask | np.ndarray, *, name: str) -> None:
    """Raise a :class:`NodeError` unless ``other`` covers exactly the image's pixels."""
    shape = other.data.shape[:2] if isinstance(other, Mask) else tuple(other.shape[-2:])
    if tuple(shape) != (image.height, image.width):
        raise NodeError(
            f"the {name} input covers {shape[1]}×{shape[0]} pixels but the image is {image.width}×{image.height}: "
            f"connect {name} computed from this image (or resize one of them first)")
