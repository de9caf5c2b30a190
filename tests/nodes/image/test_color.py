"""image.to_gray: grey levels by luminance, from any image flavour."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.image.color import to_gray
from thyra_graph.types import Image


def test_to_gray_weights_channels_by_luminance():
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[0, 1] = (0, 255, 0)
    rgb[0, 2] = (0, 0, 255)
    gray = to_gray(Image(rgb)).data
    assert gray.shape == (2, 3) and gray.dtype == np.uint8
    assert gray[0].tolist() == [76, 150, 29]  # green looks brightest, blue darkest


def test_to_gray_of_a_float_image_is_uint8_0_to_255():
    gray = to_gray(Image(np.full((2, 2, 3), 0.5, np.float32))).data
    assert gray.dtype == np.uint8 and gray[0, 0] == 128


def test_to_gray_keeps_grey_images_and_provenance():
    grey = np.arange(6, dtype=np.uint8).reshape(2, 3)
    result = to_gray(Image(grey, {"path": "a.png"}))
    np.testing.assert_array_equal(result.data, grey)
    assert result.meta == {"path": "a.png"}
