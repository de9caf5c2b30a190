"""A scene with an exact answer: a sphere seen by cameras around it, depth by ray casting."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.recon.camera_math import look_at, pixel_grid, pixel_rays
from thyra_graph.types import Cameras, Field, FrameSeries, Image

RADIUS = 1.0
SIZE = (96, 72)  # width, height


def sphere_depth(K: np.ndarray, extrinsic: np.ndarray, radius: float = RADIUS) -> np.ndarray:
    """Camera-space z of the sphere (centre at the origin) at every pixel; NaN where missed."""
    width, height = SIZE
    origin, directions = pixel_rays(pixel_grid(height, width), K, extrinsic)
    # |o + s d|² = r²  →  s² + 2 (o·d) s + |o|² − r² = 0, nearest root.
    b = directions @ origin
    disc = b ** 2 - (origin @ origin - radius ** 2)
    with np.errstate(invalid="ignore"):
        distance = -b - np.sqrt(disc)
    forward = extrinsic[2, :3]  # the camera's viewing axis in world coordinates
    z = distance * (directions @ forward)
    return np.where(disc > 0, z, np.nan).reshape(height, width)


@pytest.fixture(scope="module")
def sphere_views():
    """Six cameras 3.5 units from a unit sphere (around it and from above/below), their depth
    maps (FrameSeries of Field, metres) and flat-coloured frames (one colour per view)."""
    centres = [(3.5, 0, 0), (-3.5, 0, 0), (0, 0, 3.5), (0, 0, -3.5), (0.1, -3.5, 0.1), (0.1, 3.5, 0.1)]
    width, height = SIZE
    K = np.array([[80.0, 0.0, (width - 1) / 2], [0.0, 80.0, (height - 1) / 2], [0.0, 0.0, 1.0]])
    extrinsics = np.stack([look_at(c, (0, 0, 0)) for c in centres])
    cameras = Cameras(np.stack([K] * len(centres)), extrinsics, SIZE, [f"view{i}" for i in range(len(centres))])
    depths = [Field({"depth": sphere_depth(K, E).astype(np.float32)}, meta={"units": "metres"}) for E in extrinsics]
    colours = [np.full((height, width, 3), 40 * i, dtype=np.uint8) for i in range(len(centres))]
    series = FrameSeries.from_items((i, float(i), d) for i, d in enumerate(depths))
    frames = FrameSeries.from_items((i, float(i), Image(c)) for i, c in enumerate(colours))
    return cameras, series, frames
