"""Exporting 1,000 objects of a 4K frame: Thyra's exporters against a plain per-object loop.

    .venv/bin/python benchmarks/export_speed.py [--instances N] [--quick]

The work measured is what issue 3 names: a semantic PNG, one binary PNG per object, and a
COCO file with RLE masks, for N objects (default 1,000) on a 3840×2160 frame; objects are
discs, rings and boxes of 20-300 px at random places, overlapping, in 12 classes.

- Thyra: the export.semantic_png, export.instance_masks and export.coco node functions, called
  as a graph calls them (files written atomically, overwrite checks, manifests). They work on
  each object's bounding box: tight boxes found once, label map painted box by box, PNGs of
  the object band only, COCO RLE counted in the box.
- Baseline: the straightforward loop a script would use — full-frame boolean indexing for
  the label map, cv2.imwrite of each full-frame mask, pycocotools.mask.encode of each
  full-frame mask (Fortran copy), json.dump.

Both write the same pixels and the same RLE (checked after the run), so neither can look
fast by skipping work. Targets (issue 3, Performance):
- Thyra at least 5× faster than the baseline measured in the same run;
- Thyra's peak memory (tracemalloc, over the three exports) under 3× the label map, the
  H×W 8-bit class-id image the semantic PNG holds (the input masks themselves excluded).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
from measure import Report, format_ratio, format_seconds, timed

from thyra_graph.engine.context import Context
from thyra_graph.nodes.export import label_maps
from thyra_graph.nodes.export.coco import coco
from thyra_graph.nodes.export.instance_masks import instance_masks
from thyra_graph.nodes.export.semantic_png import semantic_png
from thyra_graph.types import Instances

WIDTH, HEIGHT = 3840, 2160
CLASSES = 12


def make_instances(count: int, seed: int = 3) -> Instances:
    """``count`` objects on a 4K frame; the N×H×W mask array is allocated lazily (calloc), so
    only the pages under the objects take memory."""
    rng = np.random.default_rng(seed)
    masks = np.zeros((count, HEIGHT, WIDTH), dtype=bool)
    for i in range(count):
        size = int(rng.integers(20, 300))
        y0, x0 = int(rng.integers(0, HEIGHT - size)), int(rng.integers(0, WIDTH - size))
        yy, xx = np.ogrid[:size, :size]
        r = (yy - size / 2 + 0.5) ** 2 + (xx - size / 2 + 0.5) ** 2
        shape = i % 3
        region = (r <= (size / 2) ** 2) if shape == 0 else ((r <= (size / 2) ** 2) & (r >= (size / 4) ** 2)) \
            if shape == 1 else np.ones((size, size), bool)
        masks[i, y0:y0 + size, x0:x0 + size] = region
    class_ids = rng.integers(1, CLASSES + 1, count)
    scores = np.round(rng.random(count), 2)  # rounded: equal scores happen, the tie rule is exercised
    return Instances(masks, class_ids, scores, classes={c: f"class {c}" for c in range(1, CLASSES + 1)})


def thyra_export(instances: Instances, folder: Path) -> None:
    ctx = Context.standalone("benchmark")
    semantic_png(instances, path=str(folder / "semantic"), overwrite=True, ctx=ctx)
    instance_masks(instances, path=str(folder / "instances"), overwrite=True, ctx=ctx)
    coco(instances, path=str(folder / "coco.json"), overwrite=True, ctx=ctx)


def baseline_export(instances: Instances, folder: Path) -> None:
    import cv2
    from pycocotools import mask as mask_utils

    (folder / "instances").mkdir(parents=True, exist_ok=True)
    index = np.arange(len(instances))
    label_map = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    for i in np.lexsort((-index, instances.scores)):  # same overlap rule: higher score painted last
        label_map[instances.masks[i]] = instances.class_ids[i]
    cv2.imwrite(str(folder / "semantic.png"), label_map)
    for i in range(len(instances)):
        cv2.imwrite(str(folder / "instances" / f"{i + 1:03d}.png"), instances.masks[i].astype(np.uint8) * 255)
    annotations = []
    for i in range(len(instances)):
        rle = mask_utils.encode(np.asfortranarray(instances.masks[i].astype(np.uint8)))
        annotations.append({"id": i + 1, "image_id": 1, "category_id": int(instances.class_ids[i]),
                            "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
                            "area": int(mask_utils.area(rle)), "bbox": mask_utils.toBbox(rle).tolist(), "iscrowd": 0})
    document = {"images": [{"id": 1, "file_name": "image.png", "width": WIDTH, "height": HEIGHT}],
                "annotations": annotations, "categories": [{"id": c, "name": f"class {c}"} for c in range(1, CLASSES + 1)]}
    (folder / "coco.json").write_text(json.dumps(document))


def check_same_output(thyra: Path, baseline: Path, instances: Instances) -> None:
    """Same semantic pixels, same object PNG pixels (a sample), same RLE strings."""
    import cv2

    ours = cv2.imread(str(thyra / "semantic" / "image.png"), cv2.IMREAD_UNCHANGED)
    theirs = cv2.imread(str(baseline / "semantic.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(ours, theirs), "semantic PNGs differ"
    index = json.loads((thyra / "instances" / "index.json").read_text())["masks"]
    for record in index[:: max(1, len(index) // 25)]:
        mine = cv2.imread(str(thyra / "instances" / record["file"]), cv2.IMREAD_UNCHANGED)
        other = cv2.imread(str(baseline / "instances" / f"{record['instance']:03d}.png"), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(mine, other), f"object {record['instance']} PNGs differ"
    ours_rle = [a["segmentation"]["counts"] for a in json.loads((thyra / "coco.json").read_text())["annotations"]]
    their_rle = [a["segmentation"]["counts"] for a in json.loads((baseline / "coco.json").read_text())["annotations"]]
    assert ours_rle == their_rle, "COCO RLE differs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000, help="objects on the frame (default 1000)")
    parser.add_argument("--quick", action="store_true", help="200 objects, one repetition: a smoke test")
    args = parser.parse_args()
    count = 200 if args.quick else args.instances
    repeat = 1 if args.quick else 3
    print(f"building {count} objects on a {WIDTH}×{HEIGHT} frame ...", flush=True)
    instances = make_instances(count)
    work = Path(tempfile.mkdtemp(prefix="thyra-export-bench-"))
    try:
        print("baseline (per-object loop over full frames) ...", flush=True)
        baseline = timed(lambda _: baseline_export(instances, work / "baseline"), repeat=1, warmup=0)
        print("Thyra exporters ...", flush=True)

        def fresh(_=None):
            label_maps._box_cache.clear()  # every repetition finds the boxes again
            return None

        ours = timed(lambda _: thyra_export(instances, work / "thyra"), setup=fresh, repeat=repeat, warmup=0)
        check_same_output(work / "thyra", work / "baseline", instances)
        fresh()
        tracemalloc.start()
        thyra_export(instances, work / "thyra")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    label_bytes = HEIGHT * WIDTH  # the 8-bit class-id image
    speedup = baseline.median / ours.median
    report = Report(f"export of {count} objects on a {WIDTH}×{HEIGHT} frame (semantic PNG + object PNGs + COCO RLE)",
                    ["measure", "value", "target", "verdict"])
    report.row("baseline: per-object loop", format_seconds(baseline.median), "", "")
    report.row("Thyra exporters (median, min)", f"{format_seconds(ours.median)}, {format_seconds(ours.min)}", "", "")
    report.row("speed-up", format_ratio(speedup), "≥ 5×", report.target("speed-up ≥ 5×", speedup >= 5))
    report.row("peak memory (tracemalloc)", f"{peak / 2**20:.1f} MiB = {peak / label_bytes:.2f}× label map "
               f"({label_bytes / 2**20:.1f} MiB)", "< 3×", report.target("peak memory < 3× label map", peak < 3 * label_bytes))
    report.print()
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
