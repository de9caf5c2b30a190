"""count.resolve: one detection per object from the peaks of all scales."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.count.resolve import resolve


def settle(xy, level, strength, radius, smooth=None, dip=0.01):
    xy = np.asarray(xy, float)
    smooth = np.zeros((64, 64), np.float32) if smooth is None else smooth
    return resolve(xy, np.asarray(level), np.asarray(strength, float), np.asarray(radius, float),
                   smooth=smooth, dip_floor=np.full(len(xy), dip))


def test_the_same_object_at_two_scales_is_kept_once_at_its_stronger_scale():
    keep = settle([[20, 20], [20.6, 20.3]], [0, 1], [0.5, 0.8], [1.0, 1.25])
    assert keep.tolist() == [False, True]


def test_a_faint_ring_peak_inside_a_big_object_goes():
    keep = settle([[30, 30], [32, 30]], [3, 0], [0.9, 0.3], [3.0, 1.0])
    assert keep.tolist() == [True, False]


def test_a_coarse_peak_over_two_objects_with_a_dip_between_them_gives_way_to_both():
    smooth = np.zeros((64, 64), np.float32)
    smooth[30, 28] = smooth[30, 32] = 1.0  # two bright centres, dark between them
    keep = settle([[30, 30], [28, 30], [32, 30]], [3, 0, 0], [1.0, 0.8, 0.8], [3.0, 1.0, 1.0], smooth=smooth)
    assert keep.tolist() == [False, True, True]


def test_without_a_dip_the_two_ends_of_one_long_object_stay_one_object():
    smooth = np.zeros((64, 64), np.float32)
    smooth[30, 27:34] = 1.0  # a bar: bright all along
    keep = settle([[30, 30], [28, 30], [32, 30]], [3, 0, 0], [1.0, 0.8, 0.8], [3.0, 1.0, 1.0], smooth=smooth)
    assert keep.sum() == 1 and keep[0]


def test_objects_apart_from_each_other_are_all_kept():
    keep = settle([[10, 10], [20, 10], [10, 20]], [0, 1, 2], [0.5, 0.5, 0.5], [1.0, 1.25, 1.6])
    assert keep.all()
