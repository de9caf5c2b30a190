"""Any image as float grey levels, and the checks every counter makes on its inputs."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import NodeError

# BT.601 luma, the weights OpenCV's RGB→grey uses, so counts match what image.to_gray shows.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def gray_float(data: np.ndarray) -> tuple[np.ndarray, float]:
    """``data`` as H×W float32 grey on a 0-1 scale, and the grey step one count of the source is.

    Accepts grey, RGB and RGBA (alpha is ignored: it says where the picture is, not how bright),
    8-bit, 16-bit and float images. The step (1/255 for 8-bit, 1/65535 for 16-bit) sets the
    noise floor, so a perfectly clean image does not turn its rounding into detections; float
    images are assumed to carry 8-bit precision.
    """
    if data.ndim == 3:
        if data.shape[2] == 1:
            data = data[:, :, 0]
        elif data.shape[2] in (3, 4):
            data = data[:, :, :3]
        else:
            raise NodeError(f"cannot count on an image with {data.shape[2]} channels: give a grey, RGB or RGBA image")
    elif data.ndim != 2:
        raise NodeError(f"cannot count on an array of shape {data.shape}: give an H×W or H×W×3 image")
    if data.dtype == np.uint8:
        scale, step = 1.0 / 255.0, 1.0 / 255.0
    elif data.dtype == np.uint16:
        scale, step = 1.0 / 65535.0, 1.0 / 65535.0
    elif data.dtype.kind in "iu":
        top = float(np.iinfo(data.dtype).max)
        scale, step = 1.0 / top, 1.0 / top
    elif data.dtype.kind == "f":
        scale, step = 1.0, 1.0 / 255.0
    elif data.dtype == bool:
        scale, step = 1.0, 1.0
    else:
        raise NodeError(f"cannot count on an image of type {data.dtype}: give an 8-bit, 16-bit or float image")
    if data.ndim == 3:
        grey = np.tensordot(data.astype(np.float32, copy=False), LUMA, axes=([2], [0]))
    else:
        grey = data.astype(np.float32, copy=True)
    grey *= np.float32(scale)
    if not np.isfinite(grey).all():
        grey = np.nan_to_num(grey, nan=0.0, posinf=1.0, neginf=0.0)
    return np.ascontiguousarray(grey, dtype=np.float32), step


def rgb8(data: np.ndarray) -> np.ndarray:
    """Any image as H×W×3 uint8 RGB for drawing (16-bit keeps its top 8 bits, alpha dropped)."""
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[:, :, 0]
    if data.ndim == 3:
        data = data[:, :, :3]
    if data.dtype == np.uint16:
        data = (data >> 8).astype(np.uint8)
    elif data.dtype.kind == "f":
        data = (np.clip(np.nan_to_num(data), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif data.dtype != np.uint8:
        data, _ = gray_float(data)
        data = (np.clip(data, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if data.ndim == 2:
        data = np.repeat(data[:, :, None], 3, axis=2)
    return np.ascontiguousarray(data)


def check_size_range(min_size: float, max_size: float, height: int, width: int) -> None:
    """Refuse a size range that is upside down or does not fit in the image."""
    if min_size > max_size:
        raise NodeError(f"min_size ({min_size:g} px) is larger than max_size ({max_size:g} px): "
                        "swap them, or set both to the one size you expect")
    if max_size > min(height, width):
        raise NodeError(
            f"max_size is {max_size:g} px but the image is only {width}×{height} px: objects that large "
            "cannot be counted in it. Give the size of one object in pixels (measure one in the image), "
            "or resize the image up first")
