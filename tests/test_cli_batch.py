"""`thyra run --over INPUTS`: one run of a graph per input file or table row.

With --json, stdout carries JSON lines: one object per input as it finishes, then one for the
whole batch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COINS_PNG = REPO / "thyra_graph" / "samples" / "coins.png"
BIKES_MP4 = REPO / "thyra_graph" / "samples" / "bikes.mp4"
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
    env = dict(os.environ, THYRA_CACHE_DIR=str(cwd / "cache"), XDG_DATA_HOME=str(cwd / "xdg"), NO_COLOR="1", COLUMNS="200")
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def json_lines(done: subprocess.CompletedProcess) -> tuple[list[dict], dict]:
    """The per-input lines (in input order) and the batch's closing line."""
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    runs, summary = lines[:-1], lines[-1]
    assert "graph" in summary and all("input" in run for run in runs), done.stdout
    return sorted(runs, key=lambda run: run["index"]), summary


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
    runs, summary = json_lines(done)
    assert summary["status"] == "ok" and summary["ok"] == 3
    assert [Path(run["input"]).name for run in runs] == sorted(p.name for p in inputs)
    for path in inputs:
        assert (tmp_path / "out" / f"{path.stem}_gray.png").is_file()


def test_over_reruns_are_cached_per_input(tmp_path):
    make_inputs(tmp_path)
    args = ("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--json")
    assert thyra(*args, cwd=tmp_path).returncode == 0
    runs, _ = json_lines(thyra(*args, cwd=tmp_path))
    for run in runs:
        assert {n["status"] for n in run["nodes"].values()} == {"cached"}


def test_a_folder_as_over_runs_every_file_in_it(tmp_path):
    inputs = make_inputs(tmp_path)
    done = thyra("run", "graph.yaml", "--over", "photos", "--bind", "load.path", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json_lines(done)[0]) == len(inputs)


def test_bad_over_or_bind_is_a_usage_error_and_nothing_runs(tmp_path):
    make_inputs(tmp_path)
    over = ("run", "graph.yaml", "--over", "photos/*.png")
    cases = {
        "matches no file": thyra("run", "graph.yaml", "--over", "videos/*.mp4", "--bind", "load.path", cwd=tmp_path),
        "--bind": thyra(*over, cwd=tmp_path),
        "path parameter": thyra(*over, "--bind", "save.overwrite", cwd=tmp_path),
        "no node 'lod'": thyra(*over, "--bind", "lod.path", cwd=tmp_path),
        "has no parameter 'paht'": thyra(*over, "--bind", "load.paht", cwd=tmp_path),
    }
    for expected, done in cases.items():
        assert done.returncode == 2 and expected in done.stderr, (expected, done.stderr)
        assert "Traceback" not in done.stderr
    assert "did you mean 'load'" in cases["no node 'lod'"].stderr
    assert not (tmp_path / "out").exists()


def test_inputs_of_one_name_in_different_folders_are_refused_before_anything_runs(tmp_path):
    """{stem} alone would let scenes2/cars.png overwrite scenes1/cars.png: refused, both named."""
    (tmp_path / "graph.yaml").write_text(GRAPH, encoding="utf-8")
    for scene in ("scenes1", "scenes2"):
        (tmp_path / scene).mkdir()
        shutil.copy(COINS_PNG, tmp_path / scene / "cars.png")
    refused = thyra("run", "graph.yaml", "--over", "scenes*/cars.png", "--bind", "load.path", cwd=tmp_path)
    assert refused.returncode == 2
    assert os.path.join("scenes1", "cars.png") in refused.stderr and os.path.join("scenes2", "cars.png") in refused.stderr
    assert "{relpath}" in refused.stderr and not (tmp_path / "out").exists()
    by_folder = thyra("run", "graph.yaml", "--over", "scenes*/cars.png", "--bind", "load.path",
                      "--set", "save.path=out/{relpath}.png", cwd=tmp_path)
    assert by_folder.returncode == 0, by_folder.stderr
    assert (tmp_path / "out" / "scenes1" / "cars.png").is_file() and (tmp_path / "out" / "scenes2" / "cars.png").is_file()
    by_parent = thyra("run", "graph.yaml", "--over", "scenes*/cars.png", "--bind", "load.path",
                      "--set", "save.path=flat/{parent}-{stem}.png", cwd=tmp_path)
    assert by_parent.returncode == 0, by_parent.stderr
    assert sorted(p.name for p in (tmp_path / "flat").glob("*.png")) == ["scenes1-cars.png", "scenes2-cars.png"]


def test_every_input_writing_one_file_is_refused(tmp_path):
    make_inputs(tmp_path)
    (tmp_path / "graph.yaml").write_text(GRAPH.replace("'out/{stem}_gray.png'", "out/gray.png"), encoding="utf-8")
    done = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", cwd=tmp_path)
    assert done.returncode == 2 and "same file" in done.stderr


def test_a_broken_input_fails_alone_on_two_processes_and_the_summary_names_it(tmp_path):
    inputs = make_inputs(tmp_path)
    inputs[1].write_bytes(b"not an image")
    done = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--jobs", "2", "--retries", "1",
                 "--json", cwd=tmp_path)
    assert done.returncode == 1
    runs, summary = json_lines(done)
    assert [run["status"] for run in runs] == ["ok", "failed", "ok"]
    assert runs[1]["attempts"] == 2 and "load" in runs[1]["error"]
    assert summary == {**summary, "status": "failed", "ok": 2, "failed": 1}
    assert len({run["worker"] for run in runs}) >= 1
    table = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", cwd=tmp_path)
    assert table.returncode == 1
    broken = next(line for line in table.stdout.splitlines() if "b c.png" in line)
    assert "failed" in broken


def test_a_folder_of_videos_with_a_broken_one(tmp_path):
    (tmp_path / "videos").mkdir()
    shutil.copy(BIKES_MP4, tmp_path / "videos" / "one.mp4")
    shutil.copy(BIKES_MP4, tmp_path / "videos" / "two.mp4")
    (tmp_path / "videos" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    (tmp_path / "graph.yaml").write_text("""\
thyra: 1
name: first-frames
nodes:
  video: {type: io.load_video, params: {path: placeholder.mp4}}
  frame: {type: io.video_frame, inputs: {video: video.video}, params: {index: 0}}
  save:  {type: io.save_image, inputs: {image: frame.image}, params: {path: 'frames/{stem}.png'}}
""", encoding="utf-8")
    done = thyra("run", "graph.yaml", "--over", "videos", "--bind", "video.path", "--json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    runs, summary = json_lines(done)
    status = {Path(run["input"]).name: run["status"] for run in runs}
    assert status == {"broken.mp4": "failed", "one.mp4": "ok", "two.mp4": "ok"}
    assert sorted(p.name for p in (tmp_path / "frames").iterdir() if not p.name.startswith(".")) == ["one.png", "two.png"]


def test_resume_skips_inputs_whose_outputs_are_complete(tmp_path):
    inputs = make_inputs(tmp_path)
    args = ("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--json")
    assert thyra(*args, cwd=tmp_path).returncode == 0
    (tmp_path / "out" / f"{inputs[2].stem}_gray.png").unlink()
    runs, summary = json_lines(thyra(*args, "--resume", cwd=tmp_path))
    assert [run["status"] for run in runs] == ["resumed", "resumed", "ok"]
    assert summary["resumed"] == 2 and summary["status"] == "ok"
    assert (tmp_path / "out" / f"{inputs[2].stem}_gray.png").is_file()


def test_rows_of_a_csv_or_jsonl_file_bind_several_params(tmp_path):
    make_inputs(tmp_path)
    (tmp_path / "graph.yaml").write_text("""\
thyra: 1
name: rows
nodes:
  load: {type: io.load_image, params: {path: placeholder.png}}
  blur: {type: image.blur, inputs: {image: load.image}}
  save: {type: io.save_image, inputs: {image: blur.image}, params: {path: 'out/{stem}-{index}.png'}}
""", encoding="utf-8")
    (tmp_path / "rows.csv").write_text("load.path,blur.sigma\nphotos/a.png,1\nphotos/a.png,4.5\n", encoding="utf-8")
    (tmp_path / "rows.jsonl").write_text('{"load.path": "photos/a.png", "blur.sigma": 2}\n', encoding="utf-8")
    done = thyra("run", "graph.yaml", "--over", "rows.csv", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["a-0.png", "a-1.png"]
    assert json_lines(done)[1]["ok"] == 2
    assert thyra("run", "graph.yaml", "--over", "rows.jsonl", cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("load.path,blur.sigmaa\nphotos/a.png,1\n", encoding="utf-8")
    refused = thyra("run", "graph.yaml", "--over", "bad.csv", cwd=tmp_path)
    assert refused.returncode == 2 and "'blur.sigmaa'" in refused.stderr and "sigma" in refused.stderr
    out_of_range = tmp_path / "range.jsonl"
    out_of_range.write_text('{"load.path": "photos/a.png", "blur.sigma": -3}\n', encoding="utf-8")
    refused = thyra("run", "graph.yaml", "--over", "range.jsonl", cwd=tmp_path)
    assert refused.returncode == 2 and "range.jsonl:1" in refused.stderr


def test_executor_ray_without_ray_or_with_a_dead_address_is_a_usage_error(tmp_path):
    make_inputs(tmp_path)
    over = ("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--executor", "ray")
    dead = thyra(*over, "--address", "127.0.0.1:9", cwd=tmp_path)
    assert dead.returncode == 2 and "no Ray cluster answers" in dead.stderr
    # Ray hidden: find_spec answers None for a module set to None in sys.modules.
    script = [sys.executable, "-c", "import sys; sys.modules['ray'] = None; "
              "from thyra_graph.cli import main; sys.exit(main(sys.argv[1:]))", *over]
    env = dict(os.environ, THYRA_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1")
    missing = subprocess.run(script, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "thyra-graph[ray]" in missing.stderr, missing.stderr
    assert not (tmp_path / "out").exists()


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
    parallel = thyra("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--jobs", "2", cwd=tmp_path)
    assert parallel.returncode == 2 and "--jobs 1" in parallel.stderr


def test_gpu_nodes_on_several_local_workers_are_warned_about(tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("a.txt", "b.txt"):
        (tmp_path / "in" / name).write_text(name)
    (tmp_path / "graph.yaml").write_text("""\
thyra: 1
name: gpu
nodes:
  probe: {type: batchkit.gpu_probe, params: {path: in.txt, out: 'out/{stem}.json', seconds: 0}}
""", encoding="utf-8")
    plugins = REPO / "tests" / "fixtures" / "batch_plugins"
    env = dict(os.environ, THYRA_CACHE_DIR=str(tmp_path / "cache"), THYRA_PLUGIN_PATH=str(plugins), NO_COLOR="1")
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "run", "graph.yaml", "--over", "in/*.txt",
                           "--bind", "probe.path", "--jobs", "2"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "GPU nodes" in done.stderr and "--gpus-per-input" in done.stderr


def test_resume_knows_a_sink_that_writes_a_folder(tmp_path):
    make_inputs(tmp_path)
    (tmp_path / "graph.yaml").write_text("""\
thyra: 1
name: masks
nodes:
  load:      {type: io.load_image, params: {path: placeholder.png}}
  gray:      {type: image.to_gray, inputs: {image: load.image}}
  threshold: {type: image.threshold, inputs: {image: gray.image}, params: {method: otsu}}
  coins:     {type: image.contours, inputs: {mask: threshold.mask}, params: {min_area: 300}}
  masks:     {type: export.instance_masks, inputs: {instances: coins.instances}, params: {path: 'masks/{stem}'}}
""", encoding="utf-8")
    args = ("run", "graph.yaml", "--over", "photos/*.png", "--bind", "load.path", "--json")
    assert thyra(*args, cwd=tmp_path).returncode == 0
    runs, _ = json_lines(thyra(*args, "--resume", cwd=tmp_path))
    assert [run["status"] for run in runs] == ["resumed"] * 3
