"""count.density_map: one unit Gaussian per point, summing to the count even at the borders."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.density import density_from_points, density_map, point_sigmas
from thyra_graph.types import DensityMap, Image, Points


def test_the_map_integrates_to_the_number_of_points_including_points_on_the_edge():
    xy = np.array([[0, 0], [99, 79], [50, 40], [0.3, 60.7], [98.5, 0]])
    density = density_from_points(xy, (80, 100), sigma=6.0)
    assert density.dtype == np.float32 and density.shape == (80, 100)
    assert density.sum(dtype=np.float64) == pytest.approx(5.0, abs=1e-4)


def test_each_kernel_is_centred_on_its_point():
    density = density_from_points(np.array([[30.0, 20.0]]), (50, 60), sigma=2.0)
    row, col = np.unravel_index(np.argmax(density), density.shape)
    assert (col, row) == (30, 20)
    assert density[20, 24:].sum() < density[20, 26:35].sum() * 10  # falls off away from the point


def test_adaptive_kernels_are_tight_in_crowds_and_wide_for_loners():
    crowd = np.array([[10 + 2 * i, 10.0] for i in range(10)])
    loners = np.array([[100.0, 100.0], [180.0, 20.0], [20.0, 180.0]])
    sigmas = point_sigmas(np.vstack([crowd, loners]), sigma=4, mode="adaptive", k=3, beta=0.3, max_sigma=64, scales=None)
    assert sigmas[:10].max() < 2.0 < 10.0 < sigmas[10:].min()


def test_the_node_outputs_density_and_count_and_handles_no_points():
    image = Image(np.zeros((40, 50), np.uint8))
    result = density_map(Points(np.array([[10, 10], [20, 30]])), image, mode="fixed")
    assert isinstance(result["density"], DensityMap)
    assert result["density"].count == pytest.approx(2.0, abs=1e-4) and result["count"].value == 2
    empty = density_map(Points(np.zeros((0, 2))), image)
    assert empty["count"].value == 0 and empty["density"].shape == (40, 50) and empty["density"].count == 0
    empty["density"].validate()


def test_scales_mode_uses_each_points_radius():
    points = Points(np.array([[20.0, 20.0], [60.0, 20.0]]), scales=np.array([1.0, 8.0]))
    density = density_map(points, Image(np.zeros((40, 80), np.uint8)), mode="scales")["density"].data
    assert density[20, 20] > 5 * density[20, 60]


def test_points_from_another_image_are_refused():
    with pytest.raises(NodeError, match="outside the 50×40 image"):
        density_map(Points(np.array([[500.0, 10.0]])), Image(np.zeros((40, 50), np.uint8)))


def test_a_blank_image_counts_zero_and_maps_to_a_valid_zero_density():
    from thyra_graph.nodes.count.blobs import blobs

    blank = Image(np.zeros((60, 80, 4), np.uint8))  # RGBA, all black
    found = blobs(blank)
    result = density_map(found["points"], blank, mode="adaptive")
    assert found["count"].value == 0 and result["count"].value == 0
    result["density"].validate()
    assert result["density"].shape == (60, 80) and not result["density"].data.any()
