"""Draw docs/count.png: an image before counting, and after count.clumps with its defaults.

    .venv/bin/python docs/make_count_picture.py [--out docs/count.png]

The image is the "birds 3-7 px" scene family of ``thyra_graph.nodes.count.synthetic`` (dark
birds, a third of them in touching clumps, on a graded sky; the true count is known). Nothing
is set by hand: size and polarity are measured from the image, the count's label goes to the
emptiest corner. The right half is count.heatmap_overlay of count.density_map (adaptive).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from thyra_graph.nodes.count.clumps import clumps  # noqa: E402
from thyra_graph.nodes.count.density import density_map  # noqa: E402
from thyra_graph.nodes.count.synthetic import family_scene  # noqa: E402
from thyra_graph.nodes.count.visualise import heatmap_overlay  # noqa: E402
from thyra_graph.types import Image  # noqa: E402


def picture(side: int = 400) -> tuple[np.ndarray, int, int, str]:
    scene = family_scene("birds 3-7 px", seed=7, width=side, height=side)
    image = Image(scene.image)
    result = clumps(image)
    density = density_map(result["points"], image, mode="adaptive")["density"]
    overlay = heatmap_overlay(image, density, result["points"], result["count"], label=f"truth {len(scene.xy)}, counted")
    before = np.repeat(scene.image[:, :, None], 3, axis=2) if scene.image.ndim == 2 else scene.image
    gap = np.full((side, 8, 3), 255, np.uint8)
    return np.hstack([before, gap, overlay.data]), len(scene.xy), int(result["count"].value), result["scale"].text


def main() -> int:
    import cv2

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "count.png"))
    args = parser.parse_args()
    drawn, truth, counted, scale = picture()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {args.out}: truth {truth}, counted {counted} ({scale})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
