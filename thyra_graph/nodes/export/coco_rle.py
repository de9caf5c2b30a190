"""COCO run-length encoding of a mask, computed from the mask's bounding box alone.

COCO RLE lists run lengths over the image in column-major order (down each column, left to
right), starting with a run of background. Only the box's columns hold object pixels, so the
run boundaries are found in the box (vectorised) and shifted to image positions; pycocotools
then packs the counts into its compact string. The result is byte-for-byte what
``pycocotools.mask.encode`` gives for the full mask, without building a Fortran-ordered copy
of the full frame per object.
"""

from __future__ import annotations

import numpy as np


def rle_counts(crop: np.ndarray, y0: int, x0: int, height: int) -> np.ndarray:
    """Uncompressed COCO counts of a mask that is ``crop`` at (y0, x0) in an image ``height`` tall.

    The last run (background to the end of the image) is left out; :func:`encode` adds it.
    An empty crop gives no counts.
    """
    h, w = crop.shape
    columns = np.zeros((w, h + 2), dtype=np.int8)  # each column padded with background above and below
    columns[:, 1:-1] = crop.T
    col, row = np.nonzero(np.diff(columns, axis=1))  # starts (0→1) and ends (1→0), in column-major order
    boundaries = (x0 + col).astype(np.int64) * height + (y0 + row)
    # A run ending at the bottom of one column and one starting at the top of the next touch:
    # they are one run in column-major order.
    touching = np.flatnonzero(boundaries[1:] == boundaries[:-1])
    if len(touching):
        boundaries = np.delete(boundaries, np.concatenate([touching, touching + 1]))
    return np.diff(boundaries, prepend=0)


def encode(crop: np.ndarray, y0: int, x0: int, height: int, width: int) -> dict:
    """The compressed COCO RLE ``{"size": [height, width], "counts": str}`` of the mask."""
    from pycocotools import mask as mask_utils

    counts = rle_counts(crop, y0, x0, height)
    rest = height * width - int(counts.sum())
    # pycocotools ends on the last object run when the object reaches the image's last pixel.
    counts = (np.append(counts, rest) if rest or not len(counts) else counts).tolist()
    rle = mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}
