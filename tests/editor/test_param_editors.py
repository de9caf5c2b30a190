"""What the declaration tells the editor, shown without real input (faster; any platform):
display names in the palette, search and canvas; greyed params that do not apply; list params
as rows; spin steps by the param's scale. The gestures themselves are tested with real mouse
and key events in real_input/test_param_editing.py."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6 import QtWidgets  # noqa: E402

from thyra_graph.editor.list_editor import ListEditor, read_scalar, row_kind  # noqa: E402
from thyra_graph.editor.type_caption import TypeCaption  # noqa: E402
from thyra_graph.engine.declaration import DeclarationError, Param  # noqa: E402


def palette_titles(window) -> list[str]:
    tree = window.palette.tree
    return [tree.topLevelItem(i).child(j).text(0)
            for i in range(tree.topLevelItemCount()) for j in range(tree.topLevelItem(i).childCount())]


def test_palette_search_and_canvas_show_the_declared_display_name(window):
    titles = palette_titles(window)
    assert any(t.startswith("SAM 2 points") for t in titles)  # "(unavailable)" where sam2 is missing
    assert not [t for t in titles if t.startswith(("Sam2", "Vlm", "Exr", "Coco"))]
    window.search.open_at_cursor()
    window.search.line.setText("sam 2 points")
    assert window.search.results.item(0).text() == "SAM 2 points  —  segment.sam2_points"
    window.search.hide()
    node_id = window.document.add_node("segment.sam2_points", (0, 0))
    captions = [c.text() for c in window.canvas.node(node_id).view.childItems() if isinstance(c, TypeCaption)]
    assert captions == ["SAM 2 points"]
    assert "SAM 2 points" in window.canvas.node(node_id).view.toolTip()


def test_a_param_that_does_not_apply_is_greyed_with_the_reason_and_follows_its_controller(window):
    document = window.document
    node_id = document.add_node("image.threshold", (0, 0))
    window.canvas.select([node_id])
    panel = window.properties
    value, block = panel.editor("value"), panel.editor("block_size")
    assert not value.input.isEnabled() and not panel.labels["value"].isEnabled()
    assert value.toolTip().startswith("Not used: applies only when method is fixed (now otsu).")
    document.set_param(node_id, "method", "fixed")
    assert value.input.isEnabled() and value.toolTip().startswith("grey level")
    assert not block.input.isEnabled()
    document.undo()
    assert not value.input.isEnabled() and not block.input.isEnabled()


def test_list_params_get_rows_and_nested_values_keep_the_yaml_box(window):
    document = window.document
    kept = document.add_node("instances.filter", (0, 0))
    window.canvas.select([kept])
    rows = window.properties.editor("keep_classes").field
    assert isinstance(rows, ListEditor) and rows.kind == "scalar" and rows.rows == []
    rows.add_row()
    assert document.graph.params(kept)["keep_classes"] == []  # an empty text row is nothing yet
    rows.rows[0].fields[0].setText("3")
    rows.rows[0].fields[0].editingFinished.emit()
    rows.add_row()
    rows.rows[1].fields[0].setText("car")
    rows.rows[1].fields[0].editingFinished.emit()
    assert document.graph.params(kept)["keep_classes"] == [3, "car"]  # an id and a name
    assert [(r.buttons[0].isEnabled(), r.buttons[1].isEnabled()) for r in rows.rows] == [(False, True), (True, False)]
    rows.move_row(rows.rows[1], -1)
    assert document.graph.params(kept)["keep_classes"] == ["car", 3]
    rows.remove_row(rows.rows[1])
    assert document.graph.params(kept)["keep_classes"] == ["car"]
    for expected in (["car", 3], [3, "car"], [3], []):  # each edit was one undo step
        document.undo()
        assert document.graph.params(kept)["keep_classes"] == expected
        assert rows.value() == expected

    solve = document.add_node("sim.wave_solve", (300, 0))
    window.canvas.select([solve])
    assert isinstance(window.properties.editor("sources").field, QtWidgets.QPlainTextEdit)  # list of mappings


def test_number_and_point_rows_are_spin_boxes(window):
    document = window.document
    cloud = document.add_node("pointcloud.normals", (0, 0))
    window.canvas.select([cloud])
    towards = window.properties.editor("towards").field
    assert towards.kind == "number" and len(towards.rows) == 3
    assert all(isinstance(row.fields[0], QtWidgets.QDoubleSpinBox) for row in towards.rows)
    towards.rows[2].fields[0].setValue(1.5)
    assert document.graph.params(cloud)["towards"] == [0.0, 0.0, 1.5]

    sam = document.add_node("segment.sam2_points", (300, 0))
    window.canvas.select([sam])
    clicks = window.properties.editor("clicks").field
    assert clicks.kind == "labelled_point"
    clicks.add_row()
    clicks.rows[0].fields[0].setValue(40)
    clicks.rows[0].fields[2].setCurrentIndex(1)
    clicks.rows[0].fields[2].activated.emit(1)
    assert document.graph.params(sam)["clicks"] == [[40.0, 0.0, 0]]


def test_a_value_the_rows_cannot_hold_brings_back_the_yaml_box(window):
    document = window.document
    clip = document.add_node("label.clip", (0, 0), params={"classes": "cat, dog"})  # CLIP's string form
    window.canvas.select([clip])
    assert isinstance(window.properties.editor("classes").field, QtWidgets.QPlainTextEdit)
    document.set_param(clip, "classes", ["cat", "dog"])
    window.canvas.select([])
    window.canvas.select([clip])
    editor = window.properties.editor("classes")
    assert isinstance(editor.field, ListEditor) and editor.field.value() == ["cat", "dog"]
    document.undo()
    assert isinstance(editor.field, QtWidgets.QPlainTextEdit) and editor.field.toPlainText() == '"cat, dog"'


def test_row_kinds_come_from_the_declaration_or_from_the_values():
    assert row_kind(Param("box", [], kind="json", items="number"), []) == "number"
    assert row_kind(Param("names", [], kind="json"), ["a", 2]) == "scalar"
    assert row_kind(Param("xs", [], kind="json"), [1, 2.5]) == "number"
    assert row_kind(Param("xs", [], kind="json"), []) is None  # nothing says what a row holds
    assert row_kind(Param("sources", [], kind="json"), [{"type": "swell"}]) is None
    assert row_kind(Param("mapping", {}, kind="json"), {}) is None
    assert row_kind(Param("classes", [], kind="json", items="text"), "cat, dog") is None  # the string form
    assert row_kind(Param("clicks", [], kind="points"), [[1, 2, 1]]) == "labelled_point"
    assert [read_scalar(t) for t in ("3", "0.5", "car", "nan")] == [3, 0.5, "car", "nan"]


def test_items_is_only_for_json_lists():
    with pytest.raises(DeclarationError, match="items= applies to kind='json' lists"):
        Param("n", 1, items="number")
    with pytest.raises(DeclarationError, match="must be one of number, int, text, scalar, point"):
        Param("xs", [], kind="json", items="floats")


def test_spin_boxes_in_the_panel_step_by_the_params_scale(window):
    document = window.document
    node_id = document.add_node("image.threshold", (0, 0))
    clean = document.add_node("pointcloud.clean", (300, 0))
    window.canvas.select([node_id])
    assert window.properties.editor("value").field.singleStep() == 1
    window.canvas.select([clean])
    radius = window.properties.editor("radius").field
    assert (radius.singleStep(), radius.decimals(), radius.value()) == (0.001, 3, 0.05)


def test_a_file_picked_in_the_dialog_is_written_portably(window, monkeypatch, tmp_path):
    """A bundled sample becomes samples:NAME for a param that reads, a file beside the graph
    is written relative to it, and the dialog opens where the current value points."""
    from thyra_graph.engine.samples import SAMPLES_DIR

    document = window.document
    document.graph.base_dir = tmp_path
    load, save = document.add_node("io.load_image", (0, 0)), document.add_node("io.save_image", (200, 0))
    opened_at = []

    def pick(answer):
        def dialog(parent, caption, start, *rest):
            opened_at.append(start)
            return str(answer), ""
        return dialog

    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", pick(SAMPLES_DIR / "coins.png"))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", pick(tmp_path / "out" / "coins.png"))
    for node_id, param in ((load, "path"), (save, "path")):
        window.canvas.select([node_id])
        window.properties.editor(param)._browse()
    assert document.graph.nodes[load].params["path"] == "samples:coins.png"
    assert document.graph.nodes[save].params["path"] == "out/coins.png"
    window.canvas.select([load])
    window.properties.editor("path")._browse()
    assert opened_at[-1] == str(SAMPLES_DIR / "coins.png")
