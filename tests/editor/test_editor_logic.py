"""The editor's Qt-free logic: palette search, typed parameter text, node states,
previews by type, click prompts, recent files and autosave recovery."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.editor.catalog import Catalog
from thyra_graph.editor.param_values import format_value, parse_text
from thyra_graph.editor.previews import IMAGE, TABLE, TEXT, Background, render
from thyra_graph.editor.prompting import apply_click, prompt_param
from thyra_graph.editor.recent_files import RecentFiles
from thyra_graph.editor.recovery import Recovery
from thyra_graph.editor.run_states import CACHED, DONE, FAILED, QUEUED, RUNNING, RunStates
from thyra_graph.engine import events as ev
from thyra_graph.engine.declaration import Param, ParamError
from thyra_graph.engine.graph import Graph
from thyra_graph.types import DensityMap, Image, Instances, Mask, Number, Table


def test_search_ranks_name_matches_first_and_lists_plugin_nodes(registry):
    catalog = Catalog(registry)
    assert catalog.search("thresh")[0].type_id == "image.threshold"
    assert any(e.type_id == "editortest.click_mask" for e in catalog.search("click"))
    assert "image" in catalog.by_category()


def test_typed_text_becomes_a_checked_value_or_a_reason():
    number = Param("sigma", 1.0, min=0.0, max=10.0)
    assert parse_text(number, " 2.5 ") == 2.5
    with pytest.raises(ParamError, match="out of range"):
        parse_text(number, "11")
    with pytest.raises(ParamError, match="not a number"):
        parse_text(number, "abc")
    assert parse_text(Param("limit", None, kind="int"), "") is None
    points = Param("points", [], kind="points")
    assert parse_text(points, "10, 20\n30 40 0") == [[10.0, 20.0, 1], [30.0, 40.0, 0]]
    assert parse_text(points, format_value(points, [[1.5, 2.0, 0]])) == [[1.5, 2.0, 0]]
    assert parse_text(Param("tint", "#ff0000", kind="color"), "#00ff00") == [0, 255, 0]


def test_states_follow_the_engine_events():
    states = RunStates()
    states.apply(ev.Event(ev.PLANNED, data={"execute": ["a", "b"], "cached": ["c"], "skipped": []}))
    assert states.get("a").status == QUEUED
    states.apply(ev.Event(ev.CACHED, "c", {"source": "memory"}))
    states.apply(ev.Event(ev.STARTED, "a"))
    states.apply(ev.Event(ev.PROGRESS, "a", {"done": 1, "total": 4, "message": ""}))
    assert states.get("a").status == RUNNING and states.get("a").badge == "running 25%"
    states.apply(ev.Event(ev.FINISHED, "a", {"seconds": 0.012}))
    states.apply(ev.Event(ev.FAILED, "b", {"error": "boom", "seconds": 0.1}))
    assert (states.get("a").badge, states.get("c").status) == ("done 12 ms", CACHED)
    assert states.get("b").status == FAILED and states.get("b").message == "boom"
    states.mark_stale({"a"})
    assert states.get("a").badge == "changed" and states.get("a").status not in (DONE,)


def test_previews_are_chosen_by_type():
    rgb = np.zeros((20, 30, 3), np.uint8)
    assert render(Image(rgb)).kind == IMAGE
    mask = np.zeros((20, 30), bool)
    mask[5:10, 5:10] = True
    overlay = render(Mask(mask), Background(rgb))
    assert overlay.image.shape == (20, 30, 3) and overlay.image[7, 7].any() and not overlay.image[0, 0].any()
    instances = render(Instances(mask[None]))
    assert "1 objects" in instances.caption
    density = render(DensityMap(np.full((4, 4), 0.5, np.float32)))
    assert density.kind == IMAGE and "count 8.0" in density.caption
    assert render(Table({"a": [1, 2]})).kind == TABLE
    assert render(Number(24)).text == "24"
    assert render(Number(3)).kind == TEXT


def test_a_long_videos_compact_mask_series_previews_frame_by_frame():
    from thyra_graph.types.series import InstancesSeriesBuilder

    builder = InstancesSeriesBuilder(20, 30)
    for frame in range(3):
        mask = np.zeros((1, 20, 30), bool)
        mask[0, 5:10, frame * 5:frame * 5 + 5] = True
        builder.append(frame * 2, frame * 0.1, Instances(mask, class_ids=[1]))
    preview = render(builder.finish())
    assert preview.frame_count == 3 and "frame 0" in preview.caption
    third = preview.frame(2)
    assert "frame 4" in third.caption and "1 objects" in third.caption


def test_clicks_add_positive_and_negative_points_and_remove_near_ones(registry):
    assert prompt_param(registry["editortest.click_mask"]) == "points"
    assert prompt_param(registry["image.blur"]) is None
    points = apply_click([], 10, 10)
    points = apply_click(points, 50, 50, negative=True)
    assert points == [[10.0, 10.0, 1], [50.0, 50.0, 0]]
    assert apply_click(points, 12, 11) == [[50.0, 50.0, 0]]


def test_recent_files_newest_first_without_duplicates(tmp_path):
    recent = RecentFiles(tmp_path / "config")
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("x")
    b.write_text("x")
    recent.add(a)
    recent.add(b)
    recent.add(a)
    assert recent.list() == [a.resolve(), b.resolve()]


def test_autosave_is_found_again_and_keeps_the_graph_folder(registry, tmp_path):
    recovery = Recovery(tmp_path / "config")
    graph = Graph(registry, name="g", base_dir=tmp_path / "project")
    graph.add_node("io.load_image", "load", params={"path": "coins.png"})
    document_path = tmp_path / "project" / "g.yaml"
    file = recovery.write(graph, document_path)
    assert recovery.pending(document_path) == file
    text, base_dir = recovery.read(file)
    assert base_dir == (tmp_path / "project").resolve() and "coins.png" in text
    recovery.discard(document_path)
    assert recovery.pending(document_path) is None
