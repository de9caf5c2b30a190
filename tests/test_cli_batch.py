"""`thyra run --over GLOB --bind NODE.PARAM`: one run of a graph per input file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COINS_PNG = REPO / "thyra_graph" / "samples" / "coins.png"
GRAPH = """\
thyra: 1
name: batch
nodes:
  load:   {type: io.load_image, params: {path: placeholder.png}}
  gray:   {type: image.to_gray, inputs: {image: load.image}}
  save:   {type: io.save_image, inputs: {image: gray.image}, params: {path: 'out/{stem}_gray.png'}}
"""


def thyra(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / ("thyra.exe" if os.name == "nt" else "thyra")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "thyra_graph.cli"]
    env = dict(os.environ, THYRA_CACHE_DIR=str(cwd / "cache"), XDG_DATA_HOME=str(cwd / "xdg"), NO_COLOR="1")
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def make_inputs(folder: Path) -> list[Path]:
    (folder / "photos").mkdir()
    paths = [folder / "photos" / name for name in ("a.png", "b c.png", "ü.png")]
    for path in paths:
        shutil.copy(COINS_PNG, path)
    (folder / "graph.yaml").write_text(GRAPH, encoding="utf-8")
    return paths


def test_over_runs_once_per_matching_file_and_fills_stem_in_output_paths(tmp_path):
    inputs = make_inputs(tmp_path)
    done = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "ok"
    assert [Path(run["input"]).name for run in report["runs"]] == sorted(p.name for p in inputs)
    for path in inputs:
        assert (tmp_path / "out" / f"{path.stem}_gray.png").is_file()


def test_over_reruns_are_cached_per_input(tmp_path):
    make_inputs(tmp_path)
    args = ("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--json")
    assert thyra(*args, cwd=tmp_path).returncode == 0
    again = json.loads(thyra(*args, cwd=tmp_path).stdout)
    for run in again["runs"]:
        assert {n["status"] for n in run["nodes"].values()} == {"cached"}


def test_over_without_matches_or_without_bind_is_a_usage_error(tmp_path):
    make_inputs(tmp_path)
    nothing = thyra("run", "graph.yaml", "--over", "videos/*.mp4", "--bind", "load.path", cwd=tmp_path)
    assert nothing.returncode == 2 and "matches no file" in nothing.stderr
    unbound = thyra("run", "graph.yaml", "--over", "photos/*.png", cwd=tmp_path)
    assert unbound.returncode == 2 and "--bind" in unbound.stderr
    not_a_path = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "gray.image", cwd=tmp_path)
    assert not_a_path.returncode == 2 and "path parameter" in not_a_path.stderr
    for done in (nothing, unbound, not_a_path):
        assert "Traceback" not in done.stderr


def test_over_warns_when_every_input_would_write_the_same_file(tmp_path):
    make_inputs(tmp_path)
    (tmp_path / "graph.yaml").write_text(GRAPH.replace("'out/{stem}_gray.png'", "out/gray.png"), encoding="utf-8")
    done = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "same output files" in done.stderr


def test_a_failing_input_fails_the_batch_but_the_others_run(tmp_path):
    inputs = make_inputs(tmp_path)
    inputs[1].write_bytes(b"not an image")
    done = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--json", cwd=tmp_path)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert [run["status"] for run in report["runs"]] == ["ok", "failed", "ok"]


def test_a_folder_of_images_exports_into_one_coco_file(tmp_path):
    """export.coco with merge: true over --over inputs: one dataset, one COCO image per file."""
    from pycocotools.coco import COCO

    inputs = make_inputs(tmp_path)
    (tmp_path / "graph.yaml").write_text("""\
thyra: 1
name: folder-to-coco
nodes:
  load:      {type: io.load_image, params: {path: placeholder.png}}
  gray:      {type: image.to_gray, inputs: {image: load.image}}
  threshold: {type: image.threshold, inputs: {image: gray.image}, params: {method: adaptive, block_size: 101, offset: 15}}
  fill:      {type: image.morphology, inputs: {mask: threshold.mask}, params: {operation: fill_holes}}
  coins:     {type: image.contours, inputs: {mask: fill.mask}, params: {min_area: 300}}
  coco:      {type: export.coco, inputs: {instances: coins.instances, image: load.image}, params: {path: out/dataset.json, merge: true}}
""", encoding="utf-8")
    done = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    dataset = COCO(str(tmp_path / "out" / "dataset.json"))
    assert sorted(image["file_name"] for image in dataset.dataset["images"]) == sorted(p.name for p in inputs)
    counts = {len(dataset.getAnnIds(imgIds=[i])) for i in dataset.getImgIds()}
    assert len(counts) == 1 and counts.pop() > 0  # the same picture thrice: the same objects thrice
