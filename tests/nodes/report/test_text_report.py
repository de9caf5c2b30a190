"""report.text: a Markdown report (and JSON beside it) listing each region's id, point, box,
area, label, description and score, with counts per label, written like every Thyra sink."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.paths import MANIFEST_NAME
from thyra_graph.nodes.report.text_report import text_report
from thyra_graph.types import Files, Image, Instances, Text


@pytest.fixture
def regions() -> Instances:
    """Three regions in a 50×40 image: two cats (one prompted at (10, 8)) and an unlabelled one."""
    masks = np.zeros((3, 40, 50), bool)
    masks[0, 5:15, 5:25] = True  # 200 px = 10 % of 2000
    masks[1, 20:30, 30:45] = True  # 150 px
    masks[2, 30:35, 0:5] = True  # 25 px
    return Instances(
        masks, scores=[0.9, 0.5, 0.7], labels=["cat", "", "cat"],
        descriptions=["A grey cat.\n\n**Overall:** fluffy | sleepy", "", ""],
        extra=[{"point": [10, 8], "source": "contour"}, {"prompt": {"points": [[35, 25, 1], [1, 1, 0]]}}, {}])


@pytest.fixture
def photo() -> Image:
    return Image(np.zeros((40, 50, 3), np.uint8), {"path": "/data/scene.png"})


def test_the_markdown_names_the_image_and_lists_every_region_with_its_facts(tmp_path, regions, photo):
    text = text_report(regions, photo, path=str(tmp_path / "report.md"))["text"].text
    assert text.startswith("# Regions in scene.png\n")
    assert "50 × 40 pixels, 3 regions" in text and "x1 and y1 exclusive" in text
    assert "| D1 | cat | 0.900 | 200 | [5, 5, 25, 15] | (10, 8) |" in text
    assert "| D3 | cat | 0.700 | 25 | [0, 30, 5, 35] |  |" in text
    d1 = text[text.index("### D1: cat"):text.index("### D2")]
    assert "- Source: contour" in d1 and "- Point: (10, 8)" in d1
    assert "- Area: 200 px (10.00 % of the image)" in d1
    assert "> A grey cat.\n>\n> **Overall:** fluffy | sleepy" in d1  # quoted, Markdown kept
    d2 = text[text.index("### D2"):text.index("### D3")]
    assert "- Point: (35, 25)" in d2 and "- Other prompt points: (1, 1) negative" in d2


def test_the_summary_counts_regions_and_area_per_label(tmp_path, regions, photo):
    text = text_report(regions, photo, path=str(tmp_path / "report.md"))["text"].text
    summary = text[text.index("## Summary"):text.index("## Regions")]
    assert "| cat | 2 | 225 | 11.25 |" in summary
    assert "| (no label) | 1 | 150 | 7.50 |" in summary
    assert summary.index("| cat") < summary.index("| (no label)")


def test_the_json_holds_the_same_facts_for_scripts(tmp_path, regions, photo):
    text_report(regions, photo, path=str(tmp_path / "report.md"))
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["image"] == {"name": "scene.png", "width": 50, "height": 40}
    assert [r["id"] for r in report["regions"]] == ["D1", "D2", "D3"]
    first = report["regions"][0]
    assert first["box"] == [5, 5, 25, 15] and first["area_px"] == 200 and first["area_percent"] == 10.0
    assert first["point"] == [10, 8] and first["label"] == "cat" and first["score"] == 0.9
    assert first["source"] == "contour" and first["description"].startswith("A grey cat.")
    assert report["regions"][1]["label"] is None and report["regions"][1]["points"] == [[35, 25, 1], [1, 1, 0]]
    assert report["summary"] == [
        {"label": "cat", "regions": 2, "area_px": 225, "area_percent": 11.25},
        {"label": None, "regions": 1, "area_px": 150, "area_percent": 7.5},
    ]


def test_both_files_are_output_so_deleting_either_reruns_the_node(tmp_path, regions):
    result = text_report(regions, path=str(tmp_path / "out" / "regions.md"))
    assert isinstance(result["text"], Text) and isinstance(result["path"], Files)
    assert result["path"].path == str(tmp_path / "out" / "regions.md")
    assert result["path"].written == [str(tmp_path / "out" / "regions.md"), str(tmp_path / "out" / "regions.json")]
    assert (tmp_path / "out" / MANIFEST_NAME).exists()


def test_json_can_be_left_out(tmp_path, regions):
    result = text_report(regions, path=str(tmp_path / "report.md"), json=False)
    assert result["path"].written == [str(tmp_path / "report.md")] and not (tmp_path / "report.json").exists()


def test_without_an_image_the_size_comes_from_the_masks_and_the_title_is_plain(tmp_path, regions):
    text = text_report(regions, path=str(tmp_path / "report.md"), title="Kitchen | survey")["text"].text
    assert text.startswith("# Kitchen | survey\n") and "50 × 40 pixels" in text


def test_ids_follow_the_prefix(tmp_path, regions):
    text = text_report(regions, path=str(tmp_path / "report.md"), prefix="R")["text"].text
    assert "### R1: cat" in text and "| R3 |" in text and "D1" not in text


def test_no_regions_make_a_short_report_saying_so(tmp_path):
    result = text_report(Instances.empty(10, 10), path=str(tmp_path / "report.md"))
    assert "0 regions" in result["text"].text and "No regions were found." in result["text"].text
    assert json.loads((tmp_path / "report.json").read_text())["regions"] == []


def test_table_cells_escape_pipes_and_a_nan_score_is_written_as_null(tmp_path):
    masks = np.zeros((1, 10, 10), bool)
    masks[0, 2:5, 2:5] = True
    text = text_report(Instances(masks, scores=[np.nan], labels=["a|b"]), path=str(tmp_path / "r.md"))["text"].text
    assert "| D1 | a\\|b | n/a |" in text
    assert json.loads((tmp_path / "r.json").read_text())["regions"][0]["score"] is None


def test_a_rerun_replaces_the_report_thyra_wrote(tmp_path, regions):
    target = tmp_path / "report.md"
    text_report(regions, path=str(target))
    text_report(Instances.empty(40, 50), path=str(target))
    assert "No regions were found." in target.read_text(encoding="utf-8")


def test_a_file_thyra_did_not_write_is_never_overwritten_unless_asked(tmp_path, regions):
    (tmp_path / "report.json").write_text("my own notes")
    with pytest.raises(NodeError, match=r"not written by Thyra.*'report.json'.*overwrite: true"):
        text_report(regions, path=str(tmp_path / "report.md"))
    assert not (tmp_path / "report.md").exists() and (tmp_path / "report.json").read_text() == "my own notes"
    text_report(regions, path=str(tmp_path / "report.md"), overwrite=True)
    assert json.loads((tmp_path / "report.json").read_text())["regions"][0]["id"] == "D1"


def test_a_path_that_is_not_markdown_is_refused_with_an_example(tmp_path, regions):
    with pytest.raises(NodeError, match=r"should be a Markdown file ending in .md, e.g. out/report.md"):
        text_report(regions, path=str(tmp_path / "report.json"))


def test_instances_of_another_size_than_the_image_are_refused(tmp_path, regions):
    with pytest.raises(NodeError, match="50×40 pixels but the image is 20×20"):
        text_report(regions, Image(np.zeros((20, 20, 3), np.uint8)), path=str(tmp_path / "r.md"))
