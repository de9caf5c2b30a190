"""Decompression bombs: time and peak memory to refuse one, against decoding it unchecked.

    .venv/bin/python benchmarks/input_limits.py [--quick]

A 30000×30000 image is ~110 KB as a 1-bit PNG or Deflate TIFF and ~600 bytes as a JPEG whose
frame header was rewritten; decoded by ``io.load_image`` it is a 2.7 GB RGB array. Each file
is loaded in a fresh interpreter twice: with the default pixel limit (refused from the
header) and with ``THYRA_MAX_IMAGE_PIXELS=0`` (no limit: the baseline, what happened before
the limit existed). A forged-header video (15000×15000 YUV4MPEG2) is refused the same way.

Targets (issue 13): a bomb is refused in < 1 s with a peak RSS < 300 MB.
``--quick`` uses 10000×10000 bombs (100 Mpx, just over the limit), so the unchecked baseline
needs ~0.4 GB instead of ~3.6 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import Report

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from hostile_files import jpeg_bomb, png_bomb, tiff_bomb, y4m_bomb  # noqa: E402

SECONDS_TARGET, PEAK_MB_TARGET = 1.0, 300.0

CHILD = """
import json, resource, sys, time
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.image_files import load_image
from thyra_graph.nodes.io.video_files import load_video
path = sys.argv[1]
start = time.perf_counter()
try:
    value = load_video(path=path) if path.endswith(".y4m") else load_image(path=path)
    outcome = f"decoded {getattr(value, 'data', None).shape if hasattr(value, 'data') else value}"
except NodeError as exc:
    outcome = "refused" if "over the limit" in str(exc) else f"failed: {str(exc)[:60]}"
seconds = time.perf_counter() - start
try:  # VmHWM: ru_maxrss of a forked-then-exec'd child starts at the parent's RSS
    peak = int([l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": peak}))
"""


def load_in_fresh_process(path: Path, limit: str | None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.pop("THYRA_MAX_IMAGE_PIXELS", None)
    env.pop("THYRA_MAX_VIDEO_PIXELS", None)
    if limit is not None:
        env["THYRA_MAX_IMAGE_PIXELS"] = env["THYRA_MAX_VIDEO_PIXELS"] = limit
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"outcome": f"crashed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}", "seconds": float("nan"),
                "peak_mb": float("nan")}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10000×10000 bombs (smaller unchecked baseline)")
    args = parser.parse_args(argv)
    if sys.platform == "win32":
        raise SystemExit("peak memory is read with the resource module, which Windows lacks")
    side = 10000 if args.quick else 30000
    folder = Path(tempfile.mkdtemp(prefix="thyra-bench-bombs-"))
    try:
        bombs = {"PNG": png_bomb(folder / "bomb.png", side), "TIFF": tiff_bomb(folder / "bomb.tif", side),
                 "JPEG": jpeg_bomb(folder / "bomb.jpg", side), "video (Y4M)": y4m_bomb(folder / "bomb.y4m")}
        report = Report(f"Refusing {side}×{side} image bombs and a 15000×15000-frame video, each in a fresh process",
                        ["file", "size on disk", "limit", "outcome", "seconds", "peak RSS", "target", "verdict"])
        for name, path in bombs.items():
            size = f"{path.stat().st_size / 1024:.0f} KiB"
            checked = load_in_fresh_process(path, None)
            met = checked["outcome"] == "refused" and checked["seconds"] < SECONDS_TARGET and checked["peak_mb"] < PEAK_MB_TARGET
            report.row(name, size, "default", checked["outcome"], f"{checked['seconds']:.3f}", f"{checked['peak_mb']:.0f} MB",
                       f"refused, < {SECONDS_TARGET:g} s, < {PEAK_MB_TARGET:g} MB", report.target(name, met))
            if name.startswith("video"):
                continue  # FFmpeg has no whole frame to decode in the forged file: no baseline to show
            unchecked = load_in_fresh_process(path, "0")
            report.row(name, size, "none (baseline)", unchecked["outcome"], f"{unchecked['seconds']:.3f}",
                       f"{unchecked['peak_mb']:.0f} MB", "", "(baseline)")
        report.print()
        print("\nThe limit reads the size from the header with Pillow's format plugins and refuses before "
              "OpenCV allocates anything; the baseline is the same call with THYRA_MAX_IMAGE_PIXELS=0.")
        return report.verdict()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
