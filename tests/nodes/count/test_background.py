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


def _big_discs_on_noise(noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Discs 40 px across covering about 40 % of the image, plus Gaussian noise; and the noise alone."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:300, 0:380].astype(np.float32)
    discs = np.zeros(rows.shape, np.float32)
    for y in range(30, 300, 60):
        for x in range(30, 380, 60):
            discs[np.hypot(rows - y, cols - x) <= 20] = 0.4
    alone = rng.normal(0.0, noise, rows.shape).astype(np.float32)
    return discs + alone, alone


def test_big_crowded_objects_do_not_inflate_the_noise_they_are_judged_against():
    from thyra_graph.nodes.count.background import object_free_noise
    from thyra_graph.nodes.count.scale_space import blob_scales

    image, alone = _big_discs_on_noise(0.02)
    sigmas = blob_scales(30, 50)
    quiet = np.zeros(image.shape, bool)  # every pixel is near an object: no quiet pixels to start from
    ones = np.ones(image.shape, np.float32)
    measured = object_free_noise(image, quiet, ones, sigmas, floor=0.0, smooth_floor=0.0)
    truth = object_free_noise(alone, np.ones(image.shape, bool), ones, sigmas, floor=0.0, smooth_floor=0.0)
    for got, expected in zip(measured.sigmas, truth.sigmas):
        assert got == pytest.approx(expected, rel=0.25)
    # Measured over all pixels, the discs' own response would be many times the noise.
    from thyra_graph.nodes.count.scale_space import log_response

    assert robust_sigma(log_response(image, float(sigmas[-1]))) > 5 * truth.sigmas[-1]


def test_on_plain_noise_masking_objects_leaves_the_noise_as_it_is():
    from thyra_graph.nodes.count.background import object_free_noise
    from thyra_graph.nodes.count.scale_space import blob_scales, log_response

    alone = np.random.default_rng(3).normal(0.0, 0.03, (256, 256)).astype(np.float32)
    sigmas = blob_scales(3, 10)
    ones = np.ones(alone.shape, np.float32)
    measured = object_free_noise(alone, np.ones(alone.shape, bool), ones, sigmas, floor=0.0, smooth_floor=0.0)
    for sigma, got in zip(sigmas, measured.sigmas):
        assert got == pytest.approx(robust_sigma(log_response(alone, float(sigma))), rel=0.05)


def test_the_local_level_follows_uneven_light_under_big_objects():
    from thyra_graph.nodes.count.background import local_level
    from thyra_graph.nodes.count.scale_space import blob_scales

    rows, cols = np.mgrid[0:300, 0:380].astype(np.float32)
    light = 0.1 + 0.3 * cols / 380 + 0.2 * rows / 300
    image = light.copy()
    free = np.ones(image.shape, bool)
    for y in range(40, 300, 80):
        for x in range(40, 380, 80):
            inside = np.hypot(rows - y, cols - x) <= 25
            image[inside] += 0.4
            free[inside] = False
    error = np.abs(local_level(image, free, blob_scales(40, 50)) - light)
    # Under the objects it is the light around them (bending a little at the image's edges),
    # where an average of all pixels is pulled a third of the way up to the objects.
    assert np.median(error[~free]) < 0.015 and error[~free].max() < 0.08
    assert np.abs(error[100:200, 100:280][~free[100:200, 100:280]]).max() < 0.01
    everything = np.abs(local_level(image, np.ones(image.shape, bool), blob_scales(40, 50)) - light)
    assert np.median(everything[~free]) > 0.1
