"""The scale-normalised Laplacian of Gaussian: one response per object size.

A bright blob of radius r gives its strongest response at sigma = r / √2; normalising by
sigma² makes responses of different sizes comparable (Lindeberg), so the scale that answers
best tells an object's size and a small object next to a big one still stands out at its own
scale.
"""

from __future__ import annotations

import math
import numpy as np

# Neighbouring scales differ by 25 %: close enough that no size falls between two scales.
SCALE_STEP = 1.25
# Below half a pixel the Gaussian is no smoothing at all and the Laplacian is pure noise.
MIN_SIGMA = 0.5


def blob_scales(min_size: float, max_size: float) -> np.ndarray:
    """The sigmas that cover object diameters ``min_size``..``max_size`` (pixels)."""
    low = max(MIN_SIGMA, min_size / (2.0 * math.sqrt(2.0)))
    high = max(low, max_size / (2.0 * math.sqrt(2.0)))
    count = 1 if high <= low * 1.0001 else max(2, int(math.ceil(math.log(high / low) / math.log(SCALE_STEP))) + 1)
    return np.geomspace(low, high, count)


def radius_of(sigma: float | np.ndarray) -> float | np.ndarray:
    """The object radius a scale stands for."""
    return sigma * math.sqrt(2.0)


def log_response(residual: np.ndarray, sigma: float, *, with_blurred: bool = False):
    """-sigma² ∇²(G_sigma * residual): positive on bright blobs about sigma·√2 in radius.

    ``with_blurred`` also returns G_sigma * residual (for :func:`blob_like`).
    """
    import cv2

    blurred = cv2.GaussianBlur(residual, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    response = cv2.Laplacian(blurred, cv2.CV_32F, borderType=cv2.BORDER_REFLECT)
    response *= np.float32(-sigma * sigma)
    return (response, blurred) if with_blurred else response


# Principal curvatures of a blob differ by at most this ratio; an edge or a line has one
# curvature far larger than the other (Lowe's test from SIFT, with his value).
EDGE_RATIO = 10.0


def blob_like(blurred: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Which peaks sit on a blob (both curvatures downward and alike) rather than on an edge.

    The Laplacian also peaks along the bright side of a straight edge (a horizon, a roof, a
    seam between two images); the Hessian there is strongly curved across the edge only.
    """
    height, width = blurred.shape
    up, down = np.maximum(rows - 1, 0), np.minimum(rows + 1, height - 1)
    left, right = np.maximum(cols - 1, 0), np.minimum(cols + 1, width - 1)
    centre = blurred[rows, cols].astype(np.float64)
    dxx = blurred[rows, left] + blurred[rows, right] - 2.0 * centre
    dyy = blurred[up, cols] + blurred[down, cols] - 2.0 * centre
    dxy = 0.25 * (blurred[down, right].astype(np.float64) - blurred[down, left] - blurred[up, right] + blurred[up, left])
    trace, det = dxx + dyy, dxx * dyy - dxy * dxy
    limit = (EDGE_RATIO + 1.0) ** 2 / EDGE_RATIO
    return (det > 0) & (trace < 0) & (trace * trace < limit * det)


def smooth(residual: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(residual, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def local_maxima(response: np.ndarray, floor: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of pixels that top their 8 neighbours and exceed ``floor``."""
    import cv2

    peaks = cv2.dilate(response, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REFLECT)
    mask = response >= peaks
    mask &= response > floor
    return np.nonzero(mask)


def refine(response: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel peak positions from a parabola through each peak and its two neighbours."""
    height, width = response.shape

    def offset(before: np.ndarray, centre: np.ndarray, after: np.ndarray) -> np.ndarray:
        curvature = before - 2.0 * centre + after
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(curvature < 0, 0.5 * (before - after) / curvature, 0.0)
        return np.clip(step, -0.5, 0.5)

    up, down = np.maximum(rows - 1, 0), np.minimum(rows + 1, height - 1)
    left, right = np.maximum(cols - 1, 0), np.minimum(cols + 1, width - 1)
    centre = response[rows, cols]
    dy = offset(response[up, cols], centre, response[down, cols])
    dx = offset(response[rows, left], centre, response[rows, right])
    return cols + dx, rows + dy
