"""count.intensity: any image to 0-1 grey, and the size-range checks every counter makes."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.intensity import check_size_range, gray_float, rgb8


def test_eight_and_sixteen_bit_and_float_images_map_to_the_same_grey_levels():
    levels = np.array([[0, 64], [128, 255]], dtype=np.uint8)
    eight, step8 = gray_float(levels)
    sixteen, step16 = gray_float(levels.astype(np.uint16) * 257)
    floats, _ = gray_float(levels.astype(np.float32) / 255)
    np.testing.assert_allclose(eight, sixteen, atol=1e-6)
    np.testing.assert_allclose(eight, floats, atol=1e-6)
    assert step8 == pytest.approx(1 / 255) and step16 == pytest.approx(1 / 65535)


def test_rgba_ignores_alpha_and_uses_luma():
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[..., 1] = 200
    rgba = np.dstack([rgb, np.full((2, 2), 7, np.uint8)])
    grey, _ = gray_float(rgba)
    np.testing.assert_allclose(grey, 0.587 * 200 / 255, atol=1e-5)


def test_five_channels_are_refused_with_a_message():
    with pytest.raises(NodeError, match="5 channels"):
        gray_float(np.zeros((4, 4, 5), np.uint8))


def test_rgb8_turns_grey_sixteen_bit_into_rgb_bytes():
    out = rgb8(np.full((3, 4), 65535, np.uint16))
    assert out.shape == (3, 4, 3) and out.dtype == np.uint8 and (out == 255).all()


def test_a_size_range_larger_than_the_image_is_refused_with_the_sizes_named():
    with pytest.raises(NodeError, match=r"max_size is 80 px but the image is only 64×48"):
        check_size_range(2, 80, 48, 64)


def test_an_upside_down_size_range_is_refused():
    with pytest.raises(NodeError, match="swap them"):
        check_size_range(9, 3, 100, 100)
