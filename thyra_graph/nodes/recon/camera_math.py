"""Pinhole camera maths shared by the 3D nodes: project, unproject, pixel rays, depth → points.

One convention everywhere (the ``Cameras`` type's): ``K`` is 3×3 intrinsics, the extrinsic is
world-to-camera ``[R|t]`` (3×4, or 4×4 with a last row 0 0 0 1) so ``x_cam = R x_world + t``,
OpenCV axes (x right, y down, z forward), pixel ``(u, v)`` = (column, row) with the centre of
the top-left pixel at (0, 0). Depth is the camera-space z (not the distance along the ray).

Example::

    K, E = camera(cameras, 0)
    points, pixels = depth_to_points(depth, K, E, mask=valid)   # world points of every valid pixel
    uv, z = project(points, K, E)                               # back to the same pixels
"""

from __future__ import annotations

import numpy as np

from thyra_graph.types import Cameras


def camera(cameras: Cameras, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Camera ``index`` of ``cameras`` as ``(K 3×3, extrinsic 3×4)``, both float64."""
    if not 0 <= index < len(cameras):
        raise IndexError(f"camera {index} asked for but Cameras holds {len(cameras)}")
    return (np.asarray(cameras.intrinsics[index], dtype=np.float64),
            np.asarray(cameras.extrinsics[index][:3, :4], dtype=np.float64))


def _split(extrinsic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    extrinsic = np.asarray(extrinsic, dtype=np.float64)
    if extrinsic.shape not in ((3, 4), (4, 4)):
        raise ValueError(f"an extrinsic must be a 3×4 or 4×4 world-to-camera matrix, got shape {extrinsic.shape}")
    return extrinsic[:3, :3], extrinsic[:3, 3]


def world_to_camera(points: np.ndarray, extrinsic: np.ndarray) -> np.ndarray:
    """N×3 world points in the camera's frame (``R x + t``)."""
    R, t = _split(extrinsic)
    return np.asarray(points, dtype=np.float64) @ R.T + t


def camera_to_world(points: np.ndarray, extrinsic: np.ndarray) -> np.ndarray:
    """N×3 camera-frame points in world coordinates (``Rᵀ (x − t)``)."""
    R, t = _split(extrinsic)
    return (np.asarray(points, dtype=np.float64) - t) @ R


def camera_center(extrinsic: np.ndarray) -> np.ndarray:
    """The camera centre in world coordinates (``−Rᵀ t``)."""
    R, t = _split(extrinsic)
    return -R.T @ t


def project(points: np.ndarray, K: np.ndarray, extrinsic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project N×3 world points: returns ``(uv N×2 pixels, z N depths)``.

    Points at or behind the camera (z ≤ 0) get ``uv`` = NaN, so callers cannot mistake them
    for pixels; check ``z > 0`` (and the image bounds) before using ``uv``.
    """
    cam = world_to_camera(points, extrinsic)
    z = cam[:, 2]
    uvw = cam @ np.asarray(K, dtype=np.float64).T
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = uvw[:, :2] / uvw[:, 2:3]
    uv[z <= 0] = np.nan
    return uv, z


def pixel_rays(uv: np.ndarray, K: np.ndarray, extrinsic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World rays through N pixels: ``(origin 3, directions N×3)``, directions of unit length."""
    R, _ = _split(extrinsic)
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    homogeneous = np.column_stack([uv, np.ones(len(uv))])
    directions = homogeneous @ np.linalg.inv(np.asarray(K, dtype=np.float64)).T @ R
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return camera_center(extrinsic), directions


def unproject(uv: np.ndarray, depth: np.ndarray, K: np.ndarray, extrinsic: np.ndarray) -> np.ndarray:
    """World points (N×3) of N pixels ``uv`` seen at camera-space depths ``depth`` (z, not range)."""
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    depth = np.asarray(depth, dtype=np.float64).reshape(-1)
    K = np.asarray(K, dtype=np.float64)
    x = (uv[:, 0] - K[0, 2] - K[0, 1] * (uv[:, 1] - K[1, 2]) / K[1, 1]) / K[0, 0]
    y = (uv[:, 1] - K[1, 2]) / K[1, 1]
    cam = np.column_stack([x * depth, y * depth, depth])
    return camera_to_world(cam, extrinsic)


def pixel_grid(height: int, width: int) -> np.ndarray:
    """The (H·W)×2 pixel coordinates ``(u, v)`` of an H×W image in row-major order."""
    v, u = np.mgrid[0:height, 0:width]
    return np.column_stack([u.ravel(), v.ravel()]).astype(np.float64)


def depth_to_points(depth: np.ndarray, K: np.ndarray, extrinsic: np.ndarray,
                    mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """World points of every pixel of an H×W depth map with a finite depth > 0 (and ``mask``).

    Returns ``(points N×3 float64, flat_index N)``: ``flat_index`` are the row-major pixel
    indices the points came from (``np.unravel_index(flat_index, depth.shape)`` gives rows and
    columns), for picking colours or other per-pixel values.
    """
    depth = np.asarray(depth)
    if depth.ndim != 2:
        raise ValueError(f"a depth map must be H×W, got shape {depth.shape}")
    keep = np.isfinite(depth) & (depth > 0)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != depth.shape:
            raise ValueError(f"the mask is {mask.shape[1]}×{mask.shape[0]} but the depth map is "
                             f"{depth.shape[1]}×{depth.shape[0]}; give a mask of the depth map's size")
        keep &= mask
    flat = np.flatnonzero(keep)
    rows, cols = np.divmod(flat, depth.shape[1])
    uv = np.column_stack([cols, rows]).astype(np.float64)
    return unproject(uv, depth.ravel()[flat], K, extrinsic), flat


def look_at(center: np.ndarray, target: np.ndarray, up: np.ndarray = (0.0, -1.0, 0.0)) -> np.ndarray:
    """A 3×4 world-to-camera extrinsic for a camera at ``center`` looking at ``target``
    (OpenCV axes: ``up`` is the world direction that should appear towards the image top)."""
    center, target = np.asarray(center, dtype=np.float64), np.asarray(target, dtype=np.float64)
    forward = target - center
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, np.asarray(up, dtype=np.float64))
    if np.linalg.norm(right) < 1e-9:
        raise ValueError("look_at: the viewing direction is parallel to 'up'; pick another up vector")
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    R = np.stack([right, down, forward])
    return np.column_stack([R, -R @ center])
