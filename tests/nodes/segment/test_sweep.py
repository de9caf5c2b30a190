"""segment.sam2_auto: the sweeping analysis of seed 001.

Most tests run the sweep with test doubles standing in for SAM 2 (tiny_models.fake_segmenter's
RegionSegmenter, whose mask for a click is the painted region under it, and a scripted one
returning chosen masks), so the regions the algorithm must keep are known exactly. The last
tests run the node end to end with the tiny randomly initialised SAM 2.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from thyra_graph.engine.context import Cancelled, Context
from thyra_graph.nodes.segment import sweep as sweep_module
from thyra_graph.nodes.segment.segmenter import ImageEmbedding, Prediction
from thyra_graph.nodes.segment.sweep import automatic_candidates, sam2_auto, sweep
from thyra_graph.types import Image, Mask, Points
from tiny_models.fake_segmenter import RegionSegmenter, paint

# Three painted objects of different sizes on a black ground.
BIG = (slice(10, 50), slice(10, 70))      # 40 × 60
MIDDLE = (slice(60, 90), slice(80, 110))  # 30 × 30
SMALL = (slice(70, 82), slice(20, 32))    # 12 × 12
SCENE = paint((100, 120), [(1, BIG), (2, MIDDLE), (3, SMALL)])


def rect_mask(shape, where):
    mask = np.zeros(shape, bool)
    mask[where] = True
    return mask


class ScriptedSegmenter:
    """Stands in for SAM 2 by returning the given masks, one per decode call, in order."""

    key = "scripted"

    def __init__(self, masks, score=0.8):
        self.masks = list(masks)
        self.score = score
        self.calls = 0

    def embed(self, rgb):
        return ImageEmbedding({}, rgb.shape[0], rgb.shape[1], self.key)

    def decode(self, embedding, *, points=None, point_labels=None, box=None, multimask=False):
        mask = self.masks[self.calls]
        self.calls += 1
        return Prediction(mask[None], np.array([self.score], np.float32))


def run_sweep(segmenter, rgb, xy, sources=None, **options):
    embedding = segmenter.embed(rgb)
    return sweep(segmenter, embedding, np.asarray(xy, float), sources or ["grid"] * len(xy), **options)


# -- the algorithm on known answers -------------------------------------------------------------
def test_contour_candidates_find_every_object_largest_first_with_its_exact_mask():
    xy, sources = automatic_candidates(SCENE, which="contours+grid", min_contour_area=10, grid_per_side=4)
    assert sources[:3] == ["contour"] * 3 and set(sources[3:]) == {"grid"}
    result = run_sweep(RegionSegmenter(), SCENE, xy, sources, min_area=20)
    masks = [r.mask for r in result.regions]
    assert len(masks) == 3
    for mask, where in zip(masks, (BIG, MIDDLE, SMALL)):
        assert np.array_equal(mask, rect_mask(SCENE.shape[:2], where))
    assert [r.source for r in result.regions] == ["contour"] * 3
    # Every grid point on an object was skipped before decoding; the rest hit the background.
    assert result.covered + result.too_small == len(xy) - 3


def test_a_candidate_on_a_claimed_pixel_never_reaches_the_decoder():
    segmenter = RegionSegmenter()
    # Three clicks on the big object: only the first is decoded.
    result = run_sweep(segmenter, SCENE, [[20, 20], [40, 30], [60, 45]])
    assert len(result.regions) == 1 and result.covered == 2
    assert len(segmenter.decode_calls) == 1


def test_the_ignored_area_is_subtracted_so_regions_never_overlap():
    shape = (20, 20)
    first = rect_mask(shape, (slice(0, 10), slice(0, 20)))      # 200 px
    second = rect_mask(shape, (slice(6, 16), slice(0, 20)))     # 200 px, 80 already taken (40 %)
    result = run_sweep(ScriptedSegmenter([first, second]), np.zeros((*shape, 3), np.uint8),
                       [[5, 2], [5, 12]], min_area=10, max_overlap=0.5)
    assert len(result.regions) == 2
    assert np.array_equal(result.regions[1].mask, rect_mask(shape, (slice(10, 16), slice(0, 20))))
    assert not (result.regions[0].mask & result.regions[1].mask).any()
    assert np.array_equal(result.ignored, first | second)


def test_a_mask_mostly_inside_claimed_area_is_rejected():
    shape = (20, 20)
    first = rect_mask(shape, (slice(0, 10), slice(0, 20)))
    mostly_taken = rect_mask(shape, (slice(2, 12), slice(0, 20)))  # 80 % inside the first
    result = run_sweep(ScriptedSegmenter([first, mostly_taken]), np.zeros((*shape, 3), np.uint8),
                       [[5, 2], [5, 11]], min_area=10, max_overlap=0.5)
    assert len(result.regions) == 1 and result.overlapping == 1


def test_min_area_applies_after_the_claimed_pixels_are_removed():
    shape = (20, 20)
    first = rect_mask(shape, (slice(0, 10), slice(0, 20)))
    sliver = rect_mask(shape, (slice(9, 12), slice(0, 20)))  # 60 px, 40 of them new
    result = run_sweep(ScriptedSegmenter([first, sliver]), np.zeros((*shape, 3), np.uint8),
                       [[5, 2], [5, 11]], min_area=41, max_overlap=0.9)
    assert len(result.regions) == 1 and result.too_small == 1


def test_the_sweep_stops_at_max_regions():
    xy, sources = automatic_candidates(SCENE, which="contours", min_contour_area=10)
    segmenter = RegionSegmenter()
    result = run_sweep(segmenter, SCENE, xy, sources, max_regions=2, min_area=1)
    assert len(result.regions) == 2 and result.not_reached == 1
    assert len(segmenter.decode_calls) == 2


def test_the_best_of_three_masks_is_kept():
    class Multimask(ScriptedSegmenter):
        def decode(self, embedding, **prompt):
            masks = np.zeros((3, 10, 10), bool)
            masks[1, :5] = True
            return Prediction(masks, np.array([0.2, 0.9, 0.5], np.float32))

    result = run_sweep(Multimask([]), np.zeros((10, 10, 3), np.uint8), [[2, 2]], min_area=1)
    assert result.regions[0].score == pytest.approx(0.9) and result.regions[0].mask[:5].all()


def test_candidates_outside_the_image_are_counted_not_decoded():
    segmenter = RegionSegmenter()
    result = run_sweep(segmenter, SCENE, [[-5, 10], [500, 20]])
    assert result.outside == 2 and not segmenter.decode_calls and not result.regions


def test_zero_candidates_give_zero_regions():
    result = run_sweep(RegionSegmenter(), SCENE, np.zeros((0, 2)))
    assert result.regions == []


def test_progress_is_reported_per_candidate_and_can_cancel():
    seen = []
    run_sweep(RegionSegmenter(), SCENE, [[20, 20], [90, 70]], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 2), (1, 2), (2, 2)]

    def cancel(done, total):
        if done == 1:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        run_sweep(RegionSegmenter(), SCENE, [[20, 20], [90, 70]], progress=cancel)


# -- the node, with the stand-in segmenter -----------------------------------------------------
@pytest.fixture
def fake_model(monkeypatch):
    segmenter = RegionSegmenter()
    monkeypatch.setattr(sweep_module, "load_segmenter", lambda ctx, **params: segmenter)
    return segmenter


def test_node_regions_carry_their_point_source_and_order(fake_model):
    result = sam2_auto(Image(SCENE), min_contour_area=10, grid_per_side=4, min_area=20)
    instances = result["instances"]
    instances.validate()
    assert len(instances) == 3
    assert [e["order"] for e in instances.extra] == [0, 1, 2]
    assert [e["source"] for e in instances.extra] == ["contour"] * 3
    assert np.allclose([e["point"] for e in instances.extra], result["points"].xy)
    assert instances.scores.tolist() == pytest.approx([0.9] * 3)
    assert len(fake_model.embed_calls) == 1


def test_node_analyses_given_points_first(fake_model):
    given = Points(np.array([[95, 75], [5, 5]]), np.array([1, 0]))  # a click on the middle object, one negative
    instances = sam2_auto(Image(SCENE), given, candidates="contours", min_contour_area=10, min_area=20)["instances"]
    assert [e["source"] for e in instances.extra] == ["given", "contour", "contour"]
    assert np.array_equal(instances.masks[0], rect_mask(SCENE.shape[:2], MIDDLE))


def test_node_with_no_candidates_warns_and_returns_nothing(fake_model):
    ctx = Context("auto", "segment.sam2_auto")
    result = sam2_auto(Image(SCENE), candidates="none", ctx=ctx)
    assert len(result["instances"]) == 0 and result["instances"].shape == (100, 120)
    assert "no candidate points" in ctx.warnings[0]
    assert not fake_model.decode_calls


@pytest.mark.parametrize("data", [
    (SCENE.mean(axis=2)).astype(np.uint8),            # grey
    SCENE.astype(np.uint16) * 257,                     # 16-bit RGB
], ids=["grey", "16-bit"])
def test_node_accepts_grey_and_16_bit_images(fake_model, data):
    instances = sam2_auto(Image(data), candidates="contours", min_contour_area=10, min_area=20)["instances"]
    assert fake_model.embed_calls == [(100, 120)]
    assert len(instances) >= 1


def test_node_uses_a_connected_foreground_mask_for_its_contours(fake_model):
    foreground = rect_mask(SCENE.shape[:2], SMALL)
    instances = sam2_auto(Image(SCENE), mask=Mask(foreground), candidates="contours", min_contour_area=1,
                          min_area=1)["instances"]
    assert len(instances) == 1 and np.array_equal(instances.masks[0], foreground)


def test_node_can_be_cancelled(fake_model):
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        sam2_auto(Image(SCENE), ctx=Context("auto", "segment.sam2_auto", cancel_event=event))


# -- the node, end to end with the tiny SAM 2 (both backends) ----------------------------------------
def test_node_runs_the_tiny_sam2_and_encodes_the_image_once_across_runs(backend_params, sam2_ctx):
    rgb = np.random.default_rng(0).integers(0, 255, (64, 80, 3), dtype=np.uint8)
    result = sam2_auto(Image(rgb), candidates="grid", grid_per_side=3, min_area=1, max_overlap=1.0,
                       ctx=sam2_ctx, **backend_params)
    instances = result["instances"]
    instances.validate()
    assert instances.shape == (64, 80)
    assert 1 <= len(instances) == len(result["points"]) <= 9
    assert instances.masks.sum(axis=0).max() == 1  # regions never overlap
    assert {e["source"] for e in instances.extra} == {"grid"}
    assert [e["order"] for e in instances.extra] == list(range(len(instances)))
    # Other sweep settings on the same image reuse the stored embedding.
    sam2_auto(Image(rgb), candidates="grid", grid_per_side=2, min_area=5, ctx=sam2_ctx, **backend_params)
    assert len(list((sam2_ctx.store.base / "memo-sam2-embeddings").rglob("*.thyra"))) == 1
