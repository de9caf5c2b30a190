"""image.threshold: otsu, fixed and adaptive levels, and inversion."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.image.thresholding import threshold
from thyra_graph.types import Image, Mask


def spots_on_a_ramp() -> tuple[Image, np.ndarray]:
    """Bright spots on a background that brightens left to right (uneven lighting)."""
    background = np.tile(np.linspace(20, 200, 200), (100, 1))
    truth = np.zeros((100, 200), bool)
    for x in (20, 70, 120, 170):
        truth[40:60, x - 8:x + 8] = True
    return Image(np.clip(background + truth * 40, 0, 255).astype(np.uint8)), truth


def test_threshold_otsu_separates_coins_from_background(coins):
    mask = threshold(coins, method="otsu")
    assert isinstance(mask, Mask) and mask.data.dtype == bool and mask.data.shape == (303, 384)
    # The top-left coin is foreground, the band between the first two rows of coins is not.
    assert mask.data[40:60, 35:50].all()
    assert mask.data[85:95, 20:].mean() < 0.01


def test_threshold_fixed_keeps_pixels_brighter_than_value():
    image = Image(np.array([[10, 100, 101, 250]], np.uint8))
    assert threshold(image, method="fixed", value=100).data.tolist() == [[False, False, True, True]]


def test_adaptive_threshold_finds_spots_under_uneven_lighting_where_otsu_cannot():
    image, truth = spots_on_a_ramp()
    otsu = threshold(image, method="otsu").data
    adaptive = threshold(image, method="adaptive", block_size=41, offset=10).data
    assert (otsu != truth).mean() > 0.2
    assert (adaptive != truth).mean() < 0.01


def test_adaptive_offset_demands_contrast():
    image, _ = spots_on_a_ramp()
    assert threshold(image, method="adaptive", block_size=41, offset=60).data.sum() == 0


def test_invert_makes_dark_pixels_the_foreground():
    image = Image(np.array([[10, 250]], np.uint8))
    assert threshold(image, method="fixed", value=128, invert=True).data.tolist() == [[True, False]]


def test_adaptive_even_block_size_is_refused_with_the_fix():
    image, _ = spots_on_a_ramp()
    with pytest.raises(NodeError, match="must be odd.*got 42: use 43"):
        threshold(image, method="adaptive", block_size=41 + 1)
