"""count.background: flattening uneven light, and a block grid that tiles agree on."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.count.background import BlockGrid, flatten, robust_sigma


def test_flatten_removes_a_sky_gradient_but_keeps_small_objects():
    rows, cols = np.mgrid[0:256, 0:320].astype(np.float32)
    sky = 0.2 + 0.5 * rows / 256 + 0.1 * cols / 320
    sky[100:103, 100:103] += 0.3  # a 3-px object
    flat = flatten(sky, BlockGrid(32, sky.shape))
    flat[100:103, 100:103] = 0.0
    # Inside, the background follows the light; in the outer blocks it bends a little (held
    # flat beyond the last block centres), which the LoG does not see anyway.
    assert np.abs(flat[48:-48, 48:-48]).max() < 0.003
    assert np.abs(flat).max() < 0.05
    assert flatten(sky, BlockGrid(32, sky.shape))[101, 101] > 0.25


def test_a_window_on_the_block_grid_reproduces_the_whole_images_background_away_from_its_edges():
    rng = np.random.default_rng(0)
    image = (rng.random((300, 400)) * 0.1 + np.linspace(0, 0.5, 400)[None, :]).astype(np.float32)
    whole = flatten(image, BlockGrid(32, image.shape))
    window = flatten(np.ascontiguousarray(image[64:300, 96:400]), BlockGrid(32, (236, 304), origin=(64, 96), image_shape=image.shape))
    # Three blocks in from the window's own edges the two agree exactly.
    np.testing.assert_array_equal(whole[64 + 96:300, 96 + 96:400], window[96:, 96:])


def test_a_window_off_the_block_grid_is_refused():
    with pytest.raises(ValueError, match="block grid"):
        BlockGrid(32, (10, 10), origin=(5, 0))


def test_robust_sigma_ignores_a_few_bright_objects_and_survives_a_clipped_black_sky():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.01, 100_000).astype(np.float32)
    noise[:2000] += 1.0
    assert robust_sigma(noise) == pytest.approx(0.01, rel=0.05)
    speckled = np.zeros(100_000, np.float32)
    speckled[::4] = rng.normal(0, 0.02, 25_000)  # most pixels exactly black
    assert robust_sigma(speckled) > 0.002
