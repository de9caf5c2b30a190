"""recon.stereo_depth: metric depth from a rectified stereo pair (OpenCV semi-global matching).

Matching is OpenCV's SGBM with its left-right consistency check and speckle filter; the pixels
it leaves unmatched (occlusions, the left border, textureless patches) are filled along their
scanline from the farther (lower-disparity) neighbour, since a hole beside a foreground edge is
almost always background the right camera could not see. ``valid`` says which pixels were
measured and which were filled.

Depth follows the Middlebury convention ``Z = f·B / (d + doffs)``, where ``doffs`` is the
difference of the two principal points' x (0 for a pair rectified to one principal point).
"""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, Field, Image, Mask

# SGBM returns fixed-point disparities with 4 fractional bits.
_SGBM_SCALE = 16.0


def searched_range(min_disparity: int, max_disparity: int) -> int:
    """SGBM's numDisparities: the range rounded up to a positive multiple of 16."""
    return int(np.ceil(max(max_disparity - min_disparity, 1) / 16.0)) * 16


def sgbm_disparity(left: np.ndarray, right: np.ndarray, *, min_disparity: int, max_disparity: int,
                   block_size: int) -> np.ndarray:
    """Left-view disparity in pixels (float32) from two H×W×3 uint8 images; NaN where unmatched."""
    import cv2

    count = searched_range(min_disparity, max_disparity)
    channels = 1 if left.ndim == 2 else left.shape[2]
    matcher = cv2.StereoSGBM_create(
        minDisparity=min_disparity, numDisparities=count, blockSize=block_size,
        # The usual smoothness penalties from OpenCV's stereo_match sample.
        P1=8 * channels * block_size ** 2, P2=32 * channels * block_size ** 2,
        disp12MaxDiff=1, uniquenessRatio=10, speckleWindowSize=100, speckleRange=2,
        mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY)
    raw = matcher.compute(left, right)
    disparity = raw.astype(np.float32) / _SGBM_SCALE
    disparity[raw < min_disparity * _SGBM_SCALE] = np.nan
    return disparity


def fill_from_background(disparity: np.ndarray) -> np.ndarray:
    """Fill NaN disparities with the lower of the nearest measured values left and right on the
    same row (the background side of an occlusion); rows with no measurement take the column's
    nearest rows the same way. Returns a copy; all-NaN input stays NaN."""
    filled = _fill_rows(disparity)
    missing = np.isnan(filled)
    if missing.any() and not missing.all():
        filled[missing] = _fill_rows(filled.T).T[missing]
    return filled


def _fill_rows(values: np.ndarray) -> np.ndarray:
    height, width = values.shape
    measured = ~np.isnan(values)
    columns = np.arange(width)[None, :]
    # Index of the nearest measured pixel at or left of / at or right of each pixel.
    left = np.maximum.accumulate(np.where(measured, columns, -1), axis=1)
    right = np.minimum.accumulate(np.where(measured, columns, width)[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(height)[:, None]
    from_left = np.where(left >= 0, values[rows, np.clip(left, 0, width - 1)], np.inf)
    from_right = np.where(right < width, values[rows, np.clip(right, 0, width - 1)], np.inf)
    nearest = np.minimum(from_left, from_right)
    return np.where(measured, values, np.where(np.isinf(nearest), np.nan, nearest)).astype(np.float32)


def rig_from_cameras(cameras: Cameras) -> tuple[float, float, float, float, float]:
    """``(focal, cx, cy, baseline, doffs)`` of a rectified two-camera rig (left first)."""
    if len(cameras) != 2:
        raise NodeError(f"recon.stereo_depth: the 'cameras' input holds {len(cameras)} cameras; give the "
                        "rectified pair (left first, then right) or leave it unconnected and set focal, cx, cy, baseline")
    K = np.asarray(cameras.intrinsics, dtype=np.float64)
    R = np.asarray(cameras.extrinsics, dtype=np.float64)[:, :3, :3]
    centers = cameras.centers()
    offset = R[0] @ (centers[1] - centers[0])  # right camera's centre in the left camera's frame
    baseline = float(np.linalg.norm(offset))
    if (not np.allclose(R[0], R[1], atol=1e-6) or baseline == 0 or abs(offset[1]) > 1e-3 * baseline
            or abs(offset[2]) > 1e-3 * baseline or offset[0] <= 0 or abs(K[0, 0, 0] - K[1, 0, 0]) > 1e-6 * K[0, 0, 0]):
        raise NodeError("recon.stereo_depth: the two cameras are not a rectified pair (same rotation and focal "
                        "length, the right camera along the left one's +x axis); rectify the images first "
                        "(cv2.stereoRectify) or give focal, cx, cy, baseline as parameters")
    return float(K[0, 0, 0]), float(K[0, 0, 2]), float(K[0, 1, 2]), baseline, float(K[1, 0, 2] - K[0, 0, 2])


def stereo_rig(focal: float, cx: float, cy: float, baseline: float, doffs: float, size: tuple[int, int]) -> Cameras:
    """The left (at the origin) and right camera of a rectified rig, world = left camera frame."""
    K_left = np.array([[focal, 0.0, cx], [0.0, focal, cy], [0.0, 0.0, 1.0]])
    K_right = K_left.copy()
    K_right[0, 2] += doffs
    extrinsics = np.stack([np.eye(3, 4), np.eye(3, 4)])
    extrinsics[1, 0, 3] = -baseline
    return Cameras(np.stack([K_left, K_right]), extrinsics, size, ["left", "right"])


@node(
    "recon.stereo_depth", category="recon",
    inputs=[
        Input("left", Image, help="the left image of a rectified pair (depth is on its pixel grid)"),
        Input("right", Image, help="the right image, same size, rows aligned with the left's"),
        Input("cameras", Cameras, required=False, help="the rectified pair as two cameras (left, right); replaces focal, cx, cy, baseline, doffs"),
    ],
    params=[
        Param("focal", 1000.0, min=1e-3, help="focal length in pixels (of the images as given)"),
        Param("cx", 0.0, help="principal point x of the left image, pixels"),
        Param("cy", 0.0, help="principal point y of the left image, pixels"),
        Param("baseline", 0.1, min=1e-9, help="distance between the two camera centres, metres"),
        Param("doffs", 0.0, help="right principal point x minus left principal point x, pixels (Middlebury 'doffs')"),
        Param("min_disparity", 0, min=-1024, max=1024, help="smallest disparity searched, pixels (the farthest point)"),
        Param("max_disparity", 128, min=16, max=2048, help="largest disparity searched, pixels (the nearest point); rounded up to min + a multiple of 16"),
        Param("block_size", 5, min=1, max=21, step=2, help="matching window side in pixels (odd): larger is smoother, smaller keeps edges"),
        Param("fill", True, help="fill unmatched pixels from their background neighbour on the same row (valid still marks only measured ones)"),
    ],
    outputs=[
        Output("depth", Field, help="layer 'depth': camera-space z in metres on the left image's grid; NaN where unknown"),
        Output("disparity", Field, help="layer 'disparity': left-to-right disparity in pixels; NaN where unknown"),
        Output("valid", Mask, help="pixels whose disparity was measured (not filled)"),
        Output("cameras", Cameras, help="the rig: left camera at the origin (world = left camera frame, metres), right camera"),
    ],
)
def stereo_depth(left: Image, right: Image, cameras: Cameras | None = None, *, focal: float, cx: float,
                 cy: float, baseline: float, doffs: float, min_disparity: int, max_disparity: int,
                 block_size: int, fill: bool) -> dict:
    """Depth in metres from a rectified stereo pair by semi-global matching, holes filled.

    Example (Middlebury motorcycle, scikit-image's copy): ``{type: recon.stereo_depth, inputs:
    {left: l.image, right: r.image}, params: {focal: 994.978, cx: 311.193, cy: 254.877,
    baseline: 0.193001, doffs: 31.086, max_disparity: 64}}``
    """
    if left.data.shape[:2] != right.data.shape[:2]:
        raise NodeError(f"recon.stereo_depth: the left image is {left.width}×{left.height} but the right is "
                        f"{right.width}×{right.height}; a rectified pair has one size (resize or crop both alike)")
    if block_size % 2 == 0:
        raise NodeError(f"recon.stereo_depth: block_size must be odd, got {block_size}; use {block_size + 1}")
    if max_disparity <= min_disparity:
        raise NodeError(f"recon.stereo_depth: max_disparity ({max_disparity}) must exceed min_disparity ({min_disparity})")
    searched = searched_range(min_disparity, max_disparity)
    if left.width <= searched + block_size:
        raise NodeError(f"recon.stereo_depth: the images are {left.width} pixels wide but the disparity search spans "
                        f"{searched} pixels; lower max_disparity (to about the largest shift between the views) "
                        "or use larger images")
    size = (left.width, left.height)
    if cameras is not None:
        if tuple(cameras.image_size) != size:
            raise NodeError(f"recon.stereo_depth: the cameras are for {cameras.image_size[0]}×{cameras.image_size[1]} "
                            f"images but the pair is {size[0]}×{size[1]}; give cameras of the images as connected")
        focal, cx, cy, baseline, doffs = rig_from_cameras(cameras)
    disparity = sgbm_disparity(left.as_uint8_rgb(), right.as_uint8_rgb(), min_disparity=min_disparity,
                               max_disparity=max_disparity, block_size=block_size)
    measured = ~np.isnan(disparity)
    if not measured.any():
        raise NodeError("recon.stereo_depth: no pixel could be matched between left and right; check that the "
                        "pair is rectified (rows aligned), left and right are not swapped, and the disparity "
                        f"range {min_disparity}..{max_disparity} holds the scene's disparities")
    if fill:
        disparity = fill_from_background(disparity)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = (focal * baseline / (disparity + doffs)).astype(np.float32)
    behind = ~(depth > 0) | ~np.isfinite(depth)  # d + doffs ≤ 0 has no point in front of the rig
    depth[behind] = np.nan
    facts = {"focal": focal, "cx": cx, "cy": cy, "baseline": baseline, "doffs": doffs}
    return {
        "depth": Field({"depth": depth}, meta={"units": "metres", **facts}),
        "disparity": Field({"disparity": disparity}, meta={"units": "pixels", **facts}),
        "valid": Mask(measured & ~behind),
        "cameras": stereo_rig(focal, cx, cy, baseline, doffs, size),
    }
