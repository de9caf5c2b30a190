"""Photos to a mesh on the CPU, and SfM memory over a long video.

    .venv/bin/python benchmarks/recon_speed.py [--quick]

Targets (issue 14, Speed and memory):

1. 8 views at 640×480 (the rendered scene of ``recon.synthetic_scene``, written as PNG files)
   from image files to a Poisson mesh in under 60 s on a 2-core CPU: ``recon.sfm`` (no known
   intrinsics) → ``recon.mvs`` → ``mesh.poisson`` (depth 8), each stage's time shown. The
   same run prints the accuracy figures of the SfM and dense acceptance items against the
   scene's ground truth (camera centres after a similarity alignment; depth coverage and
   median relative error per view; the fused cloud's median distance to the true surfaces).
2. A 100-frame "video" (frames rendered along a 60° arc) through ``recon.sfm`` with sequential
   matching, against its first 50 frames as the baseline, each in a fresh subprocess: peak
   resident memory (``ru_maxrss``, KiB on Linux) of the 100-frame run within 1.5× the
   50-frame one (frames are read from disk one at a time; only the model grows).

``--quick`` renders at 320×240 and runs 20 vs 40 frames (a smoke test of the script; the
targets are judged at full size only).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from measure import Report

SPEED_TARGET_S = 60.0
MEMORY_RATIO_TARGET = 1.5


def write_views(scene, folder: Path) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for name, image in zip(scene.cameras.names, scene.images):
        cv2.imwrite(str(folder / name), image[..., ::-1])


def photos_to_mesh(folder: Path, work: Path) -> dict:
    """Run the three stages as a graph would, timing each."""
    from thyra_graph.engine.context import Context
    from thyra_graph.nodes.mesh.poisson import poisson
    from thyra_graph.nodes.recon.mvs import mvs
    from thyra_graph.nodes.recon.sfm import sfm

    times = {}
    start = time.perf_counter()
    out = sfm.func(None, None, images=str(folder), intrinsics=[], matching="exhaustive", overlap=10, mask_folder=None,
                   max_features=8192, min_triangulation_angle=4.0, ctx=Context("sfm", "recon.sfm", scratch_root=work))
    times["sfm"] = time.perf_counter() - start
    start = time.perf_counter()
    dense = mvs.func(out["cameras"], None, out["points"], images=str(folder), neighbours=2, depth_range=[], block_size=5,
                     tolerance=0.01, min_consistent=1, voxel=0.0, units="scene", ctx=Context("mvs", "recon.mvs", scratch_root=work))
    times["mvs"] = time.perf_counter() - start
    start = time.perf_counter()
    mesh = poisson.func(dense["cloud"], depth=8, trim=0.1, scale=1.1, ctx=Context("mesh", "mesh.poisson"))
    times["poisson"] = time.perf_counter() - start
    return {"times": times, "cameras": out["cameras"], "dense": dense, "mesh": mesh}


def accuracy(scene, result) -> dict:
    """SfM and MVS figures against the rendered truth, in the scene's frame (metres)."""
    from scipy.spatial import cKDTree
    from skimage.transform import SimilarityTransform

    cameras = result["cameras"]
    truth = scene.cameras.centers()
    transform = SimilarityTransform.from_estimate(cameras.centers(), truth)
    track = float(np.linalg.norm(np.diff(truth, axis=0), axis=1).sum())
    centre_error = float(np.linalg.norm(transform(cameras.centers()) - truth, axis=1).max())
    scale = float(transform.scale)
    coverage, median = [], []
    for view, field in enumerate(result["dense"]["depths"].items):
        depth = field["depth"] * scale  # SfM units to metres
        valid = depth > 0
        coverage.append(float(valid.mean()))
        true = scene.depths[view]
        median.append(float(np.median(np.abs(depth[valid] - true[valid]) / true[valid])))
    cloud = transform(result["dense"]["cloud"].points.astype(np.float64))
    surface = np.concatenate([scene.points(v).reshape(-1, 3)[::2] for v in range(len(scene.images))])
    distance, _ = cKDTree(surface[np.isfinite(surface).all(axis=1)]).query(cloud)
    return {"registered": len(cameras), "centre_error": centre_error / track, "coverage": min(coverage),
            "median": max(median), "cloud": float(np.median(distance)) / scene.size}


def sfm_peak_memory(folder: Path, frames: int, work: Path) -> dict:
    """Run sequential SfM on the first ``frames`` views in a fresh interpreter; its peak RSS."""
    code = f"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from thyra_graph.nodes.recon.sfm import run_sfm
from thyra_graph.nodes.recon.views import views_from_param
views = views_from_param({str(folder)!r})
views.names = views.names[:{frames}]
start = time.perf_counter()
cameras, points, report = run_sfm(views, Path({str(work)!r}), matching="sequential", overlap=8)
print(json.dumps({{"registered": len(cameras), "points": len(points), "seconds": time.perf_counter() - start,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    from thyra_graph.nodes.recon.synthetic_scene import render_scene

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="320×240, 20 vs 40 frames (smoke test)")
    args = parser.parse_args()
    size = (320, 240) if args.quick else (640, 480)
    short, long = (20, 40) if args.quick else (50, 100)
    with tempfile.TemporaryDirectory() as temp:
        temp = Path(temp)
        scene = render_scene(8, size, seed=0)
        write_views(scene, temp / "views")
        result = photos_to_mesh(temp / "views", temp / "work")
        total = sum(result["times"].values())
        figures = accuracy(scene, result)
        speed = Report(f"8 views at {size[0]}×{size[1]}: image files → recon.sfm → recon.mvs → mesh.poisson",
                       ["stage", "time", "target"])
        for stage, seconds in result["times"].items():
            speed.row(stage, f"{seconds:.1f} s", "")
        speed.row("total", f"{total:.1f} s",
                  speed.target(f"< {SPEED_TARGET_S:.0f} s", total < SPEED_TARGET_S) if not args.quick else "(quick)")
        speed.print()
        checks = Report("the same run against the rendered ground truth", ["figure", "value", "target"])
        full = not args.quick
        checks.row("views registered", f"{figures['registered']} / 8",
                   checks.target("all", figures["registered"] == 8) if full else "(quick)")
        checks.row("worst camera-centre error / track length", f"{figures['centre_error'] * 100:.3f} %",
                   checks.target("< 1 %", figures["centre_error"] < 0.01) if full else "(quick)")
        checks.row("lowest per-view depth coverage", f"{figures['coverage'] * 100:.1f} %",
                   checks.target("≥ 70 %", figures["coverage"] >= 0.70) if full else "(quick)")
        checks.row("worst per-view median relative depth error", f"{figures['median'] * 100:.2f} %",
                   checks.target("< 2 %", figures["median"] < 0.02) if full else "(quick)")
        checks.row("fused cloud: median distance to the surfaces / scene size", f"{figures['cloud'] * 100:.3f} %",
                   checks.target("< 0.5 %", figures["cloud"] < 0.005) if full else "(quick)")
        checks.print()

        video = render_scene(long, (size[0] * 3 // 4, size[1] * 3 // 4), seed=2, arc_degrees=60.0)
        write_views(video, temp / "video")
        del video
        runs = {n: sfm_peak_memory(temp / "video", n, temp / f"sfm{n}") for n in (short, long)}
        memory = Report("recon.sfm, sequential matching, frames of a rendered camera path (fresh process each)",
                        ["frames", "registered", "sparse points", "time", "peak RSS", "vs baseline"])
        base = runs[short]["peak_kib"]
        for n, run in runs.items():
            ratio = run["peak_kib"] / base
            verdict = "(baseline)" if n == short else (
                memory.target(f"< {MEMORY_RATIO_TARGET}×", ratio < MEMORY_RATIO_TARGET) if full else "(quick)")
            memory.row(n, run["registered"], run["points"], f"{run['seconds']:.0f} s",
                       f"{run['peak_kib'] / 1024:.0f} MiB", f"{ratio:.2f}× {verdict}")
        memory.print()
    return max(speed.verdict(), checks.verdict(), memory.verdict())


if __name__ == "__main__":
    sys.exit(main())
