"""Saving a graph that loaded with problems writes back everything it could not load, as written."""

from __future__ import annotations

import difflib

import pytest

from thyra_graph.engine.graphfile import load_graph_file, save_graph
from thyra_graph.nodes.discovery import discover

HAND_WRITTEN = """\
thyra: 1
name: coins
# Counting coins: a hand-written graph with a few mistakes in it.
nodes:
  load:   {type: io.load_image, params: {path: coins.png}}   # the sample
  gray:   {type: image.to_gray, inputs: {image: load.image}}
  blur:
    type: image.blur
    inputs: {image: gray.image}
    params:
      sigma: 2.0      # tuned by hand
      sigmaa: 3.0     # a typo
  fancy:  {type: acme.super_resolution, params: {scale: 4}}  # a plugin not installed here
  masks:  {type: image.threshold, inputs: {image: load.path}, params: {method: otsu}}
  odd:    {type: image.blur, colour: red, params: {sigma: lots}}
extra_key: [kept, too]
"""


@pytest.fixture(scope="module")
def registry():
    return discover(user_plugins=False)


def load(tmp_path, registry, text=HAND_WRITTEN):
    path = tmp_path / "coins.yaml"
    path.write_text(text)
    loaded = load_graph_file(path, registry)
    assert loaded.graph is not None and not loaded.ok  # it has problems, and loads its valid part
    return path, loaded.graph


def test_an_unedited_save_gives_back_the_file_byte_for_byte(tmp_path, registry):
    path, graph = load(tmp_path, registry)
    assert "fancy" not in graph.nodes and "sigmaa" not in graph.params("blur")
    save_graph(graph, path)
    assert path.read_text() == HAND_WRITTEN


def test_editing_one_param_changes_one_line_and_keeps_every_broken_part(tmp_path, registry):
    path, graph = load(tmp_path, registry)
    graph.set_param("blur", "sigma", 1.5)
    save_graph(graph, path)
    changed = [line for line in difflib.unified_diff(HAND_WRITTEN.splitlines(), path.read_text().splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-      sigma: 2.0      # tuned by hand", "+      sigma: 1.5      # tuned by hand"]


def test_a_fresh_file_holds_the_broken_parts_too(tmp_path, registry):
    _, graph = load(tmp_path, registry)
    graph.document = None  # as when saving a graph made in code: no original text to patch
    target = tmp_path / "elsewhere" / "copy.yaml"
    save_graph(graph, target)
    again = load_graph_file(target, registry)
    text = target.read_text()
    for part in ("acme.super_resolution", "sigmaa: 3.0", "image: load.path", "colour: red", "sigma: lots", "extra_key"):
        assert part in text
    assert sorted(d.node or "" for d in again.errors) == sorted(d.node or "" for d in load_graph_file(tmp_path / "coins.yaml", registry).errors)


def test_what_the_user_sets_wins_over_what_was_kept(tmp_path, registry):
    path, graph = load(tmp_path, registry)
    graph.set_param("odd", "sigma", 4.0)  # the refused 'lots' is replaced
    graph.connect("gray.image", "masks.image")  # the mismatched link is replaced
    save_graph(graph, path)
    text = path.read_text()
    assert "sigma: lots" not in text and "sigma: 4.0" in text
    assert "image: load.path" not in text and "image: gray.image" in text


def test_removing_a_node_removes_what_was_kept_for_it_and_renaming_keeps_it(tmp_path, registry):
    path, graph = load(tmp_path, registry)
    graph.remove_node("odd")
    graph.rename_node("blur", "smooth")
    save_graph(graph, path)
    text = path.read_text()
    assert "colour: red" not in text and "odd" not in text
    assert "smooth:" in text and "sigmaa: 3.0" in text
