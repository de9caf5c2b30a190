"""instances.remap: rename, renumber and merge classes; classes from free-text labels."""

from __future__ import annotations

import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.instances.remapping import remap


def test_a_new_name_keeps_the_id(street):
    result = remap(street, mapping={"car": "automobile"})
    assert result.class_ids.tolist() == street.class_ids.tolist()
    assert result.classes[1] == "automobile"


def test_unclassified_objects_get_a_class_the_way_graph_files_write_it(street):
    # YAML {0: {id: 9, name: blob}} arrives as JSON with a string key
    result = remap(street, mapping={"0": {"id": 9, "name": "blob"}})
    assert result.class_ids.tolist() == [1, 1, 2, 3, 9, 1] and result.classes[9] == "blob"
    assert 0 not in result.classes


def test_several_classes_mapped_to_one_id_are_merged(street):
    result = remap(street, mapping={"truck": {"id": 1, "name": "vehicle"}, "car": "vehicle"})
    assert result.class_ids.tolist() == [1, 1, 1, 3, 0, 1]
    assert result.classes == {1: "vehicle", 3: "person", 7: "tree"}


def test_a_bare_id_moves_a_class_and_keeps_its_name(street):
    result = remap(street, mapping={3: 30})
    assert result.class_ids.tolist()[3] == 30 and result.classes[30] == "person" and 3 not in result.classes


def test_classes_without_objects_are_renamed_too(street):
    assert remap(street, mapping={"tree": {"id": 8, "name": "plant"}}).classes[8] == "plant"


def test_drop_unmapped_keeps_only_the_mentioned_classes(street):
    result = remap(street, mapping={"person": "pedestrian"}, drop_unmapped=True)
    assert result.descriptions == ["d"] and result.classes[3] == "pedestrian"


def test_classes_from_labels_reuse_known_names_and_number_new_ones_after_the_largest(street):
    result = remap(street.__class__(street.masks, [0] * 6, street.scores, ["car", "bus", "Car", "ant", "", "bus"],
                                    classes={4: "car"}), from_labels=True)
    assert result.class_ids.tolist() == [4, 6, 4, 5, 0, 6]
    assert result.classes == {4: "car", 5: "ant", 6: "bus"}


@pytest.mark.parametrize("mapping, message", [
    ([1, 2], "mapping must be a mapping"),
    ({"car": ""}, "is not a class"),
    ({"car": {"colour": "red"}}, "is not a class"),
    ({"car": -1}, "out of range"),
    ({"": "x"}, "is not a class"),
])
def test_a_malformed_mapping_is_refused_with_an_example(street, mapping, message):
    with pytest.raises(NodeError, match=message):
        remap(street, mapping=mapping)
