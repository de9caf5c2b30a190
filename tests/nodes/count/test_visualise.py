"""count.heatmap_overlay and the chart: pictures of what was counted."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.plot import line_chart, nice_step
from thyra_graph.nodes.count.visualise import heatmap_overlay
from thyra_graph.types import DensityMap, Image, Number, Points


def grey_image(height=120, width=160):
    return Image(np.full((height, width), 60, np.uint8))


def test_heat_shows_only_where_there_is_density():
    density = np.zeros((120, 160), np.float32)
    density[80:100, 100:120] = 0.01
    out = heatmap_overlay(grey_image(), DensityMap(density), label="count")
    assert out.data.shape == (120, 160, 3) and out.data.dtype == np.uint8
    assert (out.data[85:95, 105:115] != 60).any(axis=2).all()
    assert (out.data[110:, :80] == 60).all()


def test_points_are_ringed_and_the_count_is_written_top_left():
    points = Points(np.array([[100.0, 80.0]]), scales=np.array([5.0]))
    out = heatmap_overlay(grey_image(), points=points, count=Number(1234), label="count").data
    assert (out[80, 94:99] != 60).any()  # the ring, about 6 px left of the centre
    assert (out[80, 100] == 60).all()  # the centre itself is left visible
    assert out[:20, :60].max() > 200 and out[:20, :60].min() == 0  # white text on a black band


def test_a_density_of_another_size_is_refused():
    with pytest.raises(NodeError, match="density map is 10×10"):
        heatmap_overlay(grey_image(), DensityMap(np.zeros((10, 10), np.float32)))


def test_thousands_of_points_get_hairline_rings_that_leave_the_image_visible():
    xy = np.array([[x, y] for x in range(4, 160, 7) for y in range(4, 120, 7)], dtype=float)
    out = heatmap_overlay(grey_image(), points=Points(xy, scales=np.full(len(xy), 1.0)), label="").data
    assert len(xy) > 300
    assert (out[60:, :] == 60).all(axis=2).mean() > 0.4


def test_sixteen_bit_and_rgba_images_are_drawn_on():
    sixteen = Image(np.full((40, 50), 30000, np.uint16))
    out = heatmap_overlay(sixteen, points=Points(np.array([[25.0, 20.0]])))
    assert out.data.dtype == np.uint8 and out.data.shape == (40, 50, 3)


def test_chart_ticks_are_round_and_the_chart_has_the_asked_size():
    assert [nice_step(s) for s in (7, 42, 180, 0.9)] == [2, 10, 50, 0.2]
    chart = line_chart(np.arange(5.0), np.array([3, 8, 2, 9, 4]), width=320, height=200)
    assert chart.shape == (200, 320, 3) and chart.dtype == np.uint8


def test_the_count_goes_to_the_corner_with_the_fewest_objects_or_where_asked_or_nowhere():
    # Objects crowd the top-left and top-right corners; the bottom-left is empty.
    xy = np.array([[x, y] for x in (5.0, 15.0, 25.0, 135.0, 145.0, 155.0) for y in (4.0, 10.0)]
                  + [[150.0, 115.0]])
    points = Points(xy)
    auto = heatmap_overlay(grey_image(), points=points, label="count").data
    assert auto[100:, :40].min() == 0 and auto[100:, :40].max() > 200  # the label, bottom-left
    asked = heatmap_overlay(grey_image(), points=points, label="count", label_corner="top-right").data
    assert asked[:12, 120:].min() == 0
    none = heatmap_overlay(grey_image(), points=points, label="count", label_corner="none").data
    assert none[100:, :40].min() == 60 and none[:8, 40:120].min() == 60


def test_the_count_label_is_small_on_a_big_image():
    big = Image(np.full((1200, 1600), 60, np.uint8))
    out = heatmap_overlay(big, points=Points(np.array([[800.0, 600.0]])), count=Number(4321), label="count").data
    band = (out == 0).all(axis=2)
    rows, cols = np.nonzero(band)
    assert cols.max() - cols.min() < 300 and rows.max() - rows.min() < 70  # was 411 × 98
