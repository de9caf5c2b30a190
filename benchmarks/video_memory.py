"""Peak memory of a video pipeline against the video's length: it must not grow.

    .venv/bin/python benchmarks/video_memory.py [--quick]

Graph: ``io.load_video → io.sample_frames → bench.mean_frame``, where ``bench.mean_frame``
(declared here) iterates ``Video.frames()`` and averages them into one image. Two synthetic
videos of 320×240 are written in a temporary folder with ``cv2.VideoWriter`` (MPEG-4): a
short one (300 frames) and a long one (3,000 frames; ``--quick``: 60 and 600). Each run
happens in a fresh subprocess, so its peak resident memory (``ru_maxrss``, read as KiB: this
script is for Linux, where the benchmarks run) is its own; Python allocations (NumPy's and
OpenCV's frames included) are traced with ``tracemalloc``. Target: for the long video, the traced peak and the growth of resident memory during the
run within 1.5× the short one's (≈ 1× expected), far below the length ratio.

A control node, ``bench.all_frames_mean``, averages the same frames after collecting them in
a list, as a non-streaming node would: its peaks grow with the length, which shows the
measurement can see growth when there is some.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from measure import Report, format_ratio

PEAK_RATIO_TARGET = 1.5
SIZE = (320, 240)
FPS = 30.0


def declare_nodes():
    """The benchmark's own node types (declared on demand: the parent process never needs them)."""
    from thyra_graph.engine.declaration import Input, NodeError, Output, node
    from thyra_graph.types import Image, Video

    @node("bench.mean_frame", inputs=[Input("video", Video)], outputs=[Output("image", Image)])
    def mean_frame(video: Video) -> Image:
        """The average of a video's frames, read one at a time."""
        total = None
        count = 0
        for _, frame in video.frames():
            total = frame.astype(np.float64) if total is None else total + frame
            count += 1
        if count == 0:
            raise NodeError("the video has no frames")
        return Image((total / count).astype(np.uint8), {"frames": count})

    @node("bench.all_frames_mean", inputs=[Input("video", Video)], outputs=[Output("image", Image)])
    def all_frames_mean(video: Video) -> Image:
        """The same average, computed after holding every frame in memory (the control)."""
        frames = [frame for _, frame in video.frames()]
        return Image(np.mean(frames, axis=0).astype(np.uint8), {"frames": len(frames)})

    return mean_frame, all_frames_mean


def write_video(path: Path, frames: int) -> Path:
    """A moving gradient, so consecutive frames differ and really have to be decoded."""
    import cv2

    width, height = SIZE
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    ramp = np.arange(width, dtype=np.int64)[None, :, None]
    rows = np.ones((height, 1, 3), np.uint8)
    try:
        for i in range(frames):
            writer.write(((ramp + i) % 256).astype(np.uint8) * rows)
    finally:
        writer.release()
    return path


def measure_child(video: Path, consumer: str) -> dict:
    """Run the graph once in this process and return its memory figures (child side)."""
    from thyra_graph.api import default_registry
    from thyra_graph.engine.executor import Executor
    from thyra_graph.engine.graph import Graph
    from thyra_graph.engine.registry import Registry

    registry = Registry()
    builtins = default_registry()
    for type_id in ("io.load_video", "io.sample_frames"):
        registry.add(builtins[type_id])
    for spec in declare_nodes():
        registry.add(spec)
    graph = Graph(registry, name="video-memory", base_dir=video.parent)
    graph.add_node("io.load_video", "load", params={"path": video.name})
    graph.add_node("io.sample_frames", "sample", params={"every_n": 1})
    graph.add_node(consumer, "mean")
    graph.connect("load.video", "sample.video")
    graph.connect("sample.frames", "mean.video")
    import cv2  # noqa: F401  (loaded before the baseline, so its libraries are not counted as growth)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    result = Executor(workers=1).run(graph)
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if result.status != "ok":
        raise SystemExit(f"benchmark broken: the graph ended {result.status}: "
                         + "; ".join(f"{n}: {r.error}" for n, r in result.nodes.items() if r.error))
    return {"seconds": seconds, "traced_peak": traced_peak, "rss_before_kib": rss_before,
            "rss_peak_kib": rss_peak, "frames": result.outputs["mean.image"].meta["frames"]}


def measure(video: Path, consumer: str) -> dict:
    """One graph run in a fresh interpreter (parent side)."""
    here = Path(__file__).resolve().parent
    done = subprocess.run([sys.executable, str(here / "video_memory.py"), "--child", str(video), consumer],
                          capture_output=True, text=True, check=False, cwd=here)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mib(count: float) -> str:
    return f"{count / (1 << 20):.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter videos (60 and 600 frames)")
    parser.add_argument("--child", nargs=2, metavar=("VIDEO", "NODE_TYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_child(Path(args.child[0]), args.child[1])))
        return 0
    short_frames, long_frames = (60, 600) if args.quick else (300, 3000)
    folder = Path(tempfile.mkdtemp(prefix="thyra-bench-video-"))
    try:
        videos = {"short": write_video(folder / "short.mp4", short_frames),
                  "long": write_video(folder / "long.mp4", long_frames)}
        frame_bytes = SIZE[0] * SIZE[1] * 3
        report = Report(
            f"Peak memory, io.load_video → io.sample_frames → consumer, {SIZE[0]}×{SIZE[1]} video "
            f"({frame_bytes / 1024:.0f} KiB a decoded frame), {short_frames:,} vs {long_frames:,} frames "
            f"(length ratio {long_frames / short_frames:g}×), each run in a fresh process",
            ["consumer", "measure", f"{short_frames:,} frames", f"{long_frames:,} frames", "long / short",
             "target", "verdict"])
        for consumer, streams in (("bench.mean_frame", True), ("bench.all_frames_mean", False)):
            figures = {name: measure(path, consumer) for name, path in videos.items()}
            short, long = figures["short"], figures["long"]
            if (short["frames"], long["frames"]) != (short_frames, long_frames):
                raise SystemExit(f"benchmark broken: {consumer} averaged {short['frames']} and {long['frames']} frames, "
                                 f"expected {short_frames} and {long_frames}")
            rows = (
                ("traced peak (tracemalloc)", short["traced_peak"], long["traced_peak"]),
                ("RSS growth during the run", (short["rss_peak_kib"] - short["rss_before_kib"]) * 1024,
                 (long["rss_peak_kib"] - long["rss_before_kib"]) * 1024),
                ("peak RSS of the process", short["rss_peak_kib"] * 1024, long["rss_peak_kib"] * 1024),
            )
            for label, small, big in rows:
                ratio = big / max(small, 1)
                if streams and label != "peak RSS of the process":
                    # (the process's own peak is mostly the interpreter and libraries: shown, not judged)
                    target, verdict = f"< {PEAK_RATIO_TARGET:g}×", report.target(f"{consumer} {label}", ratio < PEAK_RATIO_TARGET)
                else:
                    target, verdict = "", "" if streams else "(control)"
                report.row(consumer, label, mib(small), mib(big), format_ratio(ratio), target, verdict)
            report.row(consumer, "run time", f"{short['seconds']:.2f} s", f"{long['seconds']:.2f} s",
                       format_ratio(long["seconds"] / short["seconds"]), "", "")
        report.print()
        print("\nio.load_video reads only the container's metadata and io.sample_frames returns a lazy view; "
              "Video.frames() decodes one frame at a time, so a streaming consumer holds one frame plus its "
              "own state whatever the length.")
        return report.verdict()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
