"""export.panoptic: COCO panoptic PNG + JSON, checked with hotcoco's PQ (panopticapi's protocol)."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest
from hotcoco import panoptic as hotcoco_panoptic  # the maintained PQ implementation (a dev dependency)

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.panoptic import id_to_rgb, panoptic, rgb_to_id
from thyra_graph.types import Files, Instances


def segment_ids(png) -> np.ndarray:
    return rgb_to_id(cv2.cvtColor(cv2.imread(str(png), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))


def pq(truth, prediction) -> dict:
    evaluation = hotcoco_panoptic.PanopticEval(str(truth), str(prediction), gt_folder=str(truth.with_suffix("")),
                                               pred_folder=str(prediction.with_suffix("")))
    evaluation.evaluate()
    return evaluation.results()


def test_the_export_scores_pq_1_against_itself(scene, tmp_path):
    result = panoptic(scene, path=str(tmp_path / "pan.json"), stuff_classes=["sky"])
    assert isinstance(result, Files) and result.path == str(tmp_path / "pan.json")
    scores = pq(tmp_path / "pan.json", tmp_path / "pan.json")
    assert scores["All"]["pq"] == pytest.approx(1.0)
    assert scores["Things"]["pq"] == pytest.approx(1.0) and scores["Stuff"]["pq"] == pytest.approx(1.0)


def test_a_broken_file_is_rejected_by_the_evaluator(scene, tmp_path):
    panoptic(scene, path=str(tmp_path / "pan.json"))
    document = json.loads((tmp_path / "pan.json").read_text())
    document["annotations"][0]["segments_info"].append(
        {"id": 99, "category_id": 1, "area": 4, "bbox": [0, 0, 2, 2], "iscrowd": 0})
    (tmp_path / "broken.json").write_text(json.dumps(document))
    shutil.copytree(tmp_path / "pan", tmp_path / "broken")
    with pytest.raises(ValueError, match="segment 99 is in segments_info but not in the mask"):
        pq(tmp_path / "pan.json", tmp_path / "broken.json")


def test_a_png_segment_missing_from_the_json_is_rejected_too(scene, tmp_path):
    panoptic(scene, path=str(tmp_path / "pan.json"))
    document = json.loads((tmp_path / "pan.json").read_text())
    document["annotations"][0]["segments_info"].pop(0)
    (tmp_path / "broken.json").write_text(json.dumps(document))
    shutil.copytree(tmp_path / "pan", tmp_path / "broken")
    with pytest.raises(ValueError):
        pq(tmp_path / "pan.json", tmp_path / "broken.json")


def test_colours_encode_ids_as_r_plus_256_g_plus_256_squared_b():
    ids = np.array([[0, 1, 255], [256, 65536 + 2, 256 ** 3 - 1]], dtype=np.int32)
    rgb = id_to_rgb(ids)
    assert rgb[1, 1].tolist() == [2, 0, 1] and rgb[1, 0].tolist() == [0, 1, 0]
    assert np.array_equal(rgb_to_id(rgb), ids)


def test_segments_match_the_png_and_things_and_stuff_are_declared(scene, tmp_path):
    panoptic(scene, path=str(tmp_path / "pan.json"), stuff_classes=["sky"])
    document = json.loads((tmp_path / "pan.json").read_text())
    ids = segment_ids(tmp_path / "pan" / "image.png")
    (annotation,) = document["annotations"]
    assert annotation["file_name"] == "image.png" and annotation["image_id"] == 1
    for segment in annotation["segments_info"]:
        region = ids == segment["id"]
        assert segment["area"] == int(region.sum())
        ys, xs = np.nonzero(region)
        assert segment["bbox"] == [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
        assert segment["iscrowd"] == 0
    assert set(np.unique(ids)) == {0} | {s["id"] for s in annotation["segments_info"]}
    assert {c["name"]: c["isthing"] for c in document["categories"]} == {"car": 1, "person": 1, "sky": 0}


def test_where_objects_overlap_the_higher_score_wins(scene, tmp_path):
    panoptic(scene, path=str(tmp_path / "pan.json"))
    ids = segment_ids(tmp_path / "pan" / "image.png")
    overlap = scene.masks[0] & scene.masks[1]
    assert (ids[overlap] == 1).all()  # segment 1 is the first car (0.9), not the person (0.6)


def test_all_objects_of_a_stuff_class_form_one_segment(tmp_path):
    masks = np.zeros((3, 10, 10), bool)
    masks[0, :2] = masks[1, 8:] = True  # two patches of sky
    masks[2, 4:6, 4:6] = True  # a bird
    panoptic(Instances(masks, [3, 3, 1], classes={1: "bird", 3: "sky"}), path=str(tmp_path / "p.json"), stuff_classes=[3])
    segments = json.loads((tmp_path / "p.json").read_text())["annotations"][0]["segments_info"]
    assert [(s["category_id"], s["area"]) for s in segments] == [(3, 40), (1, 4)]


def test_a_segment_hidden_under_higher_scores_is_dropped_with_a_warning(tmp_path, ctx):
    masks = np.zeros((2, 8, 8), bool)
    masks[0, :4, :4] = True
    masks[1, 1:3, 1:3] = True  # entirely under object 0, scored lower
    panoptic(Instances(masks, [1, 1], [0.9, 0.3]), path=str(tmp_path / "p.json"), ctx=ctx)
    assert len(json.loads((tmp_path / "p.json").read_text())["annotations"][0]["segments_info"]) == 1
    assert any("entirely covered" in w for w in ctx.warnings)


def test_no_objects_give_an_unlabeled_png_and_no_segments(empty_scene, tmp_path):
    panoptic(empty_scene, path=str(tmp_path / "p.json"))
    assert not segment_ids(tmp_path / "p" / "image.png").any()
    assert json.loads((tmp_path / "p.json").read_text())["annotations"][0]["segments_info"] == []


def test_a_series_writes_one_png_per_frame(frames, tmp_path):
    panoptic(series=frames, path=str(tmp_path / "video.json"))
    document = json.loads((tmp_path / "video.json").read_text())
    assert [i["frame_index"] for i in document["images"]] == [0, 5, 10]
    assert sorted(p.name for p in (tmp_path / "video").glob("*.png")) == [
        "frame_000000.png", "frame_000005.png", "frame_000010.png"]
    assert pq(tmp_path / "video.json", tmp_path / "video.json")["All"]["pq"] == pytest.approx(1.0)


def test_an_unknown_stuff_class_is_refused_with_the_known_ones(scene, tmp_path):
    with pytest.raises(NodeError, match="stuff_classes names 'road'.*'car', 'person', 'sky'"):
        panoptic(scene, path=str(tmp_path / "p.json"), stuff_classes=["road"])
