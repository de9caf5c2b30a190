"""count.tiled: overlapping tiles, each object counted once, the same answer as untiled."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.blobs import BlobSettings, count_in_array
from thyra_graph.nodes.count.tiled import ArraySource, NpySource, count_tiled, plan_tiles, tiled
from thyra_graph.types import Image

from .conftest import disc_image


def sorted_rows(xy: np.ndarray) -> np.ndarray:
    return xy[np.lexsort(xy.T[::-1])]


@pytest.mark.parametrize("tile_size", [96, 200])
def test_tiled_finds_exactly_what_an_untiled_search_finds(clumpy_scene, tile_size):
    settings = BlobSettings(2, 6)
    whole = count_in_array(clumpy_scene.image, settings)
    tiles = count_tiled(ArraySource(clumpy_scene.image), settings, tile_size=tile_size)
    assert len(plan_tiles(clumpy_scene.image.shape, tile_size, settings)) > 4
    assert len(tiles) == len(whole)
    np.testing.assert_array_equal(sorted_rows(tiles.xy), sorted_rows(whole.xy))


def test_an_object_straddling_a_tile_border_is_counted_once():
    settings = BlobSettings(3, 10)
    core = plan_tiles((240, 320), 64, settings)[0].core
    border_x, border_y = core[3], core[1]  # the first core's right and bottom edges
    centres = [(border_x, 40.0), (border_x - 0.5, 150.0), (25.0, border_y), (border_x, border_y), (250.0, 200.0)]
    image = disc_image(centres, size=(240, 320), radius=4, noise=2)
    found = count_tiled(ArraySource(image), settings, tile_size=64)
    assert len(found) == 5
    distance = np.hypot(*(found.xy[:, None, :] - np.asarray(centres)[None]).transpose(2, 0, 1))
    assert (distance.min(axis=0) < 1.0).all()


def test_tiles_cover_the_image_with_disjoint_cores_inside_their_windows():
    settings = BlobSettings(2, 8)
    cover = np.zeros((700, 900), np.int32)
    for tile in plan_tiles(cover.shape, 256, settings):
        y0, y1, x0, x1 = tile.core
        wy0, wy1, wx0, wx1 = tile.window
        assert wy0 <= y0 and wx0 <= x0 and y1 <= wy1 and x1 <= wx1
        assert wy0 % settings.block == 0 and wx0 % settings.block == 0
        cover[y0:y1, x0:x1] += 1
    assert (cover == 1).all()


def test_a_npy_file_is_read_window_by_window_with_the_same_result(tmp_path, clumpy_scene):
    path = tmp_path / "scene.npy"
    np.save(path, clumpy_scene.image.astype(np.uint16) * 257)
    settings = BlobSettings(2, 6)
    from_disk = count_tiled(NpySource(path), settings, tile_size=200)
    in_memory = count_tiled(ArraySource(clumpy_scene.image), settings, tile_size=200)
    assert len(from_disk) == len(in_memory)
    np.testing.assert_allclose(sorted_rows(from_disk.xy), sorted_rows(in_memory.xy), atol=1e-3)


def test_the_node_takes_an_image_or_a_path_but_not_both(tmp_path):
    image = Image(disc_image([(30, 30), (100, 70)]))
    assert tiled(image, path=None, tile_size=64, min_size=3, max_size=10)["count"].value == 2
    np.save(tmp_path / "a.npy", image.data)
    assert tiled(path=str(tmp_path / "a.npy"), tile_size=64, min_size=3, max_size=10)["count"].value == 2
    with pytest.raises(NodeError, match="not both"):
        tiled(image, path=str(tmp_path / "a.npy"), tile_size=64)
    with pytest.raises(NodeError, match="needs an image"):
        tiled(path=None, tile_size=64)
    with pytest.raises(NodeError, match="no image file"):
        tiled(path=str(tmp_path / "missing.npy"), tile_size=64)


def test_big_images_take_their_noise_from_sample_windows(monkeypatch):
    import thyra_graph.nodes.count.tiled as module

    monkeypatch.setattr(module, "STATS_PIXELS", 10_000)
    monkeypatch.setattr(module, "SAMPLE_SIDE", 128)
    image = disc_image([(40, 40), (200, 150), (280, 60)], size=(240, 320), noise=3)
    assert len(count_tiled(ArraySource(image), BlobSettings(3, 10), tile_size=96)) == 3


@pytest.mark.parametrize("tile_size", [64, 100])
def test_objects_on_every_edge_and_corner_give_the_same_count_tiled_and_untiled(tile_size):
    height, width = 240, 320
    settings = BlobSettings(4, 12)
    # Centred on the outermost pixels, a pixel in, and three pixels in: corners and edges.
    centres = []
    for inset in (0.0, 1.0, 3.0):
        low_x, high_x, low_y, high_y = inset, width - 1 - inset, inset, height - 1 - inset
        centres += [(low_x, low_y), (high_x, low_y), (low_x, high_y), (high_x, high_y),
                    (low_x, 60 + 40 * inset), (high_x, 90 + 40 * inset), (100 + 40 * inset, low_y),
                    (130 + 40 * inset, high_y)]
    image = disc_image(centres, size=(height, width), radius=4, noise=2, seed=3)
    whole = count_in_array(image, settings)
    tiles = count_tiled(ArraySource(image), settings, tile_size=tile_size)
    np.testing.assert_array_equal(sorted_rows(tiles.xy), sorted_rows(whole.xy))
    # Nothing is placed outside the image or away from an object. (An object a few pixels from
    # the edge merges with its mirror image at coarse scales and is placed on the edge.)
    assert (whole.xy >= 0).all() and (whole.xy[:, 0] <= width - 1).all() and (whole.xy[:, 1] <= height - 1).all()
    distance = np.hypot(*(whole.xy[:, None, :] - np.asarray(centres)[None]).transpose(2, 0, 1))
    assert (distance.min(axis=1) <= 3.5).all()


def test_with_sizes_left_at_auto_tiled_counts_what_blobs_counts(tmp_path):
    from thyra_graph.nodes.count.blobs import blobs
    from thyra_graph.nodes.count.synthetic import family_scene

    scene = family_scene("cars 8-14 px", seed=6, width=384, height=320)
    untiled = blobs(Image(scene.image))
    np.save(tmp_path / "cars.npy", scene.image)
    from_disk = tiled(path=str(tmp_path / "cars.npy"), tile_size=128)
    assert from_disk["scale"].text == untiled["scale"].text and from_disk["scale"].text.startswith("auto:")
    np.testing.assert_array_equal(sorted_rows(from_disk["points"].xy), sorted_rows(untiled["points"].xy))
