"""How fast count.blobs runs, and how little memory count.tiled needs on a huge image.

    .venv/bin/python benchmarks/count_speed.py [--quick]

Targets (issue 4, Speed), on this 2-core machine:
- count.blobs on a 4096 × 4096 image in under 5 s (median of 3 runs after a warm-up). The
  baseline, timed on the same image in the same run, is scikit-image's ``blob_log`` with its
  default settings and the same sigma range (one run: it is slow);
- count.tiled on a 16384 × 16384 image (256 MB of 8-bit grey) with a peak memory under 1.5 GB.
  The image is a ``.npy`` file read window by window (memory-mapped); a second run holds the
  whole image in memory as the node's Image input and slices tiles from it without copying.
  Each runs in a fresh Python process, which reports its peak resident memory
  (``resource.getrusage``: everything, including OpenCV's buffers and the mapped file pages)
  and the peak of NumPy's allocations (``tracemalloc``). The tiled runs come first: Linux
  carries a parent's peak RSS over into a forked child's ``ru_maxrss``, so they are started
  while this process is still small (the child's VmHWM from /proc, where there is one, is
  shown as a cross-check).

The test images repeat one drawn 1024 × 1024 scene (count.synthetic_scene: 2-6 px objects,
some in clumps, sky gradient, noise), mirrored so the repeats join without seams, so the
tiled count can be checked against 256 × the count of one scene. ``--quick`` uses an 8192 × 8192 image for the tiled runs.
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
from measure import Report, format_ratio, format_seconds, timed

from thyra_graph.nodes.count.blobs import BlobSettings, blobs, count_in_array
from thyra_graph.nodes.count.synthetic import make_scene
from thyra_graph.types import Image

BLOBS_TARGET_S = 5.0
MEMORY_TARGET_BYTES = 1.5 * 1024**3
SIZE_RANGE = (2.0, 6.0)

# Runs in a fresh interpreter: count a .npy (or load it whole and count the in-memory Image),
# then report peak memory. ru_maxrss is KiB on Linux, bytes on macOS.
CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
from thyra_graph.engine.context import Context
from thyra_graph.nodes.count.tiled import tiled
from thyra_graph.types import Image
path, mode, tile_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
tracemalloc.start()
start = time.perf_counter()
if mode == "memory":
    result = tiled(Image(np.load(path)), path=None, tile_size=tile_size, min_size=2.0, max_size=6.0)
else:
    result = tiled(path=path, tile_size=tile_size, min_size=2.0, max_size=6.0)
seconds = time.perf_counter() - start
_, traced = tracemalloc.get_traced_memory()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rss_bytes = rss if sys.platform == "darwin" else rss * 1024
hwm = None
try:
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
except (OSError, StopIteration):
    pass
print(json.dumps({"count": result["count"].value, "seconds": seconds, "rss": rss_bytes, "hwm": hwm, "traced": traced}))
"""


def mirrored(tile: np.ndarray) -> np.ndarray:
    """The scene and its mirror images side by side (2h × 2w): repeats of it join without a
    seam, where plain repeats would put a step in the sky gradient every scene."""
    top = np.hstack([tile, tile[:, ::-1]])
    return np.vstack([top, top[::-1]])


def big_image(tile: np.ndarray, repeat: int) -> np.ndarray:
    """repeat × repeat scenes (repeat even), mirrored so the sky is continuous."""
    return np.tile(mirrored(tile), (repeat // 2, repeat // 2))


def write_npy(path: Path, tile: np.ndarray, repeat: int) -> None:
    """big_image as a uint8 .npy, written band by band (never whole in memory)."""
    height, width = tile.shape
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(height * repeat, width * repeat))
    band = np.tile(mirrored(tile), (1, repeat // 2))
    for row in range(repeat // 2):
        out[2 * row * height:2 * (row + 1) * height] = band
    out.flush()
    del out


def run_child(path: Path, mode: str, tile_size: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, str(tile_size)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tiled run ({mode}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="8192² for the tiled runs")
    options = parser.parse_args()

    scene = make_scene(width=1024, height=1024, count=2500, seed=7)
    one_scene = len(count_in_array(scene.image, BlobSettings(*SIZE_RANGE)))

    repeat = 8 if options.quick else 16
    side = 1024 * repeat
    memory = Report(f"count.tiled on {side} × {side} ({side * side / 1024**2:.0f} MB of 8-bit grey), tile_size 2048",
                    ["source", "time", "peak RSS (getrusage)", "VmHWM", "peak NumPy (tracemalloc)", "objects", "expected", "target"])
    with tempfile.TemporaryDirectory(prefix="thyra-count-speed-") as folder:
        path = Path(folder) / "mosaic.npy"
        write_npy(path, scene.image, repeat)
        expected = one_scene * repeat * repeat
        for mode, label in (("npy", ".npy memory-mapped"), ("memory", "Image in memory")):
            result = run_child(path, mode, 2048)
            hwm = f"{result['hwm'] / 1024**3:.2f} GB" if result.get("hwm") else "-"
            memory.row(label, format_seconds(result["seconds"]), f"{result['rss'] / 1024**3:.2f} GB", hwm,
                       f"{result['traced'] / 1024**3:.2f} GB", result["count"], f"≈ {expected}",
                       memory.target(f"tiled {label} < 1.5 GB", result["rss"] < MEMORY_TARGET_BYTES))
    memory.print()
    print("(expected: repeat² × the untiled count of one scene; where scenes join, objects near the edge "
          "of one scene meet their mirror images, so a few differ)")

    report = Report("count.blobs on 4096 × 4096 (16 repeats of a 2,500-object scene)",
                    ["method", "median", "min", "objects", "ratio", "target"])
    image = Image(big_image(scene.image, 4))
    found = {}
    timing = timed(lambda _: found.__setitem__("n", blobs(image, min_size=SIZE_RANGE[0], max_size=SIZE_RANGE[1])["count"].value),
                   repeat=3, warmup=1)
    from skimage.feature import blob_log

    grey = image.data.astype(np.float32) / 255.0
    start = time.perf_counter()
    baseline = blob_log(grey, min_sigma=SIZE_RANGE[0] / 2 ** 1.5, max_sigma=SIZE_RANGE[1] / 2 ** 1.5)
    baseline_s = time.perf_counter() - start
    del grey
    report.row("count.blobs", format_seconds(timing.median), format_seconds(timing.min), found["n"],
               format_ratio(baseline_s / timing.median) + " faster",
               report.target("count.blobs 4096² < 5 s", timing.median < BLOBS_TARGET_S))
    report.row("skimage blob_log (defaults, same sigmas)", format_seconds(baseline_s), "", len(baseline), "1×", "baseline")
    report.print()
    print(f"(blob_log's default threshold, 0.2 absolute, suits other images: the objects it finds here are not a "
          f"count; {one_scene * 16} is 16 × count.blobs on one scene)")

    summary = Report("", [])
    summary.checked = report.checked + memory.checked
    summary.failures = report.failures + memory.failures
    return summary.verdict()


if __name__ == "__main__":
    sys.exit(main())
