"""Annotation types (thyra_graph.types.annotations): Points, Boxes, Instances."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thyra_graph.types import Boxes, Instances, Points


# -- Points ------------------------------------------------------------------------------------
def test_points_round_trip_with_and_without_scales(roundtrip, same):
    plain = Points(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, 0]))
    blobs = Points(np.array([[1.0, 2.0]]), scales=np.array([3.5]))
    empty = Points(np.zeros((0, 2)))
    for points in (plain, blobs, empty):
        same(roundtrip(points), points)
    assert roundtrip(plain).scales is None


def test_points_default_to_positive_clicks():
    assert Points([[5, 6], [7, 8]]).labels.tolist() == [1, 1]


def test_points_coerce_the_clicks_a_points_parameter_holds():
    points = Points.coerce([[10.0, 20.0, 1], [30.0, 40.0, 0]])
    points.validate()
    assert points.xy.tolist() == [[10.0, 20.0], [30.0, 40.0]]
    assert points.labels.tolist() == [1, 0]
    assert Points.coerce([[1, 2]]).xy.shape == (1, 2)
    with pytest.raises(TypeError, match=r"expected Points: N×2 \(x, y\) or N×3 \(x, y, label\)"):
        Points.coerce("10,20")


def test_points_refuse_a_flat_coordinate_list():
    with pytest.raises(ValueError, match=r"Points.xy must be an N×2 array, got shape \(2,\)"):
        Points([1, 2])


@pytest.mark.parametrize("points, message", [
    (Points([[1, 2], [3, 4]], labels=[1]), "2 points but 1 labels"),
    (Points([[1, 2]], labels=[2]), "labels must be 1 .positive. or 0 .negative."),
    (Points([[1, 2]], scales=[1.0, 2.0]), "1 points but 2 scales"),
])
def test_points_validate_names_what_is_malformed(points, message):
    with pytest.raises(ValueError, match=message):
        points.validate()


def test_points_validate_catches_coordinates_replaced_after_construction():
    points = Points([[1, 2]])
    points.xy = np.zeros((1, 3))
    with pytest.raises(ValueError, match=r"N×2 array, got shape \(1, 3\)"):
        points.validate()


def test_points_nbytes_grows_and_summary_counts_positives():
    few, many = Points(np.zeros((2, 2))), Points(np.zeros((200, 2)))
    assert many.nbytes() > few.nbytes()
    assert json.loads(json.dumps(Points([[0, 0], [1, 1]], labels=[1, 0]).summary())) == {"count": 2, "positive": 1}


# -- Boxes -------------------------------------------------------------------------------------
def test_boxes_round_trip_with_scores_classes_and_labels(roundtrip, same):
    boxes = Boxes(np.array([[0, 0, 10, 5], [2, 2, 4, 8]]), np.array([0.9, 0.3]), np.array([1, 7]), ["bird", "cat"])
    same(roundtrip(boxes), boxes)
    bare = Boxes(np.zeros((0, 4)))
    same(roundtrip(bare), bare)


def test_boxes_hold_one_dtype_per_field_whatever_they_were_given():
    boxes = Boxes([[0, 0, 1, 1]], scores=[0.5], class_ids=[3])
    assert boxes.xyxy.dtype == np.float64
    assert boxes.scores.dtype == np.float32 and boxes.class_ids.dtype == np.int32


def test_boxes_coerce_a_plain_list():
    assert Boxes.coerce([[0, 0, 2, 3]]).xyxy.tolist() == [[0.0, 0.0, 2.0, 3.0]]


@pytest.mark.parametrize("boxes, message", [
    (Boxes([[5, 0, 1, 1]]), "x1 >= x0 and y1 >= y0"),
    (Boxes([[0, 0, 1, 1], [0, 0, 2, 2]], scores=[0.5]), "2 boxes but 1 scores"),
    (Boxes([[0, 0, 1, 1]], class_ids=[1, 2]), "1 boxes but 2 class_ids"),
    (Boxes([[0, 0, 1, 1]], labels=["a", "b"]), "1 boxes but 2 labels"),
])
def test_boxes_validate_names_what_is_malformed(boxes, message):
    with pytest.raises(ValueError, match=message):
        boxes.validate()


def test_boxes_refuse_the_wrong_number_of_coordinates():
    with pytest.raises(ValueError, match=r"Boxes.xyxy must be an N×4 array, got shape \(1, 2\)"):
        Boxes([[0, 0]])


def test_boxes_nbytes_grows_with_the_boxes():
    assert Boxes(np.zeros((100, 4)), scores=np.zeros(100)).nbytes() > Boxes(np.zeros((1, 4))).nbytes()
    assert json.loads(json.dumps(Boxes(np.zeros((3, 4))).summary())) == {"count": 3}


# -- Instances ---------------------------------------------------------------------------------
def _instances(n: int = 3, height: int = 6, width: int = 9) -> Instances:
    masks = np.random.default_rng(n).random((n, height, width)) > 0.6
    return Instances(masks, np.arange(n), np.linspace(1, 0.5, n), [f"obj{i}" for i in range(n)],
                     [f"a thing {i}" for i in range(n)], {i: f"class {i}" for i in range(n)},
                     [{"point": [i, i], "order": i} for i in range(n)])


def test_instances_round_trip_with_every_field(roundtrip, same):
    instances = _instances()
    back = roundtrip(instances)
    same(back, instances)
    assert back.classes == {0: "class 0", 1: "class 1", 2: "class 2"}  # int keys survive JSON


def test_instances_empty_keeps_its_image_size_through_a_record(roundtrip):
    back = roundtrip(Instances.empty(480, 640))
    assert len(back) == 0 and back.shape == (480, 640)


def test_instances_coerce_a_mask_stack_as_bool():
    instances = Instances.coerce(np.array([[[0, 2], [0, 0]]], np.uint8))
    assert instances.masks.dtype == bool and instances.class_ids.tolist() == [0]
    with pytest.raises(TypeError, match="Instances masks must be a numpy array"):
        Instances.coerce([[[0, 1]]])


@pytest.mark.parametrize("change, message", [
    ({"class_ids": np.zeros(2)}, "3 masks but 2 class_ids"),
    ({"scores": np.zeros(4)}, "3 masks but 4 scores"),
    ({"labels": ["a"]}, "3 masks but 1 labels"),
    ({"extra": [{}]}, "3 masks but 1 extra"),
    ({"extra": [{"score": np.float32(1)}, {}, {}]}, "JSON-friendly"),
])
def test_instances_validate_names_what_is_malformed(change, message):
    instances = _instances()
    for name, value in change.items():
        setattr(instances, name, value)
    with pytest.raises(ValueError, match=message):
        instances.validate()


def test_instances_validate_refuses_a_single_mask_where_a_stack_is_expected():
    with pytest.raises(ValueError, match=r"N×H×W, got shape \(6, 9\)"):
        Instances(np.zeros((6, 9), bool)).validate()


def test_instances_boxes_are_tight_around_each_mask():
    masks = np.zeros((1, 10, 10), bool)
    masks[0, 2:5, 3:8] = True
    assert Instances(masks).boxes().xyxy.tolist() == [[3, 2, 8, 5]]


def test_instances_nbytes_grows_and_summary_is_json():
    assert _instances(8).nbytes() > _instances(2).nbytes()
    summary = json.loads(json.dumps(_instances(2).summary()))
    assert summary == {"count": 2, "masks": {"shape": [2, 6, 9], "dtype": "bool"}}
