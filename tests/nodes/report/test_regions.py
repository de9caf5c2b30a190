"""What both reports say about a region: the same id, box, area, label and prompt points."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.report.regions import first_words, prompt_points, regions_of
from thyra_graph.types import Instances


def test_regions_are_numbered_from_one_with_tight_boxes_and_areas():
    masks = np.zeros((2, 20, 30), bool)
    masks[0, 2:6, 3:9] = True
    regions = regions_of(Instances(masks, scores=[0.5, 0.25]), prefix="D")
    assert [r.id for r in regions] == ["D1", "D2"]
    assert regions[0].box == (3, 2, 9, 6) and regions[0].area == 24 and regions[0].score == 0.5
    assert regions[1].box is None and regions[1].area == 0


def test_a_region_without_a_label_is_named_by_its_class():
    masks = np.ones((3, 4, 4), bool)
    instances = Instances(masks, class_ids=[1, 2, 0], labels=["", "tabby", ""], classes={1: "cat", 2: "dog"})
    assert [r.label for r in regions_of(instances)] == ["cat", "tabby", ""]


def test_prompt_points_are_read_from_the_forms_segmenters_record():
    assert prompt_points({"point": [10, 20], "source": "grid"}) == [(10.0, 20.0, 1)]
    assert prompt_points({"prompt": {"points": [[1, 2, 1], [3, 4, 0]], "box": [0, 0, 5, 5]}}) == [
        (1.0, 2.0, 1), (3.0, 4.0, 0)]
    assert prompt_points({"points": [[5, 6]], "point": [5, 6]}) == [(5.0, 6.0, 1)]  # the same point once


def test_malformed_prompt_records_are_ignored_rather_than_failing_a_report():
    assert prompt_points({"point": "centre", "prompt": {"points": [[1, 2, 7], [None, 1]]}}) == []
    assert prompt_points({"point": [float("nan"), 1.0]}) == []


def test_first_words_cut_long_descriptions():
    assert first_words("a red   mug\non a table", 3) == "a red mug …"
    assert first_words("short", 3) == "short"
