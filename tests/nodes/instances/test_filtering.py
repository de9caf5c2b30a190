"""instances.filter: keep or drop by class, area and score, then the top-k."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.instances.filtering import filter_instances, take


def kept(result) -> list[str]:
    return result["instances"].descriptions


def test_keep_classes_by_name_or_id(street):
    assert kept(filter_instances(street, keep_classes=["car"])) == ["a", "b", "f"]
    assert kept(filter_instances(street, keep_classes=[2, "PERSON"])) == ["c", "d"]


def test_drop_classes_removes_them(street):
    result = filter_instances(street, drop_classes=["car", "truck"])
    assert kept(result) == ["d", "e"] and result["count"].value == 2


def test_min_area_and_min_score(street):
    assert kept(filter_instances(street, min_area=30)) == ["a", "c", "d", "f"]
    assert kept(filter_instances(street, min_score=0.7)) == ["a", "c", "d", "f"]


def test_top_k_keeps_the_best_scores_in_their_original_order_and_ties_keep_the_earlier(street):
    assert kept(filter_instances(street, top_k=2)) == ["a", "d"]
    assert kept(filter_instances(street, top_k=3)) == ["a", "c", "d"]  # c and f tie at 0.7: c is earlier


def test_filters_combine_and_carry_everything_that_belongs_to_an_object(street):
    result = filter_instances(street, keep_classes=["car"], min_area=20)["instances"]
    assert result.class_ids.tolist() == [1, 1] and result.scores.tolist() == pytest.approx([0.9, 0.7])
    assert result.labels == ["car", "car"] and result.extra == [{"n": 0}, {"n": 5}]
    assert np.array_equal(result.masks, street.masks[[0, 5]])
    assert result.classes == street.classes
    result.validate()


def test_an_unknown_class_name_is_warned_about(street, ctx):
    assert kept(filter_instances(street, keep_classes=["bus"], ctx=ctx)) == []
    assert any("'bus'" in w and "'car'" in w for w in ctx.warnings)


def test_a_bad_class_reference_is_refused(street):
    with pytest.raises(NodeError, match=r"keep_classes: \[1\] is not a class"):
        filter_instances(street, keep_classes=[[1]])


def test_take_refuses_an_index_out_of_range(street):
    with pytest.raises(NodeError, match="out of range"):
        take(street, [6])
