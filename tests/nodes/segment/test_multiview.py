"""segment.multiview: spatial words choose the object, projection finds it in every other view.

The algorithm runs with the exact-answer scene segmenter (its masks are the rendered scene's
true object masks); the node itself runs end to end with tiny random CLIP and SAM 2 models."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.segment.multiview import Choice, multiview, segment_views
from thyra_graph.nodes.segment.multiview_consistency import View, iou
from thyra_graph.nodes.segment.spatial_words import spatial_words
from thyra_graph.types import Field, FrameSeries, Image
from tiny_models.scene_segmenter import SceneSegmenter

LEFT, MIDDLE, RIGHT = 1, 2, 3  # the rendered scene's boxes: left is nearest, right is farthest


@pytest.fixture(scope="module")
def scene():
    from thyra_graph.nodes.recon.synthetic_scene import render_scene

    return render_scene(5, (200, 150))


def run(scene, prompt: str, **choice):
    views = [View(scene.images[i], scene.depths[i], scene.cameras.intrinsics[i], scene.cameras.extrinsics[i])
             for i in range(len(scene.images))]
    segmenter = SceneSegmenter(scene.images, scene.object_ids)
    return segment_views(views, segmenter, lambda i: segmenter.embed(scene.images[i]), anchor=0,
                         relevant=list(range(len(views))), choice=Choice(prompt, **choice))


@pytest.mark.parametrize("prompt, box_id", [
    ("the box on the left", LEFT), ("the box on the right", RIGHT),
    ("the nearest box", LEFT), ("the box in the background", RIGHT), ("the farthest box on the right", RIGHT),
])
def test_spatial_words_pick_the_right_object_in_every_view(scene, prompt, box_id):
    results = run(scene, prompt)
    assert len(results) == 5
    for view, result in results.items():
        assert iou(result.mask, scene.object_ids[view] == box_id) >= 0.8, (prompt, view, result.source)


def test_a_box_in_one_view_overrides_the_words(scene):
    rows, cols = np.nonzero(scene.object_ids[0] == MIDDLE)
    results = run(scene, "the box on the left", box=[cols.min(), rows.min(), cols.max(), rows.max()])
    for view, result in results.items():
        if result.source != "not visible":
            assert iou(result.mask, scene.object_ids[view] == MIDDLE) >= 0.8, view


def test_spatial_words_are_read_from_the_prompt():
    assert spatial_words("red chair on the left side").criteria == ("left",)
    assert spatial_words("red chair on the left side").rest == "red chair"
    assert spatial_words("person in the background, centre").criteria == ("centre", "far")


def test_a_prompt_without_spatial_words_or_clip_is_a_clear_error(scene):
    with pytest.raises(NodeError, match="cannot tell which object"):
        run(scene, "a box")


def scene_inputs(scene):
    frames = FrameSeries.from_items([(i, 0.0, Image(image)) for i, image in enumerate(scene.images)])
    depths = FrameSeries.from_items([(i, 0.0, Field({"depth": d}, meta={"units": "metres"}))
                                     for i, d in enumerate(scene.depths)])
    return frames, scene.cameras, depths


def test_the_node_runs_with_tiny_clip_and_sam2(scene, use_tiny_models):
    frames, cameras, depths = scene_inputs(scene)
    rows, cols = np.nonzero(scene.object_ids[0] == LEFT)
    out = multiview(frames, cameras, depths, prompt="the box", threshold=-1.0, view=0,
                    box=[int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())])
    masks = out["masks"]
    assert masks.frames.tolist() == [0, 1, 2, 3, 4]
    assert all(item.masks.shape[1:] == (150, 200) for item in masks.items)
    assert {int(c) for item in masks.items for c in item.class_ids} <= {1}
    assert out["views"]["source"][0] == "prompt" and len(out["views"]["view"]) == 5


def test_mismatched_inputs_are_refused(scene):
    frames, cameras, depths = scene_inputs(scene)
    short = FrameSeries.from_items([(i, 0.0, item) for i, item in enumerate(depths.items[:3])])
    with pytest.raises(NodeError, match="one camera and one depth map per frame"):
        multiview(frames, cameras, short, clicks=[[10, 10, 1]], view=0, clip_model="")
    relative = FrameSeries.from_items([(i, 0.0, Field({"inverse_depth": d})) for i, d in enumerate(scene.depths)])
    with pytest.raises(NodeError, match="recon.align_depth"):
        multiview(frames, cameras, relative, clicks=[[10, 10, 1]], view=0, clip_model="")


def test_without_spatial_words_the_text_ranking_chooses(scene):
    views = [View(scene.images[i], scene.depths[i], scene.cameras.intrinsics[i], scene.cameras.extrinsics[i])
             for i in range(len(scene.images))]
    segmenter = SceneSegmenter(scene.images, scene.object_ids)

    def likes_the_middle_box(view: int, masks: np.ndarray) -> np.ndarray:  # stands in for CLIP on the crops
        return np.array([iou(m, scene.object_ids[view] == MIDDLE) for m in masks])

    results = segment_views(views, segmenter, lambda i: segmenter.embed(scene.images[i]), anchor=0,
                            relevant=[0, 1, 2], choice=Choice("the small box", grid=16),
                            rank_by_text=likes_the_middle_box)
    assert sorted(results) == [0, 1, 2]
    assert all(iou(r.mask, scene.object_ids[v] == MIDDLE) >= 0.8 for v, r in results.items())


def test_the_object_cloud_lies_on_the_object_and_leaves_out_disagreeing_views(scene):
    from thyra_graph.nodes.segment.multiview import object_cloud
    from thyra_graph.nodes.segment.multiview_consistency import ViewResult

    views = [View(scene.images[i], scene.depths[i], scene.cameras.intrinsics[i], scene.cameras.extrinsics[i])
             for i in range(len(scene.images))]
    results = run(scene, "the box on the left")
    cloud = object_cloud(views, results, agreement=0.7)
    box = scene.boxes[LEFT - 1]
    inside = np.all((cloud.points >= box.low - 0.02) & (cloud.points <= box.high + 0.02), axis=1)
    assert inside.mean() > 0.99 and cloud.colors.shape == cloud.points.shape
    results[1] = ViewResult(scene.object_ids[1] == RIGHT, 0.9, "re-prompted", agreement=0.1)  # a wrong mask
    assert len(object_cloud(views, results, agreement=0.7)) < len(cloud)
    assert np.all((object_cloud(views, results, agreement=0.7).points <= box.high + 0.02))


def test_clicks_need_their_view_and_must_lie_inside_it(scene):
    frames, cameras, depths = scene_inputs(scene)
    with pytest.raises(NodeError, match="set 'view'"):
        multiview(frames, cameras, depths, clicks=[[10, 10, 1]], clip_model="")
    with pytest.raises(NodeError, match="outside the 200×150 image"):
        multiview(frames, cameras, depths, clicks=[[500, 10, 1]], view=1, clip_model="")
