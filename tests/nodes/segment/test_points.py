"""points.grid and points.from_contours: where candidate prompt points go."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.segment.points import (contour_points, from_contours, grid, grid_points, pixel_of,
                                              points_in_mask)
from thyra_graph.types import Image, Mask


def disc(shape, centre, radius):
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    return np.hypot(cols - centre[0], rows - centre[1]) <= radius


# -- the grid -----------------------------------------------------------------------------------
def test_grid_per_side_puts_points_at_the_centres_of_equal_cells():
    xy = grid_points(100, 200, per_side=2)
    # Cells 100 px wide and 50 px high; pixel centres are at integer coordinates.
    assert xy.tolist() == [[49.5, 24.5], [149.5, 24.5], [49.5, 74.5], [149.5, 74.5]]


def test_grid_spacing_is_exact_and_centred_with_equal_margins():
    xy = grid_points(100, 230, spacing=50)
    xs = sorted(set(xy[:, 0]))
    ys = sorted(set(xy[:, 1]))
    assert np.diff(xs).tolist() == [50.0] * 3 and np.diff(ys).tolist() == [50.0]
    # 4 cells of 50 px across 230 px leave 15 px either side: cell centres at 40 … 190 from the edge.
    assert xs[0] + 0.5 == 40.0 and 229.5 - xs[-1] == 40.0
    assert ys == [24.5, 74.5]


def test_grid_margin_keeps_points_away_from_the_edges():
    xy = grid_points(64, 64, per_side=4, margin=8)
    assert xy.min() >= 8 - 0.5 and xy.max() <= 64 - 8 - 0.5


def test_every_grid_point_lies_in_the_image():
    for size in [(1, 1), (7, 3), (480, 640)]:
        xy = grid_points(*size, per_side=16)
        assert pixel_of(xy, size)[2].all()
        xy = grid_points(*size, spacing=5)
        assert len(xy) >= 1 and pixel_of(xy, size)[2].all()


def test_grid_node_keeps_only_points_inside_or_outside_a_mask():
    mask = np.zeros((40, 40), bool)
    mask[:, :20] = True
    inside = grid(Image(np.zeros((40, 40, 3), np.uint8)), Mask(mask), per_side=4)
    outside = grid(mask=Mask(mask), per_side=4, keep="outside")
    assert len(inside) == 8 and (inside.xy[:, 0] < 20).all()
    assert len(outside) == 8 and (outside.xy[:, 0] >= 20).all()
    assert (inside.labels == 1).all()


def test_grid_node_without_an_image_uses_the_size_parameters_or_says_what_is_missing():
    assert len(grid(per_side=3, width=30, height=20)) == 9
    with pytest.raises(NodeError, match="width and height"):
        grid(per_side=3)


def test_points_outside_the_image_are_never_in_a_mask():
    mask = np.ones((10, 10), bool)
    assert points_in_mask(np.array([[-1, 5], [5, 10], [9.4, 9.4], [9.6, 0]]), mask).tolist() == [False, False, True, False]


# -- contours ----------------------------------------------------------------------------------
def test_contour_points_come_largest_first_at_the_centroid():
    mask = disc((100, 100), (20, 20), 5) | disc((100, 100), (70, 60), 15) | disc((100, 100), (80, 15), 9)
    xy, areas = contour_points(mask)
    assert np.allclose(xy, [[70, 60], [80, 15], [20, 20]])
    assert list(areas) == sorted(areas, reverse=True)


def test_a_ring_gets_a_point_on_the_ring_not_in_its_hole():
    ring = disc((80, 80), (40, 40), 30) & ~disc((80, 80), (40, 40), 20)
    xy, _ = contour_points(ring)
    r, c, _ = pixel_of(xy, ring.shape)
    assert ring[r[0], c[0]]
    # The deepest point of a ring is mid-way between its edges.
    assert 24 <= np.hypot(xy[0, 0] - 40, xy[0, 1] - 40) <= 26


def test_a_crescent_gets_its_deepest_point():
    crescent = disc((60, 60), (30, 30), 20) & ~disc((60, 60), (40, 30), 18)
    xy, _ = contour_points(crescent)
    r, c, _ = pixel_of(xy, crescent.shape)
    assert crescent[r[0], c[0]]


def test_min_area_and_max_points_limit_the_contours():
    mask = disc((100, 100), (20, 20), 3) | disc((100, 100), (70, 60), 15) | disc((100, 100), (80, 15), 9)
    xy, areas = contour_points(mask, min_area=50)
    assert len(xy) == 2 and areas.min() >= 50
    xy, _ = contour_points(mask, max_points=1)
    assert np.allclose(xy, [[70, 60]])


def test_from_contours_thresholds_dark_objects_on_light_ground_when_inverted():
    grey = np.full((60, 90), 220, np.uint8)
    grey[disc(grey.shape, (20, 30), 10)] = 30
    grey[disc(grey.shape, (65, 30), 6)] = 30
    points = from_contours(Image(grey), invert=True, min_area=10)
    assert np.allclose(points.xy, [[20, 30], [65, 30]])
    assert points.scales[0] == pytest.approx(10, abs=0.6)


@pytest.mark.parametrize("dtype,top", [(np.uint16, 4000), (np.float32, 0.2)])
def test_from_contours_finds_objects_in_dim_16_bit_and_float_images(dtype, top):
    data = np.zeros((50, 50), dtype)
    data[disc(data.shape, (25, 25), 8)] = top
    points = from_contours(Image(data), min_area=10)
    assert np.allclose(points.xy, [[25, 25]])


def test_from_contours_uses_a_connected_mask_instead_of_thresholding():
    image = Image(np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8))
    mask = disc((40, 40), (10, 30), 4)
    points = from_contours(image, Mask(mask), min_area=1)
    assert np.allclose(points.xy, [[10, 30]])


def test_a_blank_image_gives_no_points_and_no_error():
    assert len(from_contours(Image(np.zeros((30, 30, 3), np.uint8)))) == 0


def test_a_mask_of_another_size_is_refused_with_both_sizes_named():
    with pytest.raises(NodeError, match="20×10.*30×30"):
        from_contours(Image(np.zeros((30, 30), np.uint8)), Mask(np.zeros((10, 20), bool)))
