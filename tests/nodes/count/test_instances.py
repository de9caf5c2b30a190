"""count.from_instances: counting segmented objects in total and per class."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.count.instances import from_instances
from thyra_graph.types import Instances


def masks_at(boxes, shape=(40, 60)):
    masks = np.zeros((len(boxes), *shape), bool)
    for mask, (y0, y1, x0, x1) in zip(masks, boxes):
        mask[y0:y1, x0:x1] = True
    return masks


def test_counts_per_class_with_names_and_drops_small_and_unsure_objects():
    masks = masks_at([(0, 10, 0, 10), (0, 10, 20, 30), (20, 22, 0, 2), (20, 30, 40, 50)])
    instances = Instances(masks, class_ids=[1, 1, 1, 2], scores=[0.9, 0.8, 0.9, 0.2], classes={1: "car", 2: "bird"})
    result = from_instances(instances, min_area=10, min_score=0.5)
    assert result["count"].value == 2
    table = result["per_class"]
    assert table["class"] == ["car", "bird"]
    assert table["count"].tolist() == [2, 0]
    np.testing.assert_allclose(result["points"].xy, [[4.5, 4.5], [24.5, 4.5]])


def test_no_instances_count_zero():
    result = from_instances(Instances.empty(20, 30), min_area=0, min_score=0.0)
    assert result["count"].value == 0 and len(result["points"]) == 0
    result["per_class"].validate()


def test_the_quickstart_chain_then_from_instances_counts_the_24_coins(coins):
    from thyra_graph.nodes.image.color import to_gray
    from thyra_graph.nodes.image.components import contours
    from thyra_graph.nodes.image.filters import blur
    from thyra_graph.nodes.image.mask_morphology import morphology
    from thyra_graph.nodes.image.thresholding import threshold

    grey = blur(to_gray(coins), sigma=2.0)
    mask = threshold(grey, method="adaptive", block_size=101, offset=15)
    mask = morphology(morphology(mask, operation="open", radius=2), operation="fill_holes")
    instances = contours(mask, min_area=300)["instances"]
    assert from_instances(instances, min_area=300, min_score=0.0)["count"].value == 24
