"""The typical object size and polarity of an image, measured from the image itself.

A blob of diameter d answers the scale-normalised Laplacian most strongly at sigma = d / (2√2)
(Lindeberg), whatever its contrast; a scale-space peak (a pixel that tops its neighbours in
space and in the two neighbouring scales) therefore says "an object of this size is here".
Over an image the peaks of real objects pile up at the objects' scale, while noise gives weak
peaks at the finest scale and backgrounds (gradients, vignetting, blotches) weak ones at the
coarsest. The estimate is the scale band where the peaks' summed strength is highest, for
the polarity (bright or dark objects) whose peaks are stronger; the size range handed to the
counters is where most of that band's peaks lie, each peak's scale refined between the scale
steps, and reaching as far below the typical size as above it. Weak peaks on a bigger,
stronger one (the relief of a coin, the ring inside a disc's edge) are parts of it, not
evidence of small objects, and are left out.

Large scales are measured on a reduced image (the normalised response does not change with
resampling), so a 4096² image is estimated in a fraction of a second; images larger than
:data:`WINDOW_SIDE` are estimated on a few windows spread over them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .background import robust_sigma
from .resolve import STRONG_RATIO
from .scale_space import SCALE_STEP, blob_like, radius_of

# A scale-space peak counts from this many noise standard deviations of its scale's response.
PEAK_SIGMAS = 5.0
# Scales searched: from the finest meaningful sigma up to objects 1/4 of the window's side.
FINEST_SIGMA = 0.6
LARGEST_SHARE = 1.0 / 4.0
# Each scale is computed on the image reduced so that sigma stays at least this many pixels.
_MIN_WORKING_SIGMA = 2.0
# Images with a side above this are estimated on SAMPLE_WINDOWS windows of this side.
WINDOW_SIDE = 1024
SAMPLE_WINDOWS = 4
# The size range covers the peaks of the winning band between these strength quantiles (then
# narrowed to the shorter reach around the typical size); only its lower end is widened by one
# scale step (a range reaching far above the objects makes the counters see neighbours as one).
RANGE_QUANTILES = (0.05, 0.95)
# The size range searched when the image shows nothing to estimate from (the old defaults).
FALLBACK_SIZES = (2.0, 8.0)
# The band searched around the strongest scale: this many scale steps each way (×2.4).
BAND_STEPS = 4


@dataclass(frozen=True)
class ScaleEstimate:
    """What automatic scale and polarity decided, and from how much evidence."""

    size: float  # typical object diameter, pixels
    min_size: float
    max_size: float
    polarity: str  # "bright" or "dark"
    peaks: int  # scale-space peaks in the winning band

    def to_json(self) -> dict:
        return {"size": round(self.size, 2), "min_size": round(self.min_size, 2),
                "max_size": round(self.max_size, 2), "polarity": self.polarity, "peaks": self.peaks}

    def describe(self) -> str:
        return (f"objects about {self.size:.1f} px across ({self.min_size:.1f}-{self.max_size:.1f} px), "
                f"{self.polarity}, from {self.peaks} scale-space peaks")


@dataclass
class _Peaks:
    sigma: np.ndarray  # the scale each peak answered at
    strength: np.ndarray  # its normalised response (about 0.74 × contrast for a disc)
    sign: np.ndarray  # +1 bright, -1 dark


def estimate_scale(grey: np.ndarray, *, polarity: str = "auto") -> ScaleEstimate | None:
    """Typical object size and polarity of a 0-1 grey image; None when it shows no objects.

    ``polarity`` "bright"/"dark" fixes the polarity and estimates only the size.
    """
    return estimate_from_windows(windows_of(grey.shape[:2], lambda rows, cols: grey[rows, cols]), polarity=polarity)


def estimate_from_windows(windows: list[np.ndarray], *, polarity: str = "auto") -> ScaleEstimate | None:
    """The estimate from sample windows of one image (0-1 grey, all of one size)."""
    if not windows:
        return None
    peaks = [_scale_space_peaks(window) for window in windows]
    found = _Peaks(np.concatenate([p.sigma for p in peaks]), np.concatenate([p.strength for p in peaks]),
                   np.concatenate([p.sign for p in peaks]))
    sigmas = _sigmas(min(windows[0].shape[:2]))
    if len(sigmas) == 0 or len(found.sigma) == 0:
        return None
    best = None
    for sign in (1.0, -1.0):
        if (polarity == "bright" and sign < 0) or (polarity == "dark" and sign > 0):
            continue
        mine = found.sign == sign
        if not mine.any():
            continue
        index = np.clip(np.rint(np.log(found.sigma[mine] / sigmas[0]) / math.log(SCALE_STEP)).astype(int),
                        0, len(sigmas) - 1)
        energy = np.bincount(index, weights=found.strength[mine] ** 2 * found.sigma[mine], minlength=len(sigmas))
        # Sizes vary within a kind of object: score each scale with its neighbours. Strengths
        # are squared so that the few strong peaks of big objects outweigh the many weak ones
        # that noise on their bright tops and rings along their edges make at fine scales.
        band = np.convolve(energy, [0.5, 1.0, 0.5], mode="same")
        peak = int(np.argmax(band))
        if best is None or band[peak] > best[0]:
            best = (band[peak], sign, peak, index, found.sigma[mine], found.strength[mine])
    if best is None:
        return None
    _, sign, peak, index, sigma, strength = best
    near = np.abs(index - peak) <= BAND_STEPS
    sigma, strength = sigma[near], strength[near]
    weight = strength
    low, high = _weighted_quantiles(sigma, weight, RANGE_QUANTILES)
    typical = _weighted_quantiles(sigma, weight, (0.5,))[0]
    # A kind of object varies in size about as much below its typical size as above it; the
    # tail that reaches farther reaches into something else (below: texture and rims of the
    # objects, above: touching neighbours seen as one), so both sides take the shorter reach.
    spread = min(typical / low, high / typical)
    low, high = typical / spread, typical * spread
    diameter = 2.0 * float(radius_of(1.0))
    return ScaleEstimate(size=diameter * typical, min_size=max(1.0, diameter * low / SCALE_STEP),
                         max_size=diameter * high, polarity="bright" if sign > 0 else "dark",
                         peaks=int(near.sum()))


def _sigmas(side: int) -> np.ndarray:
    largest = LARGEST_SHARE * side / (2.0 * math.sqrt(2.0))
    if largest <= FINEST_SIGMA:
        return np.zeros(0)
    count = int(math.floor(math.log(largest / FINEST_SIGMA) / math.log(SCALE_STEP))) + 1
    return FINEST_SIGMA * SCALE_STEP ** np.arange(count)


def windows_of(shape: tuple[int, int], read, *, side: int = WINDOW_SIDE) -> list[np.ndarray]:
    """The windows of ``side`` px an image of ``shape`` is estimated on (the whole image when
    it is not much bigger), read by ``read(rows, cols)``."""
    height, width = shape
    if max(height, width) <= side * 1.5:
        return [read(slice(0, height), slice(0, width))]
    side_y, side_x = min(height, side), min(width, side)
    grid = int(math.ceil(math.sqrt(SAMPLE_WINDOWS)))
    windows = []
    for i in range(grid):
        for j in range(grid):
            y0 = int(round((height - side_y) * (i + 0.5) / grid))
            x0 = int(round((width - side_x) * (j + 0.5) / grid))
            windows.append(read(slice(y0, y0 + side_y), slice(x0, x0 + side_x)))
    return windows[:SAMPLE_WINDOWS]


def _scale_space_peaks(grey: np.ndarray) -> _Peaks:
    """Peaks of the normalised Laplacian over space and scale, both polarities."""
    import cv2

    sigmas = _sigmas(min(grey.shape[:2]))
    reduced: dict[int, np.ndarray] = {}

    def image_at(factor: int) -> np.ndarray:
        if factor not in reduced:
            if factor == 1:
                reduced[factor] = np.ascontiguousarray(grey, dtype=np.float32)
            else:
                size = (max(1, grey.shape[1] // factor), max(1, grey.shape[0] // factor))
                reduced[factor] = cv2.resize(grey.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        return reduced[factor]

    def response(sigma: float, factor: int) -> tuple[np.ndarray, np.ndarray]:
        working = sigma / factor
        blurred = cv2.GaussianBlur(image_at(factor), (0, 0), working, borderType=cv2.BORDER_REFLECT)
        out = cv2.Laplacian(blurred, cv2.CV_32F, borderType=cv2.BORDER_REFLECT)
        out *= np.float32(-working * working)
        return out, blurred

    kernel = np.ones((3, 3), np.uint8)
    found_sigma, found_strength, found_sign, found_xy = [], [], [], []
    fine_noise, fine_sigma = None, 1.0
    for level in range(1, len(sigmas) - 1):
        sigma = float(sigmas[level])
        factor = 2 ** max(0, int(math.floor(math.log2(sigma / _MIN_WORKING_SIGMA)))) if sigma > _MIN_WORKING_SIGMA else 1
        here, blurred = response(sigma, factor)
        finer, coarser = response(float(sigmas[level - 1]), factor)[0], response(float(sigmas[level + 1]), factor)[0]
        stride = max(1, int(math.sqrt(here.size / 250_000)))
        noise = robust_sigma(here[::stride, ::stride])
        # Where big objects fill much of the image their own response is most of what the
        # robust spread sees at their scale; pixel noise seen at the finest scale falls as
        # 1/sigma through the normalised Laplacian and bounds what noise can be there.
        if fine_noise is None:
            fine_noise, fine_sigma = noise, sigma
        else:
            noise = min(noise, max(fine_noise * fine_sigma / sigma, 1e-6))
        if noise <= 0:
            continue
        # Peaks near the window's edge answer to the mirrored image, not to an object.
        edge = int(math.ceil(radius_of(sigma) / factor))
        for sign in (1.0, -1.0):
            signed = here if sign > 0 else -here
            neighbours = cv2.dilate(signed, kernel)
            top = (signed >= neighbours) & (signed > PEAK_SIGMAS * noise)
            for other in (finer, coarser):
                top &= signed > cv2.dilate(other if sign > 0 else -other, kernel)
            if edge:
                top[:edge], top[-edge:], top[:, :edge], top[:, -edge:] = False, False, False, False
            rows, cols = np.nonzero(top)
            # Rings and ridges along an object's edge peak too; only round peaks are objects.
            round_ = blob_like(blurred if sign > 0 else -blurred, rows, cols)
            rows, cols = rows[round_], cols[round_]
            values = signed[rows, cols]
            below = (finer if sign > 0 else -finer)[rows, cols]
            above = (coarser if sign > 0 else -coarser)[rows, cols]
            found_sigma.append(sigma * SCALE_STEP ** _vertex(below, values, above))
            found_strength.append(values.astype(np.float64))
            found_sign.append(np.full(values.size, sign))
            found_xy.append(np.column_stack([cols, rows]).astype(np.float64) * factor)
    if not found_sigma:
        return _Peaks(np.zeros(0), np.zeros(0), np.zeros(0))
    found = _Peaks(np.concatenate(found_sigma), np.concatenate(found_strength), np.concatenate(found_sign))
    own = ~_parts_of_bigger(np.concatenate(found_xy), found)
    return _Peaks(found.sigma[own], found.strength[own], found.sign[own])


def _parts_of_bigger(xy: np.ndarray, found: _Peaks) -> np.ndarray:
    """Peaks that are texture, rims or rings of a bigger object rather than objects: within a
    coarser peak's radius (same polarity) and weaker than STRONG_RATIO of it, the rule the
    counters settle peaks by (:mod:`resolve`). Left in, the many small peaks a textured coin
    makes would say "small objects" as loudly as the coins say "big ones"."""
    from scipy.spatial import cKDTree

    part = np.zeros(len(xy), dtype=bool)
    for sign in (1.0, -1.0):
        mine = np.flatnonzero(found.sign == sign)
        # The scale step each peak was found at (its refined scale is within half a step).
        level = np.rint(np.log(found.sigma[mine] / FINEST_SIGMA) / math.log(SCALE_STEP)).astype(int)
        for step in np.unique(level)[::-1]:
            coarse, finer = mine[level == step], mine[level < step]
            if len(finer) == 0:
                continue
            tree = cKDTree(xy[coarse])
            reach = float(radius_of(FINEST_SIGMA * SCALE_STEP ** step))
            _, nearest = tree.query(xy[finer], distance_upper_bound=reach)
            inside = nearest < len(coarse)
            weak = found.strength[finer[inside]] < STRONG_RATIO * found.strength[coarse[nearest[inside]]]
            part[finer[inside][weak]] = True
    return part


def _vertex(before: np.ndarray, centre: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Where a parabola through three equally spaced samples peaks, in steps from the middle
    one (-0.5..0.5): a peak's scale known to a fraction of a step, as SIFT refines it."""
    curvature = before.astype(np.float64) - 2.0 * centre + after
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curvature < 0, 0.5 * (before - after) / curvature, 0.0)
    return np.clip(offset, -0.5, 0.5)


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, quantiles: tuple[float, ...]) -> list[float]:
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    return [float(values[min(np.searchsorted(cumulative, q), len(values) - 1)]) for q in quantiles]


def auto_settings(grey_windows, *, min_size: float | None, max_size: float | None, threshold: float,
                  polarity: str) -> tuple["BlobSettings", str]:
    """The counters' settings with ``None`` sizes (auto) filled from the image, and a line
    saying what was used and why (the node's ``scale`` output).

    ``grey_windows`` is a callable returning the sample windows (0-1 grey), called only when
    a size is left to auto: a fixed size range costs nothing extra.
    """
    from .blobs import BlobSettings

    if min_size is not None and max_size is not None:
        return BlobSettings(min_size, max_size, threshold, polarity), (
            f"sizes {min_size:g}-{max_size:g} px as given, polarity {polarity}")
    estimate = estimate_from_windows(grey_windows(), polarity=polarity)
    if estimate is None:
        low = min_size if min_size is not None else FALLBACK_SIZES[0]
        high = max(max_size if max_size is not None else FALLBACK_SIZES[1], low)
        return BlobSettings(low, high, threshold, polarity), (
            f"no object-like spots found to estimate the size from; searched {low:g}-{high:g} px")
    low = min_size if min_size is not None else round(estimate.min_size, 2)
    high = max_size if max_size is not None else round(estimate.max_size, 2)
    if low > high:  # one size given, the other estimated on the wrong side of it
        low, high = (low, low * estimate.max_size / estimate.min_size) if min_size is not None else (
            high * estimate.min_size / estimate.max_size, high)
    chosen = estimate.polarity if polarity == "auto" else polarity
    return BlobSettings(max(1.0, low), high, threshold, chosen), (
        f"auto: {estimate.describe()}; counted {max(1.0, low):.1f}-{high:.1f} px, {chosen}")


def resolve_auto(data: np.ndarray, settings: "BlobSettings") -> tuple["BlobSettings", str]:
    """``settings`` with sizes left at ``None`` (auto) measured on the image ``data`` (any
    grey/RGB, 8/16-bit or float), and the line that says what was used."""
    from .intensity import gray_float

    def windows() -> list[np.ndarray]:
        shape = (int(data.shape[0]), int(data.shape[1]))
        return windows_of(shape, lambda rows, cols: gray_float(data[rows, cols])[0])

    if data.shape[0] == 0 or data.shape[1] == 0:
        return settings, "empty image"
    return auto_settings(windows, min_size=settings.min_size, max_size=settings.max_size,
                         threshold=settings.threshold, polarity=settings.polarity)
