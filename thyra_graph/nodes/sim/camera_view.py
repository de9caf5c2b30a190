"""A perspective camera looking across the water, as a plane-to-screen homography.

The camera stands beyond the bottom edge of the image and looks up the image (toward row 0),
tilted down by ``elevation`` degrees. The mean water surface is a plane, so the picture of it
is a homography of the top-down picture: shading happens on the grid (with per-cell view
directions, so Fresnel and glints are right) and one ``warpPerspective`` puts it on screen.

The view is framed so that the screen sees only water: the ground footprint of the screen
(a trapezoid, wide at the far edge) is scaled and centred to fit inside the image.
World axes: x to the right (metres), y down the image, z up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from thyra_graph.engine.declaration import NodeError


@dataclass(frozen=True)
class CameraView:
    homography: np.ndarray  # grid pixel (col, row) → screen pixel
    position: np.ndarray  # camera position in metres
    size: tuple[int, int]  # screen width, height

    def view_vectors(self, shape: tuple[int, int], dx: float, dy: float) -> np.ndarray:
        """Unit vectors from every grid cell (on the mean surface) toward the camera."""
        rows, cols = shape
        x = (np.arange(cols) + 0.5) * dx
        y = (np.arange(rows) + 0.5) * dy
        v = np.empty((rows, cols, 3))
        v[..., 0] = self.position[0] - x[None, :]
        v[..., 1] = self.position[1] - y[:, None]
        v[..., 2] = self.position[2]
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def warp(self, picture: np.ndarray, supersample: int = 2) -> np.ndarray:
        """The top-down ``picture`` (grid-sized, float RGB) as the camera sees it."""
        import cv2

        width, height = self.size
        scale = np.diag([supersample, supersample, 1.0])
        big = cv2.warpPerspective(picture.astype(np.float32), scale @ self.homography,
                                  (width * supersample, height * supersample),
                                  flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA) if supersample > 1 else big


def camera_view(shape: tuple[int, int], dx: float, dy: float, *, size: tuple[int, int],
                elevation: float, fov: float) -> CameraView:
    """The camera for a grid of ``shape`` cells, a screen of ``size`` (width, height) pixels,
    tilted ``elevation`` degrees below the horizon with a vertical field of view ``fov``."""
    import cv2

    if not elevation > fov / 2 + 1:
        raise NodeError(f"camera_elevation {elevation:g}° must exceed half the field of view ({fov / 2:g}°) by a "
                        "degree, or the top of the picture would show the sky beyond the simulated water; "
                        "raise camera_elevation or lower fov")
    rows, cols = shape
    width_m, height_m = cols * dx, rows * dy
    theta = math.radians(elevation)
    forward = np.array([0.0, -math.cos(theta), -math.sin(theta)])
    right = np.array([1.0, 0.0, 0.0])
    up = np.array([0.0, -math.sin(theta), math.cos(theta)])
    tan_v = math.tan(math.radians(fov) / 2)
    tan_h = tan_v * size[0] / size[1]

    def ground(sx: float, sy: float) -> np.ndarray:
        """Where the ray through screen point (sx, sy) ∈ [−1, 1]² hits the water, for a camera
        one metre from the target at the origin."""
        d = forward + sx * tan_h * right + sy * tan_v * up
        origin = -forward
        t = -origin[2] / d[2]
        return (origin + t * d)[:2]

    corners = {name: ground(sx, sy) for name, (sx, sy) in
               {"far_left": (-1, 1), "far_right": (1, 1), "near_right": (1, -1), "near_left": (-1, -1)}.items()}
    far_width = corners["far_right"][0] - corners["far_left"][0]
    depth = corners["near_left"][1] - corners["far_left"][1]
    scale = min(width_m / far_width, height_m / depth)
    target = np.array([width_m / 2, -scale * corners["far_left"][1] + (height_m - scale * depth) / 2])
    position = np.array([target[0], target[1], 0.0]) - scale * forward
    screen = np.float32([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]])
    world = [target + scale * corners[name] for name in ("far_left", "far_right", "near_right", "near_left")]
    grid_px = np.float32([[x / dx - 0.5, y / dy - 0.5] for x, y in world])
    homography = cv2.getPerspectiveTransform(grid_px, screen)
    return CameraView(homography, position, size)
