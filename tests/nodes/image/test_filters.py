"""image.blur: Gaussian smoothing that keeps size and type."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.image.filters import blur
from thyra_graph.types import Image


def test_blur_reduces_noise_and_keeps_the_mean():
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    smooth = blur(Image(noise), sigma=2.0).data
    assert smooth.shape == noise.shape and smooth.dtype == np.uint8
    assert smooth.std() < noise.std() / 3
    assert abs(float(smooth.mean()) - float(noise.mean())) < 2


def test_larger_sigma_smooths_more():
    noise = Image(np.random.default_rng(1).random((64, 64, 3), dtype=np.float32))
    assert blur(noise, sigma=4.0).data.std() < blur(noise, sigma=1.0).data.std()
    assert blur(noise, sigma=1.0).data.shape == (64, 64, 3)
