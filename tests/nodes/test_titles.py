"""Display names: every built-in node has a title a user reads (acronyms spelt as people write
them: SAM 2, VLM, CLIP, COCO, EXR, PNG, PLY, GLB, OBJ, COLMAP, 3D), and ``thyra nodes`` shows it."""

from __future__ import annotations

import re

from thyra_graph.cli import main
from thyra_graph.engine.declaration import Output, node
from thyra_graph.nodes.builtin import THYRA_NODES
from thyra_graph.types import Number

# How the generated names spelt them ("Sam2 points", "Vlm", "Exr", "Coco", "Render 3d").
GENERATED = re.compile(r"\b(Sam2|sam2|Vlm|vlm|Clip|Coco|coco|Exr|Png|png|Ply|ply|Glb|Obj|Colmap|colmap|Sfm|Mvs|Vggt|Csv|3d)\b")


def test_no_built_in_title_keeps_a_generated_acronym():
    bad = {spec.id: spec.title for spec in THYRA_NODES if GENERATED.search(spec.title)}
    assert bad == {}


def test_titles_tell_same_named_nodes_apart():
    titles = [spec.title for spec in THYRA_NODES]
    assert sorted(t for t in titles if titles.count(t) > 1) == []
    by_id = {spec.id: spec.title for spec in THYRA_NODES}
    assert by_id["segment.sam2_points"] == "SAM 2 points"
    assert by_id["label.vlm"] == "Label with VLM"


def test_a_declared_title_wins_and_an_undeclared_one_is_generated_from_the_id():
    def f():
        pass

    assert node("lab.detect_sam2", title="Detect with SAM 2", outputs=[Output("n", Number)])(f).title == "Detect with SAM 2"
    assert node("lab.detect_things", outputs=[Output("n", Number)])(f).title == "Detect things"


def test_thyra_nodes_lists_each_node_with_its_title(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path))
    assert main(["nodes"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "segment.sam2_points" in line)
    assert "SAM 2 points: Segment the objects you click on" in line
