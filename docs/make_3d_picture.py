"""Draw docs/3d.png: the point cloud of a stereo pair, seen in Thyra's 3D preview.

    .venv/bin/python docs/make_3d_picture.py [--out docs/3d.png]

The pair is scikit-image's ``stereo_motorcycle`` (Middlebury 2014, rectified, with its
calibration in the docstring). Depth comes from OpenCV's semi-global matching, Z = f·B/(d +
doffs); every pixel with a valid disparity becomes a point in metres, in its colour. The picture is the left image beside the cloud rendered by
:mod:`thyra_graph.render3d`, the renderer of the editor's orbit view.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from thyra_graph.render3d import OrbitCamera, render, scene_of  # noqa: E402
from thyra_graph.types import PointCloud  # noqa: E402

# From skimage.data.stereo_motorcycle's docstring (images down-sampled 4×).
FOCAL, CX, CY, DOFFS, BASELINE = 994.978, 311.193, 254.877, 31.086, 0.193001


def stereo_cloud() -> tuple[np.ndarray, PointCloud]:
    import cv2
    from skimage.data import stereo_motorcycle

    left, right, _ = stereo_motorcycle()
    grey_left, grey_right = (cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in (left, right))
    block = 5
    matcher = cv2.StereoSGBM_create(minDisparity=0, numDisparities=128, blockSize=block,
                                    P1=8 * block * block, P2=32 * block * block, uniquenessRatio=10,
                                    speckleWindowSize=100, speckleRange=2, mode=cv2.STEREO_SGBM_MODE_HH)
    disparity = matcher.compute(grey_left, grey_right).astype(np.float32) / 16  # fixed point, 4 bits
    valid = disparity > 0
    depth = FOCAL * BASELINE / (disparity + DOFFS)
    v, u = np.nonzero(valid)
    z = depth[valid]
    points = np.stack([(u - CX) * z / FOCAL, (v - CY) * z / FOCAL, z], axis=1).astype(np.float32)
    return left, PointCloud(points, colors=left[valid])


def picture(height: int = 420) -> np.ndarray:
    import cv2

    left, cloud = stereo_cloud()
    scene = scene_of(cloud)
    camera = OrbitCamera.fitted(scene, yaw=math.radians(-22), pitch=math.radians(-10))
    camera.zoom(1.45)
    # Drawn at 1.5× and shrunk: smoother edges, and the splats close the gaps between rows.
    large = render(scene, camera, (int(height * 1.35 * 1.5), int(height * 1.5)))
    view = cv2.resize(large, (int(height * 1.35), height), interpolation=cv2.INTER_AREA)
    photo = cv2.resize(left, (round(left.shape[1] * height / left.shape[0]), height), interpolation=cv2.INTER_AREA)
    gap = np.full((height, 8, 3), 255, np.uint8)
    return np.hstack([photo, gap, view])


def main(argv: list[str] | None = None) -> int:
    import cv2

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "3d.png")
    args = parser.parse_args(argv)
    rgb = picture()
    if not cv2.imwrite(str(args.out), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise SystemExit(f"cannot write {args.out}")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
