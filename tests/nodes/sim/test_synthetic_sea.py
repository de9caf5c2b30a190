"""sim.synthetic_sea: a stand-in sea photo whose rocks the image nodes can find."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.image.filters import blur
from thyra_graph.nodes.image.mask_morphology import morphology
from thyra_graph.nodes.image.thresholding import threshold
from thyra_graph.nodes.sim.synthetic_sea import synthetic_sea


def test_the_same_seed_draws_the_same_sea_and_another_seed_another():
    a, b, c = synthetic_sea(seed=3), synthetic_sea(seed=3), synthetic_sea(seed=4)
    np.testing.assert_array_equal(a["image"].data, b["image"].data)
    assert not np.array_equal(a["image"].data, c["image"].data)


def test_the_picture_has_the_asked_size_and_as_many_rocks_as_asked():
    from scipy import ndimage

    sea = synthetic_sea(width=200, height=120, rocks=3, seed=1)
    assert sea["image"].data.shape == (120, 200, 3) and sea["image"].data.dtype == np.uint8
    assert sea["rocks"].data.shape == (120, 200)
    assert 1 <= ndimage.label(sea["rocks"].data)[1] <= 3  # rocks may touch
    assert not synthetic_sea(rocks=0)["rocks"].data.any()


def test_the_rocks_are_found_by_blur_threshold_and_opening_as_in_the_example_graph():
    sea = synthetic_sea()
    found = morphology(threshold(blur(sea["image"], sigma=2.0), method="fixed", value=95), operation="open", radius=3)
    truth = sea["rocks"].data
    iou = (found.data & truth).sum() / (found.data | truth).sum()
    assert iou > 0.8


def test_the_water_shows_waves_not_a_flat_colour():
    sea = synthetic_sea()
    grey = sea["image"].data.astype(float).mean(axis=2)[~sea["rocks"].data]
    assert grey.std() > 5
