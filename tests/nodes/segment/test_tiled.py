"""segment.tiled: tiles with overlap, and stitching the pieces of one object back together.

Stitching is tested on synthetic pieces cut from known objects, and the whole tiled run with
tiny_models.fake_segmenter.RegionSegmenter standing in for SAM 2 (a click's mask is the painted
region under it, cut at the tile's edge as a model seeing only the tile would), so every
answer is known exactly. The last test runs the node with the tiny randomly initialised SAM 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.store import Store
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.segment import tiled as tiled_module
from thyra_graph.nodes.segment.tiled import Piece, segment_tiled, stitch, tile_grid, tile_starts, tiled
from thyra_graph.types import Image, Points
from tiny_models.fake_segmenter import RegionSegmenter, paint

SHAPE = (200, 300)
TILE, OVERLAP = 128, 32  # starts at 0, 72 (rows) and 0, 96, 172 (columns)


def rect(where, shape=SHAPE):
    mask = np.zeros(shape, bool)
    mask[where] = True
    return mask


def pieces_of(objects, tiles, score=0.9):
    """What a model seeing one tile at a time finds: each object cut to each tile's window."""
    pieces = []
    for t in tiles:
        for mask in objects:
            local = mask[t.window]
            if local.any():
                pieces.append(Piece(t, local.copy(), score))
    return pieces


# -- the tile grid -------------------------------------------------------------------------------
def test_tiles_overlap_by_the_given_amount_and_the_last_one_ends_at_the_edge():
    assert tile_starts(300, 128, 32) == [0, 96, 172]
    assert tile_starts(100, 128, 32) == [0]
    tiles = tile_grid(*SHAPE, tile=TILE, overlap=OVERLAP)
    assert len(tiles) == 6
    covered = np.zeros(SHAPE, int)
    for t in tiles:
        covered[t.window] += 1
        assert (t.y1 - t.y0, t.x1 - t.x0) == (TILE, TILE)
    assert covered.min() == 1


def test_an_overlap_as_large_as_the_tile_is_refused():
    with pytest.raises(ValueError, match="smaller than the tile"):
        tile_grid(100, 100, tile=64, overlap=64)


# -- stitching synthetic pieces -----------------------------------------------------------------
TILES = tile_grid(*SHAPE, tile=TILE, overlap=OVERLAP)
ACROSS_TWO = rect((slice(10, 40), slice(60, 150)))      # crosses the first vertical seam only
ACROSS_FOUR = rect((slice(50, 150), slice(150, 250)))   # crosses a vertical and the horizontal seam
IN_THE_BAND = rect((slice(20, 40), slice(100, 120)))    # lies wholly where two tiles overlap


def test_an_object_across_two_tiles_becomes_one_instance_with_the_exact_union():
    objects = stitch(pieces_of([ACROSS_TWO], TILES), SHAPE)
    assert len(objects) == 1 and np.array_equal(objects[0].mask, ACROSS_TWO)
    assert objects[0].tiles == [(0, 0), (0, 1)]


def test_an_object_across_four_tiles_becomes_one_instance_with_the_exact_union():
    pieces = pieces_of([ACROSS_FOUR], TILES)
    assert len(pieces) >= 4
    objects = stitch(pieces, SHAPE)
    assert len(objects) == 1 and np.array_equal(objects[0].mask, ACROSS_FOUR)


def test_an_object_found_twice_in_the_shared_band_is_kept_once():
    objects = stitch(pieces_of([IN_THE_BAND], TILES), SHAPE)
    assert len(objects) == 1 and np.array_equal(objects[0].mask, IN_THE_BAND)


def test_separate_objects_side_by_side_across_a_seam_stay_separate():
    left = rect((slice(100, 180), slice(60, 110)))
    right = rect((slice(100, 180), slice(111, 160)))   # touching the left one, both crossing the seam
    far = rect((slice(150, 190), slice(260, 290)))
    objects = stitch(pieces_of([left, right, far], TILES), SHAPE)
    assert len(objects) == 3
    assert sorted(int(o.mask.sum()) for o in objects) == sorted(int(m.sum()) for m in (left, right, far))
    for o in objects:
        assert any(np.array_equal(o.mask, m) for m in (left, right, far))


def test_pieces_that_disagree_in_the_shared_band_are_not_merged():
    a, b = TILES[0], TILES[1]  # share columns 96..128
    first = np.zeros((TILE, TILE), bool)
    first[10:30, 90:128] = True
    second = np.zeros((TILE, TILE), bool)
    second[10:80, 0:32] = True  # in the band: 20 rows of the first against 70 rows: IoU 0.29
    objects = stitch([Piece(a, first, 0.9), Piece(b, second, 0.8)], SHAPE, merge_iou=0.5)
    assert len(objects) == 2
    assert len(stitch([Piece(a, first, 0.9), Piece(b, second, 0.8)], SHAPE, merge_iou=0.25)) == 1


def test_the_stitched_score_is_the_best_piece_score():
    pieces = pieces_of([ACROSS_TWO], TILES)
    pieces[0].score = 0.5
    assert stitch(pieces, SHAPE)[0].score == pytest.approx(0.9)


# -- the whole tiled run, with the stand-in segmenter -------------------------------------------
SCENE = paint(SHAPE, [(1, ACROSS_TWO), (2, ACROSS_FOUR), (3, (slice(160, 190), slice(20, 60)))])
SMALL_ONE = rect((slice(160, 190), slice(20, 60)))


def test_a_tiled_sweep_returns_every_painted_object_whole_and_once():
    segmenter = RegionSegmenter()
    objects = segment_tiled(segmenter, SCENE, tile=TILE, overlap=OVERLAP, grid_per_side=8, min_area=50)
    assert len(objects) == 3
    for o, expected in zip(sorted(objects, key=lambda o: o.mask.sum()), (SMALL_ONE, ACROSS_TWO, ACROSS_FOUR)):
        assert np.array_equal(o.mask, expected)
    assert len(segmenter.embed_calls) == len(TILES)


def test_a_piece_below_min_area_is_kept_when_it_reaches_a_seam_so_the_object_stays_whole():
    wide = rect((slice(8, 20), slice(80, 135)))  # 660 px; 468 of them in the second tile, 7 columns only there
    objects = segment_tiled(RegionSegmenter(), paint(SHAPE, [(4, wide)]), tile=TILE, overlap=OVERLAP,
                            grid_per_side=8, min_area=500)
    assert len(objects) == 1 and np.array_equal(objects[0].mask, wide)


def test_objects_smaller_than_min_area_are_dropped_after_stitching():
    small = rect((slice(150, 160), slice(20, 30)))
    objects = segment_tiled(RegionSegmenter(), paint(SHAPE, [(4, small)]), tile=TILE, overlap=OVERLAP,
                            grid_per_side=16, min_area=101)
    assert objects == []


def test_given_points_are_segmented_in_every_tile_containing_them_and_merged():
    segmenter = RegionSegmenter()
    # A click in the band the first two tiles share, on the object crossing that seam.
    objects = segment_tiled(segmenter, SCENE, tile=TILE, overlap=OVERLAP, points=np.array([[110, 20]]), min_area=1)
    assert len(objects) == 1 and np.array_equal(objects[0].mask, ACROSS_TWO)
    assert objects[0].points == [(110.0, 20.0)]
    # Only tiles that contain the point were encoded.
    assert segmenter.embed_calls == [(TILE, TILE), (TILE, TILE)]


def test_negative_points_go_along_with_every_positive_one_in_their_tile():
    segmenter = RegionSegmenter()
    segment_tiled(segmenter, SCENE, tile=TILE, overlap=OVERLAP, points=np.array([[20, 20], [30, 30]]),
                  point_labels=np.array([1, 0]), min_area=1)
    assert segmenter.decode_calls[0]["labels"] == [1, 0]


def test_a_small_image_is_one_tile():
    segmenter = RegionSegmenter()
    small = paint((60, 80), [(1, (slice(10, 30), slice(10, 30)))])
    objects = segment_tiled(segmenter, small, tile=128, overlap=16, grid_per_side=4, min_area=10)
    assert len(objects) == 1 and segmenter.embed_calls == [(60, 80)]


# -- the node ----------------------------------------------------------------------------------
@pytest.fixture
def fake_model(monkeypatch):
    segmenter = RegionSegmenter()
    monkeypatch.setattr(tiled_module, "load_segmenter", lambda ctx, **params: segmenter)
    return segmenter


def test_node_returns_full_frame_instances_with_their_tiles(fake_model):
    instances = tiled(Image(SCENE), tile=TILE, overlap=OVERLAP, min_area=50)
    instances.validate()
    assert instances.shape == SHAPE and len(instances) == 3
    four = next(e for e, m in zip(instances.extra, instances.masks) if np.array_equal(m, ACROSS_FOUR))
    assert len(four["tiles"]) == 4


def test_node_refuses_an_overlap_not_smaller_than_the_tile(fake_model):
    with pytest.raises(NodeError, match="overlap"):
        tiled(Image(SCENE), tile=128, overlap=128)


def test_node_warns_about_points_outside_the_image(fake_model):
    ctx = Context("tiled", "segment.tiled")
    instances = tiled(Image(SCENE), Points(np.array([[-10, 5], [1000, 20]])), tile=TILE, overlap=OVERLAP, ctx=ctx)
    assert len(instances) == 0
    assert "outside" in ctx.warnings[0] and "no positive point" in ctx.warnings[1]


@pytest.mark.parametrize("data", [SCENE[:, :, 0], SCENE.astype(np.uint16) * 257], ids=["grey", "16-bit"])
def test_node_accepts_grey_and_16_bit_images(fake_model, data):
    instances = tiled(Image(data), tile=TILE, overlap=OVERLAP, min_area=50)
    assert instances.shape == SHAPE and len(instances) >= 1


def test_node_runs_the_tiny_sam2_on_each_tile(backend_params, sam2_ctx):
    rgb = np.random.default_rng(1).integers(0, 255, (96, 150, 3), dtype=np.uint8)
    instances = tiled(Image(rgb), tile=96, overlap=24, grid_per_side=2, min_area=1, ctx=sam2_ctx, **backend_params)
    instances.validate()
    assert instances.shape == (96, 150)
    # One embedding per tile (two tiles across, one down).
    assert len(list((sam2_ctx.store.base / "memo-sam2-embeddings").rglob("*.thyra"))) == 2


def test_one_click_follows_a_long_object_through_every_tile_it_crosses():
    # A bar from the first column of tiles to the last: clicked once, in the first tile only.
    bar = rect((slice(30, 50), slice(10, 290)))
    scene = paint(SHAPE, [(3, bar)])
    segmenter = RegionSegmenter()
    objects = segment_tiled(segmenter, scene, tile=TILE, overlap=OVERLAP, points=np.array([[20, 40]]), min_area=1)
    assert len(objects) == 1 and np.array_equal(objects[0].mask, bar)
    assert objects[0].points == [(20.0, 40.0)]
    # The first tile from the click, the middle and last columns followed across the seams; nothing else.
    assert {(r, c) for r, c in objects[0].tiles} == {(0, 0), (0, 1), (0, 2)}
    assert len(segmenter.decode_calls) == 3


def test_following_a_clicked_object_leaves_other_objects_alone():
    clicked, other = rect((slice(30, 50), slice(10, 200))), rect((slice(150, 190), slice(150, 290)))
    scene = paint(SHAPE, [(3, clicked), (1, other)])
    objects = segment_tiled(RegionSegmenter(), scene, tile=TILE, overlap=OVERLAP, points=np.array([[20, 40]]),
                            min_area=1)
    assert len(objects) == 1 and np.array_equal(objects[0].mask, clicked)
