"""PNG encoders: the banded binary-mask encoder decodes to the exact mask in OpenCV and Pillow."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from thyra_graph.nodes.export.png_encoding import BinaryMaskEncoder, encode_indexed


def decode_both(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), np.array(PILImage.open(io.BytesIO(data)))


@pytest.mark.parametrize("height, width", [(1, 1), (7, 5), (300, 211), (2160, 3840)])
def test_a_mask_encoded_from_its_box_decodes_to_the_full_mask(height, width):
    rng = np.random.default_rng(height)
    encoder = BinaryMaskEncoder(width, height)
    for _ in range(6):
        y0, x0 = int(rng.integers(0, height)), int(rng.integers(0, width))
        h, w = int(rng.integers(1, height - y0 + 1)), int(rng.integers(1, width - x0 + 1))
        crop = rng.random((h, w)) > 0.4
        expected = np.zeros((height, width), np.uint8)
        expected[y0:y0 + h, x0:x0 + w] = np.where(crop, 255, 0)
        for decoded in decode_both(encoder.encode(crop, y0, x0)):
            assert decoded.dtype == np.uint8
            np.testing.assert_array_equal(decoded, expected)


def test_a_box_filling_the_whole_image_and_one_at_the_edges_decode_exactly():
    encoder = BinaryMaskEncoder(9, 4)
    full = np.ones((4, 9), bool)
    assert (decode_both(encoder.encode(full, 0, 0))[0] == 255).all()
    corner = np.ones((1, 1), bool)
    decoded = decode_both(encoder.encode(corner, 3, 8))[1]
    assert decoded[3, 8] == 255 and decoded.sum() == 255


def test_an_indexed_png_keeps_its_indices_and_palette():
    indices = np.arange(24, dtype=np.uint8).reshape(4, 6) % 5
    palette = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]])
    image = PILImage.open(io.BytesIO(encode_indexed(indices, palette)))
    assert image.mode == "P"
    np.testing.assert_array_equal(np.array(image), indices)
    assert np.array(image.convert("RGB"))[0, 1].tolist() == [255, 0, 0]
