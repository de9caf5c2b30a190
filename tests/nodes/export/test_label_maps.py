"""Label maps and boxes: painted box by box, with one overlap rule for every format."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.export.label_maps import mask_boxes, paint, paint_order
from thyra_graph.types import Instances


def test_boxes_are_tight_with_exclusive_ends_and_zero_for_empty_masks():
    masks = np.zeros((3, 10, 12), bool)
    masks[0, 2:5, 3:7] = True
    masks[2, 9, 11] = True
    assert mask_boxes(Instances(masks)).tolist() == [[2, 5, 3, 7], [0, 0, 0, 0], [9, 10, 11, 12]]


def test_painting_order_puts_the_winner_last():
    instances = Instances(np.zeros((4, 2, 2), bool), scores=[0.5, 0.9, 0.5, 0.1])
    # lowest score first; equal scores (objects 0 and 2): the later one first, so the first wins
    assert paint_order(instances).tolist() == [3, 2, 0, 1]


def test_paint_gives_each_pixel_the_value_of_its_winning_object():
    masks = np.zeros((3, 4, 4), bool)
    masks[0, :3, :3] = True
    masks[1, 1:, 1:] = True
    masks[2, 0, 3] = True
    label_map = paint(Instances(masks, scores=[0.2, 0.7, 0.1]), np.array([10, 20, 30]), dtype=np.uint8)
    assert label_map.tolist() == [[10, 10, 10, 30], [10, 20, 20, 20], [10, 20, 20, 20], [0, 20, 20, 20]]
