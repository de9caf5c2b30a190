"""The picture a labelling model sees for one instance: its mask applied, cropped to its box."""

from __future__ import annotations

import numpy as np

BACKGROUNDS = ("dim", "transparent", "black", "keep")


def padded_box(mask: np.ndarray, padding: float, *, min_padding: int = 4) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) around the mask's pixels, grown by ``padding`` × the box's longer side
    (at least ``min_padding`` pixels) and clipped to the image; None for an empty mask."""
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    if not len(xs):
        return None
    x0, y0, x1, y1 = int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1
    pad = max(int(round(padding * max(x1 - x0, y1 - y0))), min_padding)
    height, width = mask.shape
    return max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)


def instance_crop(rgb: np.ndarray, mask: np.ndarray, *, padding: float = 0.15, max_side: int = 512,
                  background: str = "dim", dim: float = 0.3) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The crop for one instance and its box in the image, or None when the mask is empty.

    ``background``: ``dim`` darkens pixels outside the mask to ``dim`` × their value (context stays
    visible), ``black`` blanks them, ``transparent`` returns RGBA with alpha 0 there, ``keep``
    leaves the crop as it is. The crop is shrunk (never enlarged) so its longer side is at most
    ``max_side`` pixels: vision-language models bill and run by image size.
    """
    import cv2

    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}, got {background!r}")
    box = padded_box(mask, padding)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])
    inside = mask[y0:y1, x0:x1]
    if background == "dim":
        crop = np.where(inside[..., None], crop, (crop.astype(np.float32) * dim).astype(np.uint8))
    elif background == "black":
        crop = np.where(inside[..., None], crop, 0).astype(np.uint8)
    elif background == "transparent":
        crop = np.dstack([crop, np.where(inside, 255, 0).astype(np.uint8)])
    longest = max(crop.shape[:2])
    if longest > max_side:
        scale = max_side / longest
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop), box
