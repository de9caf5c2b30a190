"""The document model (no Qt): edits go through the engine's checks, and all undo."""

from __future__ import annotations

import pytest

from thyra_graph.editor.document import Document
from thyra_graph.editor.layout import layout_missing
from thyra_graph.engine.graph import GraphError
from thyra_graph.engine.graphfile import load_graph_text

from .conftest import REPO


@pytest.fixture
def doc(registry):
    return Document.open(REPO / "graphs" / "quickstart.yaml", registry)


def test_opened_file_is_unmodified_and_keeps_its_positions(doc):
    assert not doc.modified
    assert doc.position("blur") == (480.0, 0.0)


def test_add_and_connect_then_undo_everything(doc):
    node = doc.add_node("image.blur", (10, 20))
    doc.connect("load.image", f"{node}.image")
    assert doc.graph.nodes[node].inputs == {"image": ("load", "image")}
    assert doc.modified
    doc.undo()
    doc.undo()
    assert node not in doc.graph.nodes
    assert not doc.modified
    doc.redo()
    assert doc.position(node) == (10.0, 20.0)


def test_a_type_mismatch_is_refused_naming_both_types_and_changes_nothing(doc):
    before = doc.undo_stack.index
    with pytest.raises(GraphError, match=r"\(Mask\).*\(Image\)"):
        doc.connect("threshold.mask", "gray.image")
    assert doc.undo_stack.index == before
    assert doc.graph.nodes["gray"].inputs == {"image": ("load", "image")}


def test_a_cycle_is_refused(doc):
    extra = doc.add_node("image.blur")
    doc.connect("blur.image", f"{extra}.image")
    with pytest.raises(GraphError, match="cycle"):
        doc.connect(f"{extra}.image", "gray.image")


def test_a_link_gesture_is_all_or_nothing(doc):
    with pytest.raises(GraphError):
        doc.change_links(["blur.image"], [("threshold.mask", "blur.image")])
    assert doc.graph.nodes["blur"].inputs == {"image": ("gray", "image")}


def test_removing_a_node_and_undoing_restores_its_links_params_and_position(doc):
    doc.remove_nodes(["threshold"])
    assert "mask" not in doc.graph.nodes["open"].inputs
    doc.undo()
    assert doc.graph.nodes["threshold"].inputs == {"image": ("blur", "image")}
    assert doc.graph.nodes["open"].inputs == {"mask": ("threshold", "mask")}
    assert doc.graph.params("threshold")["block_size"] == 101
    assert doc.position("threshold") == (720.0, 0.0)


def test_parameter_edits_are_typed_checked_and_undoable(doc):
    assert doc.set_param("blur", "sigma", 3)
    assert doc.graph.params("blur")["sigma"] == 3.0
    assert not doc.set_param("blur", "sigma", 3.0)  # unchanged: no undo step
    with pytest.raises(GraphError, match="sigma"):
        doc.set_param("blur", "sigma", -1.0)
    doc.undo()
    assert doc.graph.params("blur")["sigma"] == 2.0


def test_paste_makes_fresh_ids_and_keeps_inner_links(doc):
    new = doc.paste(doc.copy(["blur", "threshold"]))
    assert new == ["blur2", "threshold2"]
    assert doc.graph.nodes["threshold2"].inputs == {"image": ("blur2", "image")}
    assert doc.graph.nodes["blur2"].inputs == {}


def test_snapshot_is_independent_of_later_edits(doc):
    copy = doc.snapshot()
    doc.set_param("blur", "sigma", 5.0)
    assert copy.params("blur")["sigma"] == 2.0
    assert copy.nodes["blur"].inputs == doc.graph.nodes["blur"].inputs


def test_a_hand_written_file_gets_a_layout_by_generation(registry):
    text = """
thyra: 1
nodes:
  load: {type: io.load_image, params: {path: coins.png}}
  gray: {type: image.to_gray, inputs: {image: load.image}}
  blur: {type: image.blur, inputs: {image: load.image}}
"""
    graph = load_graph_text(text, registry).graph
    assert layout_missing(graph) == ["load", "gray", "blur"]
    positions = graph.ui["positions"]
    assert positions["load"][0] < positions["gray"][0] == positions["blur"][0]
    assert positions["gray"][1] != positions["blur"][1]


def test_save_writes_positions_under_ui_and_marks_clean(doc, tmp_path):
    doc.move_nodes({"blur": (500, 40)})
    path = doc.save(tmp_path / "copy.yaml")
    assert not doc.modified
    text = path.read_text()
    assert "blur: [500, 40]" in text or "blur: [500.0, 40.0]" in text


def test_renaming_a_node_renames_its_links_position_and_backdrop_entry_and_undoes(doc):
    doc.add_backdrop(["blur", "threshold"], "Segment")
    position = doc.position("blur")
    doc.rename_node("blur", "smooth")
    assert doc.graph.nodes["threshold"].inputs["image"] == ("smooth", "image")
    assert doc.position("smooth") == position
    assert doc.backdrops[0]["nodes"] == ["smooth", "threshold"]
    doc.undo()
    assert "blur" in doc.graph.nodes and doc.backdrops[0]["nodes"] == ["blur", "threshold"]
    assert doc.undo_stack.index == 1


def test_renaming_to_a_taken_id_raises_and_records_nothing(doc):
    with pytest.raises(GraphError, match="exists already"):
        doc.rename_node("blur", "gray")
    assert not doc.modified


def test_a_backdrop_moves_with_its_nodes_and_deleting_a_node_drops_it_from_the_backdrop(doc):
    doc.add_backdrop(["gray", "blur"])
    gray, load = doc.position("gray"), doc.position("load")
    x = doc.backdrops[0]["x"]
    doc.move_backdrop(0, 10, 5)
    assert doc.position("gray") == (gray[0] + 10, gray[1] + 5) and doc.position("load") == load
    assert doc.backdrops[0]["x"] == x + 10
    doc.remove_nodes(["gray"])
    assert doc.backdrops[0]["nodes"] == ["blur"]
    doc.undo()
    assert doc.backdrops[0]["nodes"] == ["gray", "blur"]


def test_removing_the_last_backdrop_leaves_no_backdrops_key_in_the_file(doc):
    doc.add_backdrop(["blur"])
    assert "backdrops" in doc.graph.to_data()["ui"]
    doc.remove_backdrop(0)
    assert "backdrops" not in doc.graph.to_data().get("ui", {})
