"""Saving from the editor edits the file that was opened: a hand-written graph keeps its
comments, blank lines, quoting and layout, and each edit shows in ``git diff`` as its own lines."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from thyra_graph.editor.document import Document
from thyra_graph.engine.graph import Graph

HAND_WRITTEN = """\
# Count the coins. Tuned by hand: see the notes on each node.
thyra: 1
name: "coins, by hand"

nodes:
  # the sample that ships with Thyra
  load:      {type: io.load_image, params: {path: "../samples/coins.png"}}
  gray:      {type: image.to_gray, inputs: {image: load.image}}

  blur:
    type: image.blur
    inputs:
      image: gray.image
    params:
      sigma: 2.0   # px; 3 merges touching coins

  threshold:
    type: image.threshold
    inputs: {image: blur.image}
    params: {method: adaptive, block_size: 101, offset: 15}
ui:
  positions:
    load: [0, 0]
    gray: [240, 0]
    blur: [480, 0]
    threshold: [720, 0]
"""


@pytest.fixture
def path(tmp_path) -> Path:
    path = tmp_path / "graphs" / "coins.yaml"
    path.parent.mkdir()
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return path


def saved_diff(document: Document, path: Path) -> list[str]:
    document.save()
    after = path.read_text(encoding="utf-8")
    diff = difflib.unified_diff(HAND_WRITTEN.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_open_set_a_param_save_is_a_one_line_diff(path, registry):
    document = Document.open(path, registry)
    assert document.set_param("blur", "sigma", 3.0)

    assert saved_diff(document, path) == [
        "-      sigma: 2.0   # px; 3 merges touching coins",
        "+      sigma: 3.0   # px; 3 merges touching coins",
    ]
    assert not document.modified


def test_open_and_save_without_edits_writes_the_same_bytes(path, registry):
    assert saved_diff(Document.open(path, registry), path) == []


def test_undoing_an_edit_before_saving_leaves_the_file_as_it_was(path, registry):
    document = Document.open(path, registry)
    document.set_param("threshold", "offset", 20)
    document.undo()

    assert saved_diff(document, path) == []


def test_two_saves_in_a_row_keep_only_the_edits(path, registry):
    document = Document.open(path, registry)
    document.set_param("blur", "sigma", 3.0)
    document.save()
    document.set_param("threshold", "offset", 20)

    assert saved_diff(document, path) == [
        "-      sigma: 2.0   # px; 3 merges touching coins",
        "+      sigma: 3.0   # px; 3 merges touching coins",
        "-    params: {method: adaptive, block_size: 101, offset: 15}",
        "+    params: {method: adaptive, block_size: 101, offset: 20.0}",  # a float param
    ]


def test_adding_a_node_adds_its_lines_only(path, registry):
    document = Document.open(path, registry)
    node = document.add_node("image.contours", (960, 0), node_id="coins")
    document.connect("threshold.mask", f"{node}.mask")

    diff = saved_diff(document, path)

    assert [line for line in diff if line.startswith("-")] == []
    assert diff[:3] == ["+  coins:", "+    type: image.contours", "+    version: 1"]
    assert "+    inputs: {mask: threshold.mask}" in diff
    assert diff[-1].startswith("+    coins: [960")


def test_removing_a_node_removes_its_lines_only(path, registry):
    document = Document.open(path, registry)
    document.remove_nodes(["threshold"])

    assert saved_diff(document, path) == [
        "-  threshold:",
        "-    type: image.threshold",
        "-    inputs: {image: blur.image}",
        "-    params: {method: adaptive, block_size: 101, offset: 15}",
        "-    threshold: [720, 0]",
    ]


def test_renaming_a_node_changes_the_lines_that_name_it(path, registry):
    document = Document.open(path, registry)
    document.rename_node("blur", "smooth")

    assert saved_diff(document, path) == [
        "-  blur:", "+  smooth:",
        "-    inputs: {image: blur.image}", "+    inputs: {image: smooth.image}",
        "-    blur: [480, 0]", "+    smooth: [480, 0]",
    ]


def test_moving_a_node_changes_its_position_line_only(path, registry):
    document = Document.open(path, registry)
    document.move_nodes({"gray": (250, 40)})

    diff = saved_diff(document, path)

    assert diff[0] == "-    gray: [240, 0]" and diff[1].startswith("+    gray: [250") and len(diff) == 2


def test_a_new_graph_saves_in_the_standard_layout(tmp_path, registry):
    document = Document(registry, Graph(registry, name="untitled", base_dir=tmp_path))
    document.add_node("io.load_image", (0, 0), node_id="load", params={"path": "coins.png"})

    document.save(tmp_path / "new.yaml")

    assert (tmp_path / "new.yaml").read_text(encoding="utf-8") == (
        "thyra: 1\n"
        "name: new\n"
        "nodes:\n"
        "  load:\n"
        "    type: io.load_image\n"
        "    version: 1\n"
        "    params: {path: coins.png}\n"
        "ui:\n"
        "  positions:\n"
        "    load: [0.0, 0.0]\n"
    )
