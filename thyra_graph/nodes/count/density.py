"""count.density_map: points to a density map whose integral is the count.

Each point becomes a unit Gaussian, as crowd-counting datasets make their targets: with a
fixed sigma, or a geometry-adaptive one (beta times the mean distance to the k nearest other
points, MCNN's rule) so that packed objects get tight kernels and lone ones wide kernels.
Kernels that reach past the image edge are renormalised to keep their whole unit inside, so
the map's integral is exactly the number of points.
"""

from __future__ import annotations

import math

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import DensityMap, Image, Number, Points

SIGMA_MODES = ("fixed", "adaptive", "scales")
# Points whose sigmas differ by less than this ratio are blurred together (one pass per group).
_SIGMA_BIN = 1.08


def density_from_points(xy: np.ndarray, shape: tuple[int, int], *, sigma: float = 4.0, mode: str = "fixed",
                        k: int = 3, beta: float = 0.3, max_sigma: float = 32.0,
                        scales: np.ndarray | None = None) -> np.ndarray:
    """An H×W float32 map with one unit Gaussian per point (x, y); its sum is ``len(xy)``."""
    height, width = shape
    density = np.zeros((height, width), np.float32)
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if len(xy) == 0 or height == 0 or width == 0:
        return density
    xy = np.column_stack([np.clip(xy[:, 0], 0, width - 1), np.clip(xy[:, 1], 0, height - 1)])
    sigmas = point_sigmas(xy, sigma=sigma, mode=mode, k=k, beta=beta, max_sigma=max_sigma, scales=scales)
    groups = np.round(np.log(sigmas) / math.log(_SIGMA_BIN)).astype(np.int64)
    for group in np.unique(groups):
        members = groups == group
        density += _render(xy[members], float(np.median(sigmas[members])), height, width)
    total = float(density.sum(dtype=np.float64))
    if total > 0:
        # Float rounding and kernel truncation leave the sum a hair off; make it exact.
        density *= np.float32(len(xy) / total)
    return density


def point_sigmas(xy: np.ndarray, *, sigma: float, mode: str, k: int, beta: float, max_sigma: float,
                 scales: np.ndarray | None) -> np.ndarray:
    """The Gaussian sigma of each point under the chosen mode."""
    count = len(xy)
    if mode == "adaptive" and count > 1:
        from scipy.spatial import cKDTree

        neighbours = min(k, count - 1)
        distances, _ = cKDTree(xy).query(xy, k=neighbours + 1)
        sigmas = beta * np.asarray(distances).reshape(count, -1)[:, 1:].mean(axis=1)
    elif mode == "scales" and scales is not None and len(scales) == count:
        # A blob of radius r is a Gaussian of sigma r / √2 (how count.blobs measures radii).
        sigmas = np.where(np.isfinite(scales), np.asarray(scales, dtype=np.float64) / math.sqrt(2.0), sigma)
    else:
        sigmas = np.full(count, sigma, dtype=np.float64)
    return np.clip(sigmas, 0.5, max_sigma)


def _render(xy: np.ndarray, sigma: float, height: int, width: int) -> np.ndarray:
    """Unit impulses (split bilinearly between pixels) blurred by one Gaussian; each impulse is
    scaled up by the share of its kernel that falls outside the image."""
    import cv2

    impulses = np.zeros((height, width), np.float64)
    weight = 1.0 / _inside_share(xy, sigma, height, width)
    x0, y0 = np.floor(xy[:, 0]).astype(np.int64), np.floor(xy[:, 1]).astype(np.int64)
    fx, fy = xy[:, 0] - x0, xy[:, 1] - y0
    for dx, dy, share in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        cols, rows = np.minimum(x0 + dx, width - 1), np.minimum(y0 + dy, height - 1)
        np.add.at(impulses, (rows, cols), weight * share)
    size = 2 * int(math.ceil(4.0 * sigma)) + 1
    return cv2.GaussianBlur(impulses.astype(np.float32), (size, size), sigma, borderType=cv2.BORDER_CONSTANT)


def _inside_share(xy: np.ndarray, sigma: float, height: int, width: int) -> np.ndarray:
    """The fraction of a Gaussian at each point that lies on the image (pixel edges at ±0.5)."""
    from scipy.special import erf

    def along(position: np.ndarray, size: int) -> np.ndarray:
        scale = sigma * math.sqrt(2.0)
        return 0.5 * (erf((size - 0.5 - position) / scale) - erf((-0.5 - position) / scale))

    return np.maximum(along(xy[:, 0], width) * along(xy[:, 1], height), 1e-6)


@node(
    "count.density_map", category="count",
    inputs=[
        Input("points", Points, help="the objects (e.g. from count.blobs)"),
        Input("image", Image, help="the image the points belong to (sets the map's size)"),
    ],
    params=[
        Param("mode", "fixed", choices=SIGMA_MODES,
              help="kernel width: one sigma for all, adaptive to the k nearest neighbours, or each point's own scale"),
        Param("sigma", 4.0, min=0.5, max=256, help="kernel sigma in pixels (fixed mode; points without neighbours or scale)"),
        Param("k", 3, min=1, max=32, when={"mode": "adaptive"}, help="neighbours averaged by the adaptive mode"),
        Param("beta", 0.3, min=0.01, max=2, step=0.05, when={"mode": "adaptive"}, help="adaptive sigma = beta × mean distance to the k nearest neighbours"),
        Param("max_sigma", 32.0, min=0.5, max=512, help="upper bound on any kernel's sigma, in pixels"),
    ],
    outputs=[
        Output("density", DensityMap, help="H×W density; it sums to the number of points"),
        Output("count", Number, help="the number of points (the density's integral)"),
    ],
)
def density_map(points: Points, image: Image, *, mode: str, sigma: float, k: int, beta: float,
                max_sigma: float) -> dict:
    """Spread each counted object into a small Gaussian: a density map that sums to the count.

    Use it to see where objects are dense (with ``count.heatmap_overlay``), or to make
    training targets for a density network. Adaptive mode follows crowd counting (MCNN):
    sigma = 0.3 × the mean distance to the 3 nearest neighbours.

    Example: ``{type: count.density_map, inputs: {points: blobs.points, image: load.image}, params: {mode: adaptive}}``
    """
    height, width = int(image.data.shape[0]), int(image.data.shape[1])
    outside = _outside(points.xy, height, width)
    if outside:
        raise NodeError(f"{outside} of the {len(points)} points lie outside the {width}×{height} image: connect the "
                        "image the points were found in")
    data = density_from_points(points.xy, (height, width), sigma=sigma, mode=mode, k=k, beta=beta,
                               max_sigma=max_sigma, scales=points.scales)
    meta = {"mode": mode, "sigma": sigma, "points": len(points)}
    return {"density": DensityMap(data, meta), "count": Number(len(points))}


def _outside(xy: np.ndarray, height: int, width: int) -> int:
    """Points beyond the image by more than a pixel (sub-pixel overshoot is fine)."""
    if len(xy) == 0:
        return 0
    x, y = xy[:, 0], xy[:, 1]
    return int(((x < -1) | (y < -1) | (x > width) | (y > height)).sum())
