"""Kept links between nodes that did load (a type mismatch) are drawn dashed too, and a broken
node's new place is saved like any node's."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from .conftest import COINS, REPO  # noqa: E402


def test_a_refused_link_between_loaded_nodes_is_drawn_dashed_and_kept(window, tmp_path):
    text = (REPO / "graphs" / "quickstart.yaml").read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix())
    text = text.replace("inputs: {instances: coins.instances, image: load.image}", "inputs: {instances: coins.instances, image: fill.mask}")
    path = tmp_path / "mismatch.yaml"
    path.write_text(text)
    assert window.open_file(path)
    assert "coco" in window.document.graph.nodes and "image" not in window.document.graph.nodes["coco"].inputs
    [link] = window.canvas.broken.links
    assert link.source is window.canvas.node("fill").outputs()["mask"].view
    assert link.target is window.canvas.node("coco").inputs()["image"].view
    assert "coco.image" in link.toolTip()
    window.save()
    assert path.read_text() == text


def test_a_moved_broken_node_is_saved_at_its_new_place(window, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("thyra: 1\nnodes:\n  fancy: {type: acme.nothing}\nui:\n  positions:\n    fancy: [0, 0]\n")
    assert window.open_file(path)
    window.document.move_nodes({"fancy": (200.0, 40.0)})
    window.document.undo()
    window.document.redo()
    assert tuple(window.canvas.broken.nodes["fancy"].pos()) == (200.0, 40.0)
    window.save()
    assert "fancy: [200.0, 40.0]" in path.read_text()



def test_a_new_node_does_not_land_on_a_broken_one(window, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("thyra: 1\nnodes:\n  fancy: {type: acme.nothing}\nui:\n  positions:\n    fancy: [0, 0]\n")
    assert window.open_file(path)
    blur = window.canvas.add_node("image.blur", (10.0, 10.0))
    broken = window.canvas.broken.nodes["fancy"].view.sceneBoundingRect()
    assert not window.canvas.node(blur).view.sceneBoundingRect().intersects(broken)


def test_a_loaded_nodes_misspelt_param_and_refused_link_are_shown_read_only_with_why(window, tmp_path):
    from PySide6 import QtWidgets

    text = (REPO / "graphs" / "quickstart.yaml").read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix())
    text = text.replace("params: {sigma: 2.0}", "params: {sigma: 2.0, sigmaa: 3.0}")
    text = text.replace("inputs: {instances: coins.instances, image: load.image}", "inputs: {instances: coins.instances, image: fill.mask}")
    path = tmp_path / "typos.yaml"
    path.write_text(text)
    assert window.open_file(path)
    window.canvas.select(["blur"])
    [box] = window.properties.widget().findChildren(QtWidgets.QGroupBox)
    [field] = box.findChildren(QtWidgets.QLineEdit)
    assert (field.text(), field.isReadOnly()) == ("3.0", True)
    assert "unknown parameter 'sigmaa'" in field.toolTip()
    window.canvas.select(["coco"])
    [box] = window.properties.widget().findChildren(QtWidgets.QGroupBox)
    [field] = box.findChildren(QtWidgets.QLineEdit)
    assert field.text() == "← fill.mask" and "type mismatch" in field.toolTip()
    window.canvas.select(["gray"])
    assert window.properties.widget().findChildren(QtWidgets.QGroupBox) == []
