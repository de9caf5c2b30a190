"""count.clumps: touching objects counted from each clump's size relative to a lone object."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.count.blobs import BlobSettings, count_in_array
from thyra_graph.nodes.count.clumps import clumps, count_clumps
from thyra_graph.types import Image, Mask

from .conftest import disc_image


def test_clumps_recover_most_of_what_peaks_miss_in_a_clumpy_scene(clumpy_scene):
    truth = len(clumpy_scene.xy)
    peaks = len(count_in_array(clumpy_scene.image, BlobSettings(2, 6)))
    counted = clumps(Image(clumpy_scene.image), min_size=2, max_size=6)["count"].value
    assert peaks < 0.97 * truth, "the scene should hide objects from the peak finder"
    assert abs(counted - truth) < abs(peaks - truth) / 2
    assert abs(counted - truth) <= 0.03 * truth


def test_a_scene_without_clumps_is_not_inflated(sparse_scene):
    found, added = count_clumps(sparse_scene.image, BlobSettings(2, 6))
    assert added.sum() <= 0.01 * len(sparse_scene.xy)
    assert abs(len(found) - len(sparse_scene.xy)) <= 0.015 * len(sparse_scene.xy)


def test_a_clump_with_no_visible_dips_counts_by_its_area():
    # 30 lone discs teach the unit; three rows of three discs pressed into bars hide their members.
    lone = [(20 + 30 * (i % 10), 20 + 30 * (i // 10)) for i in range(30)]
    bars = [(40 + 7 * k, 130 + 30 * row) for row in range(3) for k in range(3)]
    image = disc_image(lone + bars, size=(230, 320), radius=3.5, noise=2, seed=4)
    result = count_clumps(image, BlobSettings(5, 9))[0]
    assert 37 <= len(result) <= 41  # 39 discs


def test_inferred_objects_lie_inside_their_clump(clumpy_scene):
    found, added = count_clumps(clumpy_scene.image, BlobSettings(2, 6))
    assert added.any()
    from scipy.spatial import cKDTree

    distance, _ = cKDTree(clumpy_scene.xy).query(found.xy[added])
    assert np.median(distance) < 4.0


def test_flux_measure_and_mask_and_blank_image():
    image = Image(disc_image([(30, 30), (90, 60), (130, 90)], noise=2))
    assert clumps(image, min_size=3, max_size=10, measure="flux")["count"].value == 3
    top = np.zeros((120, 160), bool)
    top[:50] = True
    assert clumps(image, Mask(top), min_size=3, max_size=10)["count"].value == 1
    assert clumps(Image(np.zeros((64, 64), np.uint8)), min_size=2, max_size=8)["count"].value == 0


def test_a_lone_object_bigger_than_every_measured_single_is_one_object():
    # 30 lone discs 10 px across teach the unit; the 18-px one answers at a coarser scale than
    # any of them, where a single object is that much bigger, not two or three of them.
    lone = [(20 + 30 * (i % 10), 20 + 30 * (i // 10)) for i in range(30)]
    small = disc_image(lone, size=(150, 320), radius=5, noise=2, seed=5)
    big = disc_image([(160, 40)], size=(80, 320), radius=9, noise=2, seed=6)
    found, added = count_clumps(np.vstack([small, big]), BlobSettings(8, 20))
    assert len(found) == 31 and not added.any()


def test_objects_standing_near_each_other_are_not_one_clump():
    # Big blurred discs 8 px apart: their faint rims meet, their bodies do not.
    centres = [(40 + 48 * (i % 6), 40 + 48 * (i // 6)) for i in range(24)]
    image = disc_image(centres, size=(230, 330), radius=20, noise=2, seed=7)
    found, added = count_clumps(image, BlobSettings(30, 50))
    assert len(found) == 24 and not added.any()
