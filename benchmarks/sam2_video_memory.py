"""Peak memory of segment.sam2_video against the video's length: it must stay flat.

    .venv/bin/python benchmarks/sam2_video_memory.py [--quick] [--backend transformers|sam2] [--size 1920x1080]

The tiny SAM 2 models of the test suite (tests/tiny_models, built in a temporary
THYRA_MODELS_DIR; same architecture as hiera-tiny, shrunk) track one object, clicked on the
first frame, through synthetic 640×360 videos (``--size``) of a moving disc of N and 2N frames (default
96 and 192; ``--quick``: 24 and 48), ``chunk_frames`` 16. Each length runs in a fresh
subprocess, so its peak resident memory (``ru_maxrss``, KiB on Linux) is its own; the growth
during the run (peak minus the resident size after the model was loaded) is what tracking
costs. Target: the 2N run's growth within 1.25× the N run's (≈ 1×, flat), where a tracker that
held every frame or SAM 2's whole memory bank would double.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 640, 360


def write_video(path: Path, count: int, width: int = WIDTH, height: int = HEIGHT) -> None:
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (width, height))
    yy, xx = np.mgrid[:height, :width]
    for index in range(count):
        frame = np.full((height, width, 3), 30, np.uint8)
        x = 60 + (index * 3) % (width - 120)
        frame[(yy - height // 2) ** 2 + (xx - x) ** 2 < 40 ** 2] = (90, 210, 230)
        writer.write(frame)
    writer.release()


def child(video: str, backend: str, models: str) -> None:
    """One run: load the model, note the resident size, track, report the peak."""
    import os

    os.environ["THYRA_MODELS_DIR"], os.environ["HF_HUB_OFFLINE"] = models, "1"
    sys.path.insert(0, str(ROOT / "tests"))
    from thyra_graph.engine.context import Context
    from thyra_graph.engine.resources import ResourceCache
    from thyra_graph.nodes.io.video_files import load_video
    from thyra_graph.nodes.segment.sam2_video import sam2_video
    from thyra_graph.nodes.segment.sam2_video_backends import load_tracker

    params = {"backend": backend, "device": "cpu"}
    if backend == "sam2":
        from tiny_models.sam2 import tiny_meta_checkpoint, tiny_meta_config

        params.update(model=str(tiny_meta_checkpoint(Path(models))), config=str(tiny_meta_config(Path(models))))
    ctx = Context("bench", "segment.sam2_video", resources=ResourceCache())
    handle = load_video(path=video)
    load_tracker(ctx, model=params.get("model", "facebook/sam2.1-hiera-tiny"), config=params.get("config", ""),
                 backend=backend, device="cpu", precision="auto")
    # Warm up on two frames so lazily built buffers count as loading, not tracking.
    prompt = [{"frame": 0, "object": 1, "points": [[60, handle.height // 2, 1]]}]
    sam2_video(handle, prompts=prompt, max_frames=2, chunk_frames=16, ctx=ctx, **params)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    series = sam2_video(handle, prompts=prompt, chunk_frames=16, ctx=ctx, **params)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Frames where the object was found: a run that lost it early would measure nothing.
    with_object = sum(1 for index in range(len(series)) if series.items.counts(index))
    print(json.dumps({"frames": len(series), "with_object": with_object, "before_kib": before, "peak_kib": peak,
                      "seconds": seconds}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", default="transformers", choices=("transformers", "sam2"))
    parser.add_argument("--size", default=f"{WIDTH}x{HEIGHT}", help="frame size WxH, e.g. 1920x1080")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    short = 24 if args.quick else 96
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        sys.path.insert(0, str(ROOT / "tests"))
        from tiny_models import install_all

        install_all(models)
        results = {}
        for count in (short, 2 * short):
            video = Path(tmp) / f"disc_{count}.avi"
            width, height = (int(v) for v in args.size.lower().split("x"))
            write_video(video, count, width, height)
            out = subprocess.run([sys.executable, __file__, "--child", str(video), args.backend, str(models)],
                                 capture_output=True, text=True, check=True, cwd=ROOT)
            results[count] = json.loads(out.stdout.strip().splitlines()[-1])
    for count, result in results.items():
        growth = (result["peak_kib"] - result["before_kib"]) / 1024
        print(f"{count:5d} frames ({result['frames']} tracked, object on {result['with_object']}): peak RSS {result['peak_kib'] / 1024:7.1f} MiB, growth while tracking "
              f"{growth:6.1f} MiB, {result['seconds']:.1f} s")
    a, b = (results[c] for c in (short, 2 * short))
    growth_a = max(a["peak_kib"] - a["before_kib"], 1)
    growth_b = max(b["peak_kib"] - b["before_kib"], 1)
    print(f"peak RSS ratio (2N / N): {b['peak_kib'] / a['peak_kib']:.3f}; growth ratio: {growth_b / growth_a:.2f} "
          f"(target ≈ 1, length ratio 2)")
    # Flat: the longer video's growth within 1.25× the shorter one's, or within 8 MiB of it
    # (allocator noise, which dominates the short --quick runs).
    flat = growth_b <= 1.25 * growth_a or growth_b - growth_a < 8 * 1024
    print(f"memory flat as the video doubles: {'PASS' if flat else 'FAIL'}")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
