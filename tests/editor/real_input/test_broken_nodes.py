"""A file that opened with problems shows them on the canvas: each node that did not load is
drawn broken (red outline, its id and written type, the reason), the links it was written
with are drawn dashed; it can be selected and read, deleted and brought back with the keys,
and Save writes it back as it was unless it was deleted."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from thyra_graph.editor.broken_nodes import BROKEN_BORDER, KeptLink

from ..conftest import COINS, REPO
from .conftest import click, double_click, drag, key, viewport

BROKEN_LINE = "  fancy: {type: acme.super_resolution, inputs: {image: load.image}, params: {scale: 4, mode: sharp}}\n"


def hand_written(tmp_path):
    text = (REPO / "graphs" / "quickstart.yaml").read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix())
    text = text.replace("\nnodes:\n", "\nnodes:\n" + BROKEN_LINE, 1)
    path = tmp_path / "hand.yaml"
    path.write_text(text)
    return path, text


def broken_point(window, node_id: str) -> QtCore.QPoint:
    rect = window.canvas.broken.nodes[node_id].view.sceneBoundingRect()
    return window.canvas.view.viewer().mapFromScene(QtCore.QPointF(rect.center().x(), rect.top() + 12))


def test_a_node_that_did_not_load_is_drawn_broken_with_its_reason_and_its_links(real_window, tmp_path):
    window = real_window
    path, _ = hand_written(tmp_path)
    assert window.open_file(path)
    fancy = window.canvas.broken.nodes["fancy"]
    assert fancy.view.border_color == BROKEN_BORDER
    assert fancy.name() == "fancy (acme.super_resolution)"
    assert "unknown node type 'acme.super_resolution'" in fancy.view.toolTip()
    assert list(fancy.inputs()) == ["image"]
    [link] = window.canvas.broken.links
    assert isinstance(link, KeptLink) and link.pen().style() == QtCore.Qt.DashLine
    assert link.source is window.canvas.node("load").outputs()["image"].view
    assert link.target is fancy.inputs()["image"].view

    window.canvas.fit()
    click(viewport(window), broken_point(window, "fancy"))
    assert fancy.selected()
    assert "unknown node type" in window.properties.reason_label.text()
    before = window.document.position("fancy")
    start = broken_point(window, "fancy")
    drag(viewport(window), start, start + QtCore.QPoint(60, 90))
    assert window.document.position("fancy") != before  # moved like any node (one undo step)
    QtWidgets.QApplication.processEvents()
    end = link.path().pointAtPercent(1.0)
    assert (end - fancy.inputs()["image"].view.sceneBoundingRect().center()).manhattanLength() < 1  # the link followed
    window.document.undo()
    assert window.document.position("fancy") == before
    shown = window.properties.widget().findChildren(QtWidgets.QLineEdit)
    assert [(f.text(), f.isReadOnly()) for f in shown] == [("4", True), ("sharp", True)]  # as written


def test_delete_removes_a_broken_node_undo_brings_it_back_and_save_then_drops_it(real_window, tmp_path, qtbot):
    window = real_window
    path, text = hand_written(tmp_path)
    assert window.open_file(path)
    window.canvas.fit()
    click(viewport(window), broken_point(window, "fancy"))
    key(viewport(window), QtCore.Qt.Key_Delete)
    assert "fancy" not in window.canvas.broken.nodes and "fancy" not in window.document.graph.kept.nodes
    assert window.canvas.broken.links == []
    key(viewport(window), QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)  # undo
    assert "fancy" in window.canvas.broken.nodes and len(window.canvas.broken.links) == 1
    window.save()
    assert path.read_text() == text  # undone: written back exactly as it was
    window.canvas.fit()
    click(viewport(window), broken_point(window, "fancy"))
    key(viewport(window), QtCore.Qt.Key_Delete)
    window.save()
    assert path.read_text() == text.replace(BROKEN_LINE, "")


def test_double_clicking_a_broken_nodes_title_does_not_start_renaming_it(real_window, tmp_path):
    window = real_window
    path, _ = hand_written(tmp_path)
    assert window.open_file(path)
    window.canvas.fit()
    double_click(viewport(window), broken_point(window, "fancy"))
    title = window.canvas.broken.nodes["fancy"].view.text_item
    assert title.textInteractionFlags() == QtCore.Qt.NoTextInteraction
    assert window.canvas.broken.nodes["fancy"].name() == "fancy (acme.super_resolution)"
