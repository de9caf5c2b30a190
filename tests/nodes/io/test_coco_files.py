"""io.load_coco: COCO files back into objects; export → load gives the very same masks."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.export.coco import coco
from thyra_graph.nodes.io.coco_files import load_coco
from thyra_graph.types import FrameSeries, Image, Instances

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


@pytest.fixture
def objects() -> Instances:
    rng = np.random.default_rng(5)
    masks = rng.random((5, 30, 40)) > 0.6  # ragged shapes, holes, pixels on every border
    masks[3] = False
    masks[3, 10:20, 5:35] = True
    return Instances(masks, [2, 5, 2, 9, 5], [0.9, 0.8, 0.55, 0.3, 0.125], classes={2: "cat", 5: "dog", 9: "bird"})


def test_export_then_load_gives_identical_masks_classes_and_scores(objects, tmp_path):
    coco(objects, path=str(tmp_path / "c.json"), scores=True)
    loaded = load_coco(path=str(tmp_path / "c.json"))["instances"]
    assert np.array_equal(loaded.masks, objects.masks)
    assert loaded.class_ids.tolist() == objects.class_ids.tolist()
    assert loaded.scores.tolist() == objects.scores.tolist()
    assert loaded.classes == objects.classes
    assert [e["coco_id"] for e in loaded.extra] == [1, 2, 3, 4, 5]


def test_polygons_and_uncompressed_rle_are_read_too(tmp_path):
    document = {
        "images": [{"id": 7, "file_name": "x.png", "width": 6, "height": 4}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 1, "segmentation": [[1, 1, 4, 1, 4, 3, 1, 3]], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 1, "iscrowd": 1,
             "segmentation": {"size": [4, 6], "counts": [4, 4, 16]}},
        ],
        "categories": [{"id": 1, "name": "box"}],
    }
    (tmp_path / "c.json").write_text(json.dumps(document))
    loaded = load_coco(path=str(tmp_path / "c.json"))["instances"]
    assert loaded.masks[0].sum() == 6 and loaded.masks[0][1:3, 1:4].all()
    assert loaded.masks[1][:, 1].all() and loaded.masks[1].sum() == 4  # column-major: rows 0-3 of column 1
    assert loaded.extra[1]["iscrowd"] == 1 and loaded.scores.tolist() == [1.0, 1.0]


def test_the_image_comes_along_and_a_missing_one_is_a_placeholder_with_a_warning(objects, tmp_path):
    photo = np.random.default_rng(1).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "photo 1.png"), photo[:, :, ::-1])
    coco(objects, image=Image(photo, {"path": str(tmp_path / "photo 1.png")}), path=str(tmp_path / "c.json"))
    assert np.array_equal(load_coco(path=str(tmp_path / "c.json"))["image"].data, photo)
    (tmp_path / "photo 1.png").unlink()
    ctx = Context.standalone("load")
    placeholder = load_coco(path=str(tmp_path / "c.json"), ctx=ctx)["image"]
    assert placeholder.data.shape == (30, 40, 3) and placeholder.meta["placeholder"]
    assert any("not in" in w and "image_dir" in w for w in ctx.warnings)


def test_image_dir_points_at_the_images(objects, tmp_path):
    (tmp_path / "pictures").mkdir()
    cv2.imwrite(str(tmp_path / "pictures" / "image.png"), np.full((30, 40, 3), 50, np.uint8))
    coco(objects, path=str(tmp_path / "c.json"))
    image = load_coco(path=str(tmp_path / "c.json"), image_dir=str(tmp_path / "pictures"))["image"]
    assert (image.data == 50).all()


def test_one_image_of_a_video_export_is_chosen_by_name_or_id(objects, tmp_path):
    empty = Instances(np.zeros((0, 30, 40), bool))
    series = FrameSeries.from_items([(0, 0.0, objects), (4, 0.5, empty)])
    coco(series=series, path=str(tmp_path / "v.json"))
    second = load_coco(path=str(tmp_path / "v.json"), image="frame_000004.png")
    assert len(second["instances"]) == 0 and second["image"].meta["frame_index"] == 4
    assert second["image"].meta["timestamp"] == 0.5
    assert np.array_equal(load_coco(path=str(tmp_path / "v.json"), image="1")["instances"].masks, objects.masks)
    with pytest.raises(NodeError, match="no image 'nope.png'.*'frame_000000.png'"):
        load_coco(path=str(tmp_path / "v.json"), image="nope.png")


def test_a_file_that_is_not_coco_instances_is_refused(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps([{"image_id": 1, "category_id": 1, "score": 0.5}]))
    with pytest.raises(NodeError, match="not a COCO instances file"):
        load_coco(path=str(tmp_path / "results.json"))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(NodeError, match="not readable JSON"):
        load_coco(path=str(tmp_path / "bad.json"))
    with pytest.raises(NodeError, match="no COCO file at"):
        load_coco(path=str(tmp_path / "missing.json"))
