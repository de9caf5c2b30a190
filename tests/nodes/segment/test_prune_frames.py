"""segment.prune_frames on synthetic mask series with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.segment.prune_frames import frame_iou, keep_diverse, mask_iou, prune_frames
from thyra_graph.types import FrameSeries, Instances, Mask, Number


def square(x: int, *, y: int = 10, side: int = 10, shape=(40, 60)) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y:y + side, x:x + side] = True
    return mask


def objects(*masks_by_id: tuple[int, np.ndarray]) -> Instances:
    ids = [object_id for object_id, _ in masks_by_id]
    masks = np.stack([m for _, m in masks_by_id]) if masks_by_id else np.zeros((0, 40, 60), bool)
    return Instances(masks, class_ids=ids, extra=[{"object": i} for i in ids])


def series(items) -> FrameSeries:
    return FrameSeries.from_items((i * 2, i / 15, item) for i, item in enumerate(items))


def test_mask_iou_of_a_square_shifted_by_half_its_side_is_one_third():
    assert mask_iou(square(0), square(5)) == pytest.approx(50 / 150)


def test_two_empty_masks_are_identical():
    assert mask_iou(np.zeros((4, 4), bool), np.zeros((4, 4), bool)) == 1.0


def test_identical_frames_are_pruned_and_the_first_is_always_kept():
    still = objects((1, square(10)))
    result = prune_frames(series([still, still, still, still]))
    assert list(result["masks"].frames) == [0]
    assert list(result["table"]["kept"]) == [True, False, False, False]
    assert np.isnan(result["table"]["iou"][0])
    assert list(result["table"]["iou"][1:]) == [1.0, 1.0, 1.0]


def test_a_moved_object_is_kept():
    result = prune_frames(series([objects((1, square(10))), objects((1, square(10))), objects((1, square(30)))]))
    assert list(result["masks"].frames) == [0, 4]
    assert result["table"]["iou"][2] == 0.0


def test_a_frame_exactly_at_the_threshold_is_kept_and_one_just_above_is_dropped():
    # A 10-pixel-wide square shifted by 5 columns overlaps by IoU exactly 1/3.
    frames = series([objects((1, square(0))), objects((1, square(5)))])
    assert list(prune_frames(frames, iou_threshold=1 / 3)["table"]["kept"]) == [True, True]
    assert list(prune_frames(frames, iou_threshold=0.33)["table"]["kept"]) == [True, False]


def test_frames_are_compared_with_the_last_kept_frame_so_slow_drift_is_caught():
    # Each step moves one column (IoU 90/110 ≈ 0.82 with the neighbour, above 0.7), so compared with
    # neighbours every frame after the first would go; against the last *kept* frame the drift adds
    # up (two columns: IoU 80/120 ≈ 0.67) and every second frame is kept.
    drifting = series([objects((1, square(x))) for x in range(8)])
    kept, ious = keep_diverse((item for _, _, item in drifting), iou_threshold=0.7, per="union")
    assert kept == [True, False, True, False, True, False, True, False]
    assert ious[1] == pytest.approx(90 / 110) and ious[2] == pytest.approx(80 / 120)


def test_union_ignores_which_object_is_where_but_each_object_does_not():
    left, right = square(0), square(40)
    before = objects((1, left), (2, right))
    swapped = objects((1, right), (2, left))
    assert frame_iou(before, swapped, per="union") == 1.0
    assert frame_iou(before, swapped, per="each object") == 0.0
    result = prune_frames(series([before, swapped]), per="each object")
    assert list(result["table"]["kept"]) == [True, True]


def test_each_object_keeps_a_frame_where_an_object_appears():
    one = objects((1, square(10)))
    two = objects((1, square(10)), (2, square(40)))
    assert frame_iou(one, two, per="each object") == 0.0
    assert list(prune_frames(series([one, two]), per="each object")["table"]["kept"]) == [True, True]


def test_frames_with_no_objects_are_duplicates_of_each_other():
    empty = objects()
    result = prune_frames(series([empty, empty, objects((1, square(10)))]))
    assert list(result["table"]["kept"]) == [True, False, True]


def test_a_series_of_plain_masks_is_pruned_too():
    result = prune_frames(series([Mask(square(10)), Mask(square(10)), Mask(square(30))]))
    assert result["masks"].item_type is Mask
    assert list(result["masks"].frames) == [0, 4]


def test_pruned_series_keeps_frame_indices_times_and_items():
    moving = [objects((1, square(x))) for x in (0, 0, 20, 20)]
    source = series(moving)
    result = prune_frames(source)["masks"]
    result.validate()
    assert list(result.frames) == [0, 4]
    assert list(result.times) == pytest.approx([0.0, 2 / 15])
    assert result.items[1] is moving[2]


def test_a_series_of_numbers_is_refused_with_a_clear_message():
    numbers = FrameSeries.from_items([(0, 0.0, Number(1.0))])
    with pytest.raises(NodeError, match="Instances or Mask"):
        prune_frames(numbers)


def test_mixed_mask_sizes_are_refused():
    with pytest.raises(NodeError, match="mixes mask sizes"):
        prune_frames(series([Mask(square(0)), Mask(np.zeros((8, 8), bool))]))


def test_an_empty_series_gives_an_empty_result():
    result = prune_frames(FrameSeries.from_items([], item_type=Instances))
    assert len(result["masks"]) == 0 and len(result["table"]) == 0
