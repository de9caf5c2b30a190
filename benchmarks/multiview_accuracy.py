"""Multi-view segmentation on the rendered scene (8 views, 640×480) against its true object masks.

    .venv/bin/python benchmarks/multiview_accuracy.py [--quick]

Target (issue 14, Multi-view segmentation): a box drawn around an object in view 0 is segmented
in every other view, by lifting the view-0 mask to 3D and prompting the segmenter from its
projection, with IoU ≥ 0.8 to the true mask; spatial words pick the right object. The segmenter
is the exact-answer test double (tests/tiny_models/scene_segmenter.py: it returns the true mask of
the object a prompt points at), so what is measured is the projection and prompting. The
baseline is the projection alone (the lifted view-0 mask splatted into each view, no segmenter),
which cannot cover faces view 0 never saw. ``--quick``: 4 views at 320×240.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from measure import Report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tiny_models.scene_segmenter import SceneSegmenter  # noqa: E402

from thyra_graph.nodes.recon.synthetic_scene import render_scene  # noqa: E402
from thyra_graph.nodes.segment.multiview import Choice, segment_views  # noqa: E402
from thyra_graph.nodes.segment.multiview_consistency import View, iou, lift, project_points  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 views at 320×240")
    args = parser.parse_args()
    n_views, size = (4, (320, 240)) if args.quick else (8, (640, 480))
    scene = render_scene(n_views, size)
    views = [View(scene.images[i], scene.depths[i], scene.cameras.intrinsics[i], scene.cameras.extrinsics[i])
             for i in range(n_views)]
    report = Report(f"segment.multiview on the rendered scene ({n_views} views, {size[0]}×{size[1]})",
                    ["object", "prompt", "min IoU (other views)", "mean IoU", "projection only (min)", "time", "target"])
    names = scene.object_names
    cases = [(k, "box in view 0") for k in names] + [(1, "the box on the left"), (3, "the box on the right"),
                                                      (1, "the nearest box"), (3, "the farthest box")]
    for box_id, prompt in cases:
        segmenter = SceneSegmenter(scene.images, scene.object_ids)
        choice = Choice(prompt)
        if prompt.startswith("box"):
            rows, cols = np.nonzero(scene.object_ids[0] == box_id)
            choice = Choice("", box=[cols.min(), rows.min(), cols.max(), rows.max()])
        start = time.perf_counter()
        results = segment_views(views, segmenter, lambda i: segmenter.embed(scene.images[i]), anchor=0,
                                relevant=list(range(n_views)), choice=choice)
        seconds = time.perf_counter() - start
        ious = [iou(results[v].mask, scene.object_ids[v] == box_id) for v in range(1, n_views)]
        cloud = lift(scene.object_ids[0] == box_id, views[0])
        projected = [iou(project_points(cloud, views[v]), scene.object_ids[v] == box_id) for v in range(1, n_views)]
        report.row(names[box_id], prompt, f"{min(ious):.3f}", f"{np.mean(ious):.3f}", f"{min(projected):.3f}",
                   f"{seconds:.1f} s", report.target("IoU ≥ 0.8 in every view", min(ious) >= 0.8))
    report.print()
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
