"""segment.sam2_points: masks from clicks and boxes, on a cached embedding (tiny models, CPU)."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.models.loading import ModelIdentity

pytest.importorskip("torch")
pytest.importorskip("transformers")

from thyra_graph.engine.declaration import NodeError  # noqa: E402
from thyra_graph.nodes.segment import sam2_loading  # noqa: E402
from thyra_graph.nodes.segment.sam2_points import sam2_points, sam_rgb  # noqa: E402
from thyra_graph.types import Boxes, Image, Points  # noqa: E402


def run(image, ctx, params, **kwargs):
    inputs = {k: kwargs.pop(k) for k in ("points", "boxes") if k in kwargs}
    return sam2_points(Image(image), ctx=ctx, **inputs, **params, **kwargs)


def test_clicks_on_one_object_give_one_image_sized_mask_with_its_prompt(discs, sam2_ctx, backend_params):
    result = run(discs, sam2_ctx, backend_params, clicks=[[35, 40, 1], [40, 42, 1], [5, 5, 0]])
    result.validate()
    assert result.masks.shape == (1, 96, 128)
    assert result.extra[0]["source"] == "points"
    assert result.extra[0]["prompt"]["points"] == [[35.0, 40.0, 1], [40.0, 42.0, 1], [5.0, 5.0, 0]]
    assert 0.0 <= result.scores[0] <= 1.0


def test_multimask_all_returns_three_candidates_per_object_best_first(discs, sam2_ctx, backend_params):
    result = run(discs, sam2_ctx, backend_params, clicks=[[35, 40, 1]], multimask="all")
    assert len(result) == 3
    assert [e["rank"] for e in result.extra] == [0, 1, 2]
    assert list(result.scores) == sorted(result.scores, reverse=True)


def test_object_per_point_makes_each_positive_click_its_own_object(discs, sam2_ctx, transformers_params):
    result = run(discs, sam2_ctx, transformers_params, clicks=[[35, 40, 1], [90, 55, 1], [5, 5, 0]],
                 object_per="point")
    assert len(result) == 2
    assert [e["object"] for e in result.extra] == [0, 1]
    # The negative click goes with every object.
    assert result.extra[1]["prompt"]["points"] == [[90.0, 55.0, 1], [5.0, 5.0, 0]]


def test_connected_points_are_added_to_the_clicks(discs, sam2_ctx, transformers_params):
    result = run(discs, sam2_ctx, transformers_params, clicks=[[35, 40, 1]],
                 points=Points(np.array([[38.0, 44.0]]), np.array([0])))
    assert result.extra[0]["prompt"]["points"] == [[35.0, 40.0, 1], [38.0, 44.0, 0]]


def test_each_box_is_one_object_and_boxes_past_the_border_are_clipped_with_a_warning(discs, sam2_ctx, backend_params):
    boxes = Boxes(np.array([[15.0, 20.0, 55.0, 60.0], [70.0, 35.0, 140.0, 80.0]]))
    result = run(discs, sam2_ctx, backend_params, boxes=boxes)
    assert len(result) == 2 and [e["source"] for e in result.extra] == ["box", "box"]
    assert result.extra[1]["prompt"]["box"] == [70.0, 35.0, 127.0, 80.0]
    assert any("clipped" in w for w in sam2_ctx.warnings)


def test_a_point_outside_the_image_is_an_error_naming_the_point_and_the_image_size(discs, sam2_ctx, transformers_params):
    with pytest.raises(NodeError, match=r"\(x=300, y=40\) is outside the 128×96 image"):
        run(discs, sam2_ctx, transformers_params, clicks=[[35, 40, 1], [300, 40, 1]])


def test_a_box_entirely_outside_the_image_is_an_error(discs, sam2_ctx, transformers_params):
    with pytest.raises(NodeError, match="box 0 .* lies outside the 128×96 image"):
        run(discs, sam2_ctx, transformers_params, boxes=Boxes(np.array([[200.0, 10.0, 250.0, 50.0]])))


def test_no_prompt_at_all_asks_for_a_click_or_a_connection(discs, sam2_ctx, transformers_params):
    with pytest.raises(NodeError, match="click on the object in the preview.*connect Points or Boxes"):
        run(discs, sam2_ctx, transformers_params)


def test_only_negative_clicks_ask_for_a_positive_one_in_point_mode(discs, sam2_ctx, transformers_params):
    with pytest.raises(NodeError, match="add a positive one"):
        run(discs, sam2_ctx, transformers_params, clicks=[[5, 5, 0]], object_per="point")


@pytest.mark.parametrize("image", [
    np.full((40, 50), 90, np.uint8),
    np.full((40, 50, 1), 90, np.uint8),
    np.linspace(0, 4095, 40 * 50).reshape(40, 50).astype(np.uint16),
    np.full((40, 50, 4), 90, np.uint8),
    np.random.default_rng(0).random((40, 50, 3)).astype(np.float32),
], ids=["grey", "grey-channel", "16-bit", "rgba", "float"])
def test_grey_16_bit_rgba_and_float_images_are_segmented_at_their_own_size(image, sam2_ctx, transformers_params):
    result = run(image, sam2_ctx, transformers_params, clicks=[[20, 20, 1]])
    assert result.masks.shape == (1, 40, 50)


def test_16_bit_images_are_stretched_between_their_percentiles_not_truncated():
    twelve_bit = np.linspace(0, 4095, 100 * 100).reshape(100, 100).astype(np.uint16)
    rgb = sam_rgb(twelve_bit)
    assert rgb.shape == (100, 100, 3) and rgb.dtype == np.uint8
    assert rgb.min() == 0 and rgb.max() == 255
    assert abs(int(rgb[50, 50, 0]) - 128) <= 2


def test_float_images_in_the_unit_range_are_scaled_by_255():
    assert sam_rgb(np.full((4, 4, 3), 0.5, np.float32))[0, 0, 0] == 128


def test_min_score_drops_low_quality_masks_with_a_warning(discs, sam2_ctx, transformers_params):
    result = run(discs, sam2_ctx, transformers_params, clicks=[[35, 40, 1]], min_score=1.0)
    assert len(result) == 0 and result.shape == (96, 128)
    assert any("min_score" in w for w in sam2_ctx.warnings)


def test_changing_only_the_clicks_does_not_run_the_image_encoder_again(discs, sam2_ctx, transformers_params):
    segmenter = sam2_loading.load_segmenter(sam2_ctx, **transformers_params)
    calls = []
    real_embed = segmenter.embed
    segmenter.embed = lambda rgb: calls.append(rgb.shape) or real_embed(rgb)
    first = run(discs, sam2_ctx, transformers_params, clicks=[[35, 40, 1]])
    second = run(discs, sam2_ctx, transformers_params, clicks=[[90, 55, 1]])
    assert len(calls) == 1
    assert not np.array_equal(first.masks, second.masks)


def test_unload_frees_the_model_after_the_run(discs, sam2_ctx, transformers_params):
    run(discs, sam2_ctx, {**transformers_params, "unload": True}, clicks=[[35, 40, 1]])
    assert not any(isinstance(key, ModelIdentity) and key.kind == "sam2" for key in sam2_ctx.resources.keys())
    run(discs, sam2_ctx, transformers_params, clicks=[[35, 40, 1]])
    assert any(isinstance(key, ModelIdentity) and key.kind == "sam2" for key in sam2_ctx.resources.keys())


def test_the_node_is_promptable_by_clicking_in_the_editor():
    from thyra_graph.editor.prompting import prompt_param

    assert prompt_param(sam2_points) == "clicks"


def test_decoding_a_cached_embedding_matches_the_full_transformers_forward(discs, sam2_ctx, transformers_params):
    import torch

    segmenter = sam2_loading.load_segmenter(sam2_ctx, **transformers_params)
    ours = segmenter.decode(segmenter.embed(discs), points=np.array([[35.0, 40.0], [5.0, 5.0]]),
                            point_labels=np.array([1, 0]), multimask=True)
    inputs = segmenter.processor(images=discs, input_points=[[[[35.0, 40.0], [5.0, 5.0]]]], input_labels=[[[1, 0]]],
                                 return_tensors="pt")
    with torch.inference_mode():
        output = segmenter.model(**{k: v for k, v in inputs.items() if k != "original_sizes"}, multimask_output=True)
    scores = output.iou_scores[0, 0].numpy()
    masks = segmenter.processor.post_process_masks(output.pred_masks, inputs["original_sizes"])[0][0].numpy()
    order = np.argsort(-scores, kind="stable")
    np.testing.assert_allclose(ours.scores, scores[order], rtol=1e-4, atol=1e-5)
    assert (ours.masks == masks[order]).mean() > 0.999


def test_clicks_without_a_label_are_positive_and_rows_are_never_reshaped():
    from thyra_graph.nodes.segment.sam2_points import prompt_points

    xy, labels = prompt_points([[1, 2], [3, 4], [5, 6]], None)
    assert xy.tolist() == [[1, 2], [3, 4], [5, 6]] and labels.tolist() == [1, 1, 1]
    xy, labels = prompt_points([[1, 2, 0]], Points(np.array([[7.0, 8.0]])))
    assert xy.tolist() == [[1, 2], [7, 8]] and labels.tolist() == [0, 1]
