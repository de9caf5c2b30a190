"""count.blobs: tiny objects found as Laplacian-of-Gaussian peaks above the local noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.blobs import BlobSettings, blobs, count_in_array
from thyra_graph.types import Image, Mask, Number, Points

from .conftest import disc_image


def test_every_isolated_object_of_a_noisy_sky_scene_is_found_once(sparse_scene):
    result = blobs(Image(sparse_scene.image), min_size=2, max_size=6)
    points, truth = result["points"], sparse_scene.xy
    assert isinstance(points, Points) and isinstance(result["count"], Number)
    assert result["count"].value == len(points)
    assert abs(len(points) - len(truth)) <= 0.01 * len(truth)
    distance, _ = cKDTree(points.xy).query(truth)
    assert (distance < 2.0).mean() > 0.98
    distance_back, _ = cKDTree(truth).query(points.xy)
    assert (distance_back < 2.0).mean() > 0.98, "detections away from any object"


def test_dark_objects_on_a_bright_sky_are_found_with_dark_or_auto_polarity():
    from thyra_graph.nodes.count.synthetic import make_scene

    scene = make_scene(width=384, height=384, count=300, clump_fraction=0.0, polarity="dark", seed=3)
    dark = blobs(Image(scene.image), min_size=2, max_size=6, polarity="dark")["count"].value
    auto = blobs(Image(scene.image), min_size=2, max_size=6, polarity="auto")["count"].value
    bright = blobs(Image(scene.image), min_size=2, max_size=6, polarity="bright")["count"].value
    assert abs(dark - len(scene.xy)) <= 6 and auto == dark
    assert bright < 0.1 * len(scene.xy)


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_constant_image_counts_zero(value):
    assert blobs(Image(np.full((200, 300), value, np.uint8)))["count"].value == 0


def test_pure_noise_gives_no_detections():
    noise = np.random.default_rng(5).normal(100, 8, (400, 400))
    image = np.clip(noise, 0, 255).astype(np.uint8)
    assert blobs(Image(image), min_size=2, max_size=8)["count"].value == 0


def test_an_empty_array_counts_zero():
    assert len(count_in_array(np.zeros((0, 0), np.uint8), BlobSettings(2, 8))) == 0


def test_sixteen_bit_and_rgba_images_count_like_the_eight_bit_one():
    centres = [(20, 20), (60, 30), (100, 80), (140, 50), (40, 100)]
    eight = disc_image(centres, noise=3)
    sixteen = eight.astype(np.uint16) * 257
    rgba = np.dstack([eight, eight, eight, np.full_like(eight, 255)])
    counts = [count_in_array(data, BlobSettings(3, 10)) for data in (eight, sixteen, rgba)]
    assert [len(c) for c in counts] == [5, 5, 5]
    np.testing.assert_allclose(counts[0].xy, counts[1].xy, atol=1e-3)


def test_an_expected_size_larger_than_the_image_is_refused():
    with pytest.raises(NodeError, match="max_size is 300 px but the image is only 160×120"):
        blobs(Image(disc_image([(50, 50)])), min_size=10, max_size=300)


def test_a_gradient_background_adds_no_objects():
    centres = [(30, 30), (80, 60), (130, 90), (50, 95)]
    flat = disc_image(centres, noise=2).astype(np.float32)
    tilted = np.clip(flat + np.linspace(0, 90, flat.shape[1])[None, :], 0, 255).astype(np.uint8)
    assert blobs(Image(tilted), min_size=3, max_size=10)["count"].value == 4


def test_touching_objects_with_a_dip_between_them_are_two_but_one_long_object_is_one():
    pair = disc_image([(60, 60), (68, 60)], radius=4, noise=1)
    assert len(count_in_array(pair, BlobSettings(4, 10))) == 2
    rows, cols = np.mgrid[0:120, 0:160]
    ellipse = (((cols - 80) / 7.0) ** 2 + ((rows - 60) / 3.5) ** 2 <= 1).astype(np.float32)
    image = np.clip(40 + 120 * ellipse + np.random.default_rng(2).normal(0, 1, ellipse.shape), 0, 255).astype(np.uint8)
    assert len(count_in_array(image, BlobSettings(4, 16))) == 1


def test_each_point_carries_the_objects_radius_as_its_scale():
    points = blobs(Image(disc_image([(80, 60)], radius=5)), min_size=4, max_size=16)["points"]
    assert len(points) == 1
    assert points.xy[0] == pytest.approx([80, 60], abs=0.5)
    assert 3.5 <= points.scales[0] <= 6.5


def test_a_mask_keeps_only_the_objects_inside_it():
    image = Image(disc_image([(20, 20), (60, 30), (100, 80), (140, 50)]))
    left = np.zeros((120, 160), bool)
    left[:, :80] = True
    assert blobs(image, Mask(left), min_size=3, max_size=10)["count"].value == 2
    with pytest.raises(NodeError, match="the mask is 10×10 pixels"):
        blobs(image, Mask(np.ones((10, 10), bool)), min_size=3, max_size=10)
