"""export.coco: files that pycocotools reads back pixel for pixel and scores perfectly."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.coco import coco
from thyra_graph.types import Image, Instances, Path

# pycocotools' decode still passes copy=False to numpy 2 (harmless, reported upstream).
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


def load(path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        return COCO(str(path))


def evaluate(ground_truth: COCO, annotations: list[dict], kind: str = "segm") -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        detections = ground_truth.loadRes(annotations)
        evaluation = COCOeval(ground_truth, detections, kind)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation.stats


def test_every_mask_comes_back_pixel_for_pixel_through_pycocotools(scene, tmp_path):
    target = tmp_path / "coco.json"
    assert coco(scene, path=str(target)) == Path(str(target))
    dataset = load(target)
    annotations = dataset.loadAnns(dataset.getAnnIds())
    assert len(annotations) == len(scene)
    for annotation, mask in zip(annotations, scene.masks):
        np.testing.assert_array_equal(dataset.annToMask(annotation), mask.astype(np.uint8))


def test_rle_area_and_box_are_what_pycocotools_computes_for_the_full_mask(scene, tmp_path):
    coco(scene, path=str(tmp_path / "coco.json"))
    document = json.loads((tmp_path / "coco.json").read_text())
    for annotation, mask in zip(document["annotations"], scene.masks):
        reference = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert annotation["segmentation"] == {"size": [60, 80], "counts": reference["counts"].decode()}
        assert annotation["area"] == int(mask_utils.area(reference)) == int(mask.sum())
        assert annotation["bbox"] == mask_utils.toBbox(reference).tolist()
        assert annotation["iscrowd"] == 0


def test_the_export_scores_ap_1_against_itself(scene, tmp_path):
    coco(scene, path=str(tmp_path / "coco.json"), scores=True)
    dataset = load(tmp_path / "coco.json")
    predictions = json.loads((tmp_path / "coco.json").read_text())["annotations"]
    assert all("score" in a for a in predictions)
    stats = evaluate(dataset, predictions)
    assert stats[0] == pytest.approx(1.0)  # AP @ IoU .50:.95
    assert stats[1] == pytest.approx(1.0)  # AP @ IoU .50
    assert evaluate(dataset, predictions, "bbox")[0] == pytest.approx(1.0)


def test_a_shifted_prediction_scores_below_1_so_the_evaluation_can_fail(scene, tmp_path):
    coco(scene, path=str(tmp_path / "truth.json"))
    moved = Instances(np.roll(scene.masks, 4, axis=1), scene.class_ids, scene.scores, classes=scene.classes)
    coco(moved, path=str(tmp_path / "moved.json"), scores=True)
    predictions = json.loads((tmp_path / "moved.json").read_text())["annotations"]
    assert evaluate(load(tmp_path / "truth.json"), predictions)[0] < 0.9


def test_images_and_categories_describe_the_source(scene, tmp_path):
    image = Image(np.zeros((60, 80, 3), np.uint8), {"path": "/photos/street 12.jpg"})
    coco(scene, image=image, path=str(tmp_path / "coco.json"))
    document = json.loads((tmp_path / "coco.json").read_text())
    assert document["images"] == [{"id": 1, "file_name": "street 12.jpg", "width": 80, "height": 60}]
    assert document["categories"] == [{"id": 1, "name": "car", "supercategory": "car"},
                                      {"id": 2, "name": "person", "supercategory": "person"},
                                      {"id": 3, "name": "sky", "supercategory": "sky"}]
    assert [a["category_id"] for a in document["annotations"]] == [1, 2, 1, 3]
    assert [a["id"] for a in document["annotations"]] == [1, 2, 3, 4]
    assert "score" not in document["annotations"][0]


def test_a_video_series_gives_one_image_per_frame_with_frame_index_and_timestamp(frames, tmp_path):
    coco(series=frames, path=str(tmp_path / "video.json"), image_name="clip_{frame:04d}.jpg")
    dataset = load(tmp_path / "video.json")
    images = dataset.loadImgs(dataset.getImgIds())
    assert [(i["file_name"], i["frame_index"], i["timestamp"]) for i in images] == [
        ("clip_0000.jpg", 0, 0.0), ("clip_0005.jpg", 5, 0.2), ("clip_0010.jpg", 10, 0.4)]
    assert [len(dataset.getAnnIds(imgIds=[i["id"]])) for i in images] == [4, 4, 0]
    second = dataset.loadAnns(dataset.getAnnIds(imgIds=[2]))
    np.testing.assert_array_equal(dataset.annToMask(second[1]), frames.items[1].masks[1])


def test_several_images_build_one_dataset_with_merge(scene, tmp_path):
    target = tmp_path / "dataset.json"
    first = Image(np.zeros((60, 80, 3), np.uint8), {"path": "a.jpg"})
    second = Image(np.zeros((60, 80, 3), np.uint8), {"path": "b.jpg"})
    coco(scene, image=first, path=str(target), merge=True)
    fewer = Instances(scene.masks[:2], scene.class_ids[:2], scene.scores[:2], classes=scene.classes)
    coco(fewer, image=second, path=str(target), merge=True)
    coco(fewer, image=first, path=str(target), merge=True)  # a.jpg again: replaced, not added
    dataset = load(target)
    names = {i["id"]: i["file_name"] for i in dataset.loadImgs(dataset.getImgIds())}
    assert sorted(names.values()) == ["a.jpg", "b.jpg"]
    per_image = {names[i]: len(dataset.getAnnIds(imgIds=[i])) for i in names}
    assert per_image == {"a.jpg": 2, "b.jpg": 2}
    assert len(set(dataset.getAnnIds())) == 4
    for annotation in dataset.loadAnns(dataset.getAnnIds()):
        np.testing.assert_array_equal(dataset.annToMask(annotation), scene.masks[(annotation["category_id"] == 2) * 1])


def test_merge_refuses_a_category_that_changed_its_name(scene, tmp_path):
    coco(scene, path=str(tmp_path / "d.json"), merge=True)
    renamed = Instances(scene.masks, scene.class_ids, scene.scores, classes={1: "truck", 2: "person", 3: "sky"})
    with pytest.raises(NodeError, match="category 1 is 'car' in the file already there but 'truck'"):
        coco(renamed, image=Image(np.zeros((60, 80, 3), np.uint8), {"path": "b.png"}), path=str(tmp_path / "d.json"), merge=True)


def test_polygons_load_in_pycocotools_and_cover_the_objects(scene, tmp_path):
    coco(scene, path=str(tmp_path / "poly.json"), segmentation="polygon", scores=True)
    dataset = load(tmp_path / "poly.json")
    for annotation, mask in zip(dataset.loadAnns(dataset.getAnnIds()), scene.masks):
        assert isinstance(annotation["segmentation"], list) and all(len(p) >= 6 for p in annotation["segmentation"])
        assert len(annotation["segmentation"]) == 1  # the ring's hole is not a second polygon
        drawn = dataset.annToMask(annotation).astype(bool)
        outer = mask if annotation["id"] != 3 else disc_filled(mask)
        assert (drawn & outer).sum() / (drawn | outer).sum() > 0.95  # outlines along pixel edges


def disc_filled(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.binary_fill_holes(mask)


def test_a_one_pixel_object_still_gets_a_polygon_with_area(tmp_path):
    masks = np.zeros((1, 10, 10), bool)
    masks[0, 4, 6] = True
    coco(Instances(masks, [1]), path=str(tmp_path / "dot.json"), segmentation="polygon")
    dataset = load(tmp_path / "dot.json")
    assert dataset.annToMask(dataset.loadAnns(dataset.getAnnIds())[0]).sum() >= 1


def test_no_objects_write_a_valid_empty_file(empty_scene, tmp_path):
    coco(empty_scene, path=str(tmp_path / "none.json"))
    dataset = load(tmp_path / "none.json")
    assert dataset.getAnnIds() == [] and len(dataset.getImgIds()) == 1
    assert dataset.loadCats(dataset.getCatIds()) == [{"id": 1, "name": "car", "supercategory": "car"}]


def test_an_object_without_pixels_is_left_out_with_a_warning(scene, tmp_path, ctx):
    masks = scene.masks.copy()
    masks[1] = False
    coco(Instances(masks, scene.class_ids, scene.scores, classes=scene.classes), path=str(tmp_path / "c.json"), ctx=ctx)
    assert len(load(tmp_path / "c.json").getAnnIds()) == 3
    assert any("empty mask" in w for w in ctx.warnings)


def test_unclassified_objects_are_written_as_category_1_object(tmp_path):
    masks = np.zeros((2, 8, 8), bool)
    masks[0, :2, :2] = masks[1, 5:, 5:] = True
    coco(Instances(masks), path=str(tmp_path / "c.json"))
    document = json.loads((tmp_path / "c.json").read_text())
    assert document["categories"] == [{"id": 1, "name": "object", "supercategory": "object"}]
    assert {a["category_id"] for a in document["annotations"]} == {1}


def test_unclassified_objects_beside_class_1_are_refused_rather_than_merged(tmp_path):
    masks = np.ones((2, 4, 4), bool)
    with pytest.raises(NodeError, match="class id 0 .*and others class id 1.*instances.remap"):
        coco(Instances(masks, [0, 1]), path=str(tmp_path / "c.json"))


def test_the_quickstart_coins_export_24_annotations(coins, tmp_path):
    image, found = coins
    coco(found, image=image, path=str(tmp_path / "coins.json"))
    dataset = load(tmp_path / "coins.json")
    assert len(dataset.getAnnIds()) == 24
    assert dataset.loadImgs(1)[0]["file_name"] == "coins.png"


def test_a_path_not_ending_in_json_is_refused(scene, tmp_path):
    with pytest.raises(NodeError, match="should end in .json"):
        coco(scene, path=str(tmp_path / "coco.txt"))


def test_a_mismatched_image_is_refused(scene, tmp_path):
    with pytest.raises(NodeError, match="the image is 10×10 but the objects were found on a 80×60 image"):
        coco(scene, image=Image(np.zeros((10, 10, 3), np.uint8)), path=str(tmp_path / "c.json"))


def test_connecting_neither_or_both_sources_is_refused(scene, frames, tmp_path):
    with pytest.raises(NodeError, match="connect either 'instances'"):
        coco(path=str(tmp_path / "c.json"))
    with pytest.raises(NodeError, match="not both"):
        coco(scene, frames, path=str(tmp_path / "c.json"))
