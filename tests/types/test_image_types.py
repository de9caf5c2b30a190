"""Raster types (thyra_graph.types.image): Image and Mask."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from thyra_graph.types import Image, Mask


# -- Image -------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3),
    np.linspace(0, 1, 20, dtype=np.float32).reshape(4, 5),
    np.zeros((3, 2, 4), np.uint8),
    np.zeros((3, 2, 1), np.float64),
], ids=["rgb-uint8", "grey-float32", "rgba", "one-channel-float64"])
def test_image_round_trips_every_accepted_layout(data, roundtrip, same):
    image = Image(data, {"source": "birds.jpg", "frame": 12})
    image.validate()
    same(roundtrip(image), image)


def test_image_coerces_an_ndarray_and_refuses_a_list():
    data = np.zeros((2, 3, 3), np.uint8)
    assert Image.coerce(data).data is data
    with pytest.raises(TypeError, match="Image data must be a numpy array, got list"):
        Image.coerce([[0, 1]])


@pytest.mark.parametrize("data, message", [
    (np.zeros((4, 5, 2), np.uint8), r"H×W or H×W×3 .*got shape \(4, 5, 2\)"),
    (np.zeros(5, np.uint8), r"got shape \(5,\)"),
    (np.zeros((4, 5, 3), np.int32), "must be uint8 or float, got int32"),
    (np.zeros((4, 5), bool), "must be uint8 or float, got bool"),
    (np.zeros((0, 5, 3), np.uint8), "Image is empty"),
])
def test_image_validate_names_what_is_malformed(data, message):
    with pytest.raises(ValueError, match=message):
        Image(data).validate()


def test_image_validate_refuses_meta_the_cache_could_not_store():
    with pytest.raises(ValueError, match=r"Image.meta must hold only JSON-friendly values"):
        Image(np.zeros((2, 2), np.uint8), {"source": pathlib.Path("a.png")}).validate()


def test_image_nbytes_grows_with_the_pixels():
    assert Image(np.zeros((100, 100, 3), np.uint8)).nbytes() > Image(np.zeros((10, 10, 3), np.uint8)).nbytes() >= 300


def test_image_summary_is_shape_and_dtype():
    summary = Image(np.zeros((4, 5, 3), np.uint8)).summary()
    assert json.loads(json.dumps(summary)) == {"shape": [4, 5, 3], "dtype": "uint8"}


def test_image_as_uint8_rgb_expands_grey_and_scales_floats():
    rgb = Image(np.full((2, 2), 0.5, np.float32)).as_uint8_rgb()
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8 and rgb[0, 0, 0] == 128


# -- Mask --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 9), (1, 1), (8, 8), (0, 4)])
def test_mask_round_trips_through_packed_bits_at_any_size(shape, roundtrip, same):
    mask = Mask(np.random.default_rng(1).random(shape) > 0.5)
    same(roundtrip(mask), mask)


def test_mask_record_is_packed_eight_pixels_to_a_byte():
    _, arrays = Mask(np.ones((64, 64), bool)).to_record()
    assert arrays["bits"].nbytes == 64 * 64 // 8


def test_mask_coerces_a_non_bool_array_as_nonzero():
    mask = Mask.coerce(np.array([[0, 3], [255, 0]], np.uint8))
    assert mask.data.dtype == bool and mask.data.tolist() == [[False, True], [True, False]]


@pytest.mark.parametrize("data, message", [
    (np.zeros((2, 3, 1), bool), r"Mask must be H×W, got shape \(2, 3, 1\)"),
    (np.zeros((2, 3), np.uint8), "Mask must be bool, got uint8"),
])
def test_mask_validate_names_what_is_malformed(data, message):
    with pytest.raises(ValueError, match=message):
        Mask(data).validate()


def test_mask_nbytes_grows_and_summary_reports_the_area():
    small, big = Mask(np.ones((4, 4), bool)), Mask(np.ones((40, 40), bool))
    assert big.nbytes() > small.nbytes()
    assert json.loads(json.dumps(small.summary()))["area"] == 16
