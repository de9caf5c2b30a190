"""segment.crop_segment: boxes → padded, enlarged crops → masks placed back in the frame.

tiny_models.fake_segmenter.RegionSegmenter stands in for SAM 2: given a box it returns the
painted region covering most of the box in the (enlarged) crop it was shown, so the mask that
must land in the frame is known to the pixel. The last test runs the tiny SAM 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.nodes.segment import crop_segment as crop_module
from thyra_graph.nodes.segment.crop_segment import crop_segment, crop_window, mask_to_crop, segment_boxes
from thyra_graph.types import Boxes, Image
from tiny_models.fake_segmenter import RegionSegmenter, paint

SHAPE = (120, 200)
SMALL = (slice(50, 63), slice(80, 97))        # 13 × 17 px, in the middle
AT_LEFT_TOP = (slice(0, 20), slice(0, 25))    # touching the top-left corner
AT_RIGHT_BOTTOM = (slice(95, 120), slice(170, 200))
SCENE = paint(SHAPE, [(1, SMALL), (2, AT_LEFT_TOP), (3, AT_RIGHT_BOTTOM)])


def rect(where):
    mask = np.zeros(SHAPE, bool)
    mask[where] = True
    return mask


def tight_box(where):
    return [where[1].start, where[0].start, where[1].stop, where[0].stop]


def test_the_crop_window_is_padded_by_a_fraction_or_the_minimum_and_clipped():
    assert crop_window((80, 50, 97, 63), *SHAPE, padding=0.5, min_padding=2) == (71, 41, 106, 72)  # 0.5 × 17 = 8.5
    assert crop_window((80, 50, 97, 63), *SHAPE, padding=0.0, min_padding=5) == (75, 45, 102, 68)
    assert crop_window((0, 0, 25, 20), *SHAPE, padding=0.2, min_padding=5) == (0, 0, 30, 25)


def test_a_small_objects_mask_lands_exactly_where_the_object_is():
    segmenter = RegionSegmenter()
    found = segment_boxes(segmenter, SCENE, np.array([tight_box(SMALL)]), padding=0.3, min_side=150)
    assert np.array_equal(found[0].mask, rect(SMALL))
    # The model saw the crop enlarged, not at its own 13 × 17 px size.
    assert max(segmenter.embed_calls[0]) == 150


@pytest.mark.parametrize("where", [AT_LEFT_TOP, AT_RIGHT_BOTTOM], ids=["top-left", "bottom-right"])
def test_boxes_at_and_past_the_image_border_are_clipped_and_still_land_exactly(where):
    x0, y0, x1, y1 = tight_box(where)
    loose = np.array([[x0 - 15, y0 - 10, x1 + 15, y1 + 10]])  # reaches past the image edges
    found = segment_boxes(RegionSegmenter(), SCENE, loose, padding=0.1, min_side=97)
    assert np.array_equal(found[0].mask, rect(where))


def test_the_box_prompt_is_given_in_enlarged_crop_coordinates():
    segmenter = RegionSegmenter()
    segment_boxes(segmenter, SCENE, np.array([[80, 50, 100, 70]]), padding=0.0, min_padding=10, min_side=80,
                  centre_point=True)
    call = segmenter.decode_calls[0]
    # Crop (70, 40)-(110, 80) is 40 × 40, enlarged ×2.
    assert call["size"] == (80, 80)
    assert call["box"] == [20.0, 20.0, 60.0, 60.0]
    # The box centre (90, 60) is pixel-centre (89.5, 59.5); in the crop ×2: (39.5, 39.5).
    assert call["points"] == [[39.5, 39.5]] and call["labels"] == [1]


def test_a_large_crop_is_not_resized():
    segmenter = RegionSegmenter()
    found = segment_boxes(segmenter, SCENE, np.array([tight_box(SMALL)]), padding=0.0, min_padding=4, min_side=16)
    assert segmenter.embed_calls == [(21, 25)]
    assert np.array_equal(found[0].mask, rect(SMALL))


def test_mask_to_crop_reads_the_enlarged_pixel_under_each_crop_pixel_centre():
    big = np.zeros((9, 9), bool)
    big[3:6, 3:6] = True  # the middle crop pixel of a 3 × 3 crop enlarged ×3
    assert mask_to_crop(big, 3, 3).tolist() == [[False] * 3, [False, True, False], [False] * 3]


def test_boxes_outside_the_image_or_without_area_give_no_mask():
    found = segment_boxes(RegionSegmenter(), SCENE, np.array([[300, 10, 340, 30], [10, 10, 10, 30], [-50, -50, -1, -1]]))
    assert [f.problem for f in found] == ["outside", "empty", "outside"]
    assert all(f.mask is None for f in found)


# -- the node ------------------------------------------------------------------------------------
@pytest.fixture
def fake_model(monkeypatch):
    segmenter = RegionSegmenter(scores={1: 0.7})
    monkeypatch.setattr(crop_module, "load_segmenter", lambda ctx, **params: segmenter)
    return segmenter


def test_node_carries_class_ids_labels_and_scores_over_from_the_boxes(fake_model):
    boxes = Boxes(np.array([tight_box(SMALL), tight_box(AT_RIGHT_BOTTOM)], float), scores=[0.95, 0.6],
                  class_ids=[2, 5], labels=["rat", "cage"])
    instances = crop_segment(Image(SCENE), boxes, min_side=128)
    instances.validate()
    assert instances.class_ids.tolist() == [2, 5] and instances.labels == ["rat", "cage"]
    assert instances.scores.tolist() == pytest.approx([0.95, 0.6])
    assert instances.classes == {2: "rat", 5: "cage"}
    assert instances.extra[0]["mask_score"] == pytest.approx(0.7) and instances.extra[0]["box_index"] == 0
    assert np.array_equal(instances.masks[0], rect(SMALL))
    assert np.array_equal(instances.masks[1], rect(AT_RIGHT_BOTTOM))


def test_node_without_box_scores_uses_the_mask_score(fake_model):
    instances = crop_segment(Image(SCENE), Boxes(np.array([tight_box(SMALL)], float)))
    assert instances.scores.tolist() == pytest.approx([0.7])


def test_node_skips_boxes_outside_the_image_with_a_warning_and_keeps_the_rest(fake_model):
    ctx = Context("crop", "segment.crop_segment")
    boxes = Boxes(np.array([[500, 500, 520, 520], tight_box(SMALL), [30, 30, 30, 40]], float), class_ids=[1, 2, 3])
    instances = crop_segment(Image(SCENE), boxes, ctx=ctx)
    assert len(instances) == 1 and instances.class_ids.tolist() == [2] and instances.extra[0]["box_index"] == 1
    assert any("outside the 200×120 image" in w and "box index 0" in w for w in ctx.warnings)
    assert any("no area" in w and "box index 2" in w for w in ctx.warnings)


def test_node_with_no_boxes_returns_no_instances_without_loading_a_model(monkeypatch):
    monkeypatch.setattr(crop_module, "load_segmenter", lambda ctx, **params: pytest.fail("loaded a model"))
    instances = crop_segment(Image(SCENE), Boxes(np.zeros((0, 4))))
    assert len(instances) == 0 and instances.shape == SHAPE


@pytest.mark.parametrize("data", [SCENE[:, :, 0], SCENE.astype(np.uint16) * 257], ids=["grey", "16-bit"])
def test_node_accepts_grey_and_16_bit_images(fake_model, data):
    instances = crop_segment(Image(data), Boxes(np.array([tight_box(SMALL)], float)))
    assert instances.shape == SHAPE
    assert all(len(shape) == 2 and shape[0] >= 1 for shape in fake_model.embed_calls)


def test_node_runs_the_tiny_sam2_on_each_crop_and_keeps_masks_inside_their_crops(backend_params, sam2_ctx):
    rgb = np.random.default_rng(2).integers(0, 255, (90, 120, 3), dtype=np.uint8)
    boxes = Boxes(np.array([[10, 10, 40, 30], [90, 60, 130, 100]], float), class_ids=[1, 2])
    instances = crop_segment(Image(rgb), boxes, min_side=64, ctx=sam2_ctx, **backend_params)
    instances.validate()
    assert instances.shape == (90, 120)
    assert len(instances) >= 1 and instances.class_ids.tolist() == [e["box_index"] + 1 for e in instances.extra]
    for mask, extra in zip(instances.masks, instances.extra):
        x0, y0, x1, y1 = extra["crop"]
        outside = mask.copy()
        outside[y0:y1, x0:x1] = False
        assert not outside.any()
