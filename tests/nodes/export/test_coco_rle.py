"""COCO RLE from a mask's box: byte-for-byte what pycocotools.mask.encode gives for the full mask."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from thyra_graph.nodes.export.coco_rle import encode


def reference(full: np.ndarray) -> str:
    return mask_utils.encode(np.asfortranarray(full.astype(np.uint8)))["counts"].decode()


@pytest.mark.parametrize("height, width", [(1, 1), (3, 4), (41, 37), (2160, 3840)])
def test_the_box_rle_equals_pycocotools_on_the_full_mask(height, width):
    rng = np.random.default_rng(width)
    for trial in range(25):
        y0, x0 = int(rng.integers(0, height)), int(rng.integers(0, width))
        h, w = int(rng.integers(1, height - y0 + 1)), int(rng.integers(1, width - x0 + 1))
        if trial % 4 == 0:  # full-height boxes: runs continue from one column into the next
            y0, h = 0, height
        crop = rng.random((h, w)) > 0.5
        if trial % 5 == 0:
            crop[:] = True
        full = np.zeros((height, width), bool)
        full[y0:y0 + h, x0:x0 + w] = crop
        assert encode(crop, y0, x0, height, width) == {"size": [height, width], "counts": reference(full)}


def test_an_object_reaching_the_last_pixel_ends_on_its_own_run():
    full = np.zeros((3, 3), bool)
    full[1:, 2] = True
    assert encode(full[1:, 2:], 1, 2, 3, 3)["counts"] == reference(full)
