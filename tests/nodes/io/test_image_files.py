"""io.load_image and io.save_image: every common flavour of image file, and clear failures."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.image_files import load_image, save_image
from thyra_graph.types import Image, Path


def _write(path, data) -> str:
    assert cv2.imwrite(str(path), data)
    return str(path)


def test_load_image_png_is_rgb_uint8_in_rgb_order(tmp_path):
    bgr = np.zeros((5, 7, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV's order
    image = load_image(path=_write(tmp_path / "blue.png", bgr))
    assert isinstance(image, Image)
    assert image.data.shape == (5, 7, 3) and image.data.dtype == np.uint8
    assert image.data[0, 0].tolist() == [0, 0, 200]
    assert image.meta["path"] == str(tmp_path / "blue.png")


def test_load_image_jpeg_keeps_content(tmp_path):
    bgr = np.full((32, 32, 3), (30, 120, 220), np.uint8)
    image = load_image(path=_write(tmp_path / "flat.jpg", bgr))
    assert np.abs(image.data[16, 16].astype(int) - [220, 120, 30]).max() <= 3


def test_load_image_grey_is_repeated_into_three_equal_channels(tmp_path):
    grey = np.arange(35, dtype=np.uint8).reshape(5, 7)
    image = load_image(path=_write(tmp_path / "grey.png", grey))
    assert image.data.shape == (5, 7, 3)
    for channel in range(3):
        np.testing.assert_array_equal(image.data[..., channel], grey)


def test_load_image_rgba_drops_alpha_and_keeps_colour(tmp_path):
    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[...] = (10, 20, 30, 0)  # fully transparent, colour still defined
    image = load_image(path=_write(tmp_path / "rgba.png", bgra))
    assert image.data.shape == (4, 4, 3)
    assert image.data[0, 0].tolist() == [30, 20, 10]


def test_load_image_16_bit_maps_full_range_to_8_bit(tmp_path):
    values = np.array([[0, 257 * 100, 65535]], dtype=np.uint16)
    image = load_image(path=_write(tmp_path / "deep.png", values))
    assert image.data.dtype == np.uint8
    assert image.data[0, :, 0].tolist() == [0, 100, 255]


def test_load_image_stretch_uses_the_values_present(tmp_path):
    # A 12-bit scan in a 16-bit file: without stretching it is almost black.
    values = np.array([[100, 2100, 4095]], dtype=np.uint16)
    path = _write(tmp_path / "scan.png", values)
    assert load_image(path=path, stretch=False).data.max() <= 16
    assert load_image(path=path, stretch=True).data[0, :, 0].tolist() == [0, 128, 255]


def test_load_image_sample_coins_is_bundled(samples):
    image = load_image(path=str(samples / "coins.png"))
    assert image.data.shape == (303, 384, 3)


def test_load_image_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(NodeError, match="no image file at .*nope.png"):
        load_image(path=str(missing))


def test_load_image_corrupt_file_names_the_path(tmp_path):
    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(b"\x89PNG but not really" + bytes(range(256)))
    with pytest.raises(NodeError, match="broken.png.*could not be decoded"):
        load_image(path=str(corrupt))


def test_load_image_folder_is_refused(tmp_path):
    with pytest.raises(NodeError, match="is a folder"):
        load_image(path=str(tmp_path))


def test_save_image_round_trips_png_exactly_and_creates_folders(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    target = tmp_path / "deep" / "er" / "out.png"
    result = save_image(Image(data), path=str(target))
    assert result == Path(str(target))
    np.testing.assert_array_equal(load_image(path=str(target)).data, data)
    # no temporary file left; beside the image only Thyra's list of the files it wrote
    assert sorted(p.name for p in target.parent.iterdir()) == [".thyra-written.json", "out.png"]


def test_save_image_jpeg_round_trip_is_close(tmp_path):
    data = np.full((16, 16, 3), (200, 90, 40), np.uint8)
    save_image(Image(data), path=str(tmp_path / "out.jpg"), quality=95)
    assert np.abs(load_image(path=str(tmp_path / "out.jpg")).data.astype(int) - data).max() <= 4


def test_save_image_writes_grey_and_float_images(tmp_path):
    save_image(Image(np.full((3, 3), 77, np.uint8)), path=str(tmp_path / "grey.png"))
    assert load_image(path=str(tmp_path / "grey.png")).data[0, 0].tolist() == [77, 77, 77]
    save_image(Image(np.full((3, 3, 3), 0.5, np.float32)), path=str(tmp_path / "float.png"))
    assert load_image(path=str(tmp_path / "float.png")).data[0, 0].tolist() == [128, 128, 128]


def test_save_image_unknown_suffix_says_which_suffixes_work(tmp_path):
    with pytest.raises(NodeError, match=r"\.png"):
        save_image(Image(np.zeros((2, 2, 3), np.uint8)), path=str(tmp_path / "out.xyz"))


def test_save_image_is_a_sink_with_a_path_output():
    assert save_image.is_sink
    assert save_image.output("path").type is Path


def test_a_16_bit_image_using_little_of_its_range_is_stretched_by_default_with_a_warning(tmp_path):
    # A 12-bit camera's values in a 16-bit file: scaled by 65535 they would all be under 16.
    data = np.zeros((4, 3), np.uint16)
    data[:, 1], data[:, 2] = 2000, 4000
    path = str(tmp_path / "faint16.png")
    cv2.imwrite(path, data)

    class Warnings:
        def __init__(self):
            self.messages = []

        def warn(self, message):
            self.messages.append(message)

    ctx = Warnings()
    loaded = load_image(path=path, stretch="auto", ctx=ctx).data[0, :, 0].tolist()
    assert loaded == [0, 128, 255]
    assert len(ctx.messages) == 1 and "faint16.png" in ctx.messages[0] and "stretch: false" in ctx.messages[0]
    assert load_image(path=path, stretch=False).data.max() <= 16  # the old scaling, on request


def test_a_16_bit_image_using_its_range_is_not_stretched(tmp_path):
    data = np.zeros((2, 2), np.uint16)
    data[0, 0], data[1, 1] = 1000, 60000
    path = str(tmp_path / "full16.png")
    cv2.imwrite(path, data)
    assert load_image(path=path, stretch="auto").data[1, 1, 0] == round(60000 * 255 / 65535)
