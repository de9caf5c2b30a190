"""Background flattening and local noise, on a block grid anchored to the whole image.

Skies have gradients, microscopes vignette, and Poisson noise is stronger where the image is
brighter. The counters therefore subtract a smooth background (the median of each block,
a 3×3 median over blocks to ignore blocks full of objects, then bilinear between block
centres) and measure the noise block by block.

The grid is anchored at the image's top-left corner, not at the window being processed, so
a tile that starts on a block boundary computes exactly the values the whole image would
have there, away from the tile's own edges. That is what lets ``count.tiled`` reproduce an
untiled count exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Samples per block side for the block medians: 16 × 16 values give a stable median and keep
# the work a small fraction of a full-resolution median filter.
_SAMPLES_PER_SIDE = 16


def block_size_for(max_size: float) -> int:
    """Background blocks several objects wide (so a block's median is background), a multiple
    of 16 so that block medians sample every (block / 16)-th pixel on a grid shared by tiles."""
    return int(max(32, math.ceil(6.0 * max_size / _SAMPLES_PER_SIDE) * _SAMPLES_PER_SIDE))


@dataclass(frozen=True)
class BlockGrid:
    """Blocks of ``block`` px anchored at pixel (0, 0) of the image, seen through a window.

    ``origin`` is the window's top-left pixel in the image (a multiple of ``block``) and
    ``shape`` its size; ``image_shape`` is the whole image's, for clamping at its far edges.
    """

    block: int
    shape: tuple[int, int]
    origin: tuple[int, int] = (0, 0)
    image_shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.origin[0] % self.block or self.origin[1] % self.block:
            raise ValueError(f"window origin {self.origin} is not on the {self.block}-px block grid")

    @property
    def blocks(self) -> tuple[int, int]:
        return -(-self.shape[0] // self.block), -(-self.shape[1] // self.block)

    def medians(self, values: np.ndarray) -> np.ndarray:
        """Median of each block from a regular 16 × 16 sample of its pixels, ny × nx float32."""
        stride = self.block // _SAMPLES_PER_SIDE
        sample = values[::stride, ::stride]
        ny, nx = self.blocks
        side = _SAMPLES_PER_SIDE
        pad = ((0, ny * side - sample.shape[0]), (0, nx * side - sample.shape[1]))
        if pad[0][1] or pad[1][1]:  # the image's last, partial blocks: repeat their edge
            sample = np.pad(sample, pad, mode="edge")
        blocks = sample.reshape(ny, side, nx, side).transpose(0, 2, 1, 3).reshape(ny, nx, -1)
        return np.median(blocks, axis=2).astype(np.float32)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of each block, ny × nx (the image's last blocks may be partial)."""
        rows = np.arange(0, values.shape[0], self.block)
        cols = np.arange(0, values.shape[1], self.block)
        return np.add.reduceat(np.add.reduceat(values, rows, axis=0), cols, axis=1).astype(np.float64)

    def expand(self, grid: np.ndarray) -> np.ndarray:
        """Bilinear interpolation of per-block values between block centres, over the window."""
        rows = self._axis(0, grid.shape[0])
        cols = self._axis(1, grid.shape[1])
        grid = grid.astype(np.float32, copy=False)
        across = grid[:, cols[0]] * (1.0 - cols[2]) + grid[:, cols[1]] * cols[2]
        out = across[rows[0]]
        out *= (1.0 - rows[2])[:, None]
        out += across[rows[1]] * rows[2][:, None]
        return out

    def _axis(self, axis: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        size, origin = self.shape[axis], self.origin[axis]
        image_size = self.image_shape[axis] if self.image_shape else origin + size
        last = -(-image_size // self.block) - 1
        # Block centres in image coordinates; beyond the image's first and last centres the
        # value is held flat. Clamping to the window's own blocks only matters near a tile's
        # edge, which the tiler keeps out of the counted core.
        centre = np.clip((np.arange(origin, origin + size, dtype=np.float64) + 0.5) / self.block - 0.5, 0.0, last)
        local = np.clip(centre - origin // self.block, 0.0, count - 1)
        low = np.floor(local).astype(np.int64)
        high = np.minimum(low + 1, count - 1)
        return low, high, (local - low).astype(np.float32)


def smooth_grid(grid: np.ndarray) -> np.ndarray:
    """3×3 median over blocks: blocks crowded with objects (or one big clump) read off, their
    neighbours do not."""
    from scipy import ndimage

    grid = np.asarray(grid, dtype=np.float32)
    if min(grid.shape) < 2:
        return grid
    return ndimage.median_filter(grid, size=3, mode="nearest").astype(np.float32)


def flatten(grey: np.ndarray, grid: BlockGrid) -> np.ndarray:
    """``grey`` minus its smooth background: objects stand on zero whatever the lighting."""
    background = grid.expand(smooth_grid(grid.medians(grey)))
    np.subtract(grey, background, out=background)
    return background


def robust_sigma(values: np.ndarray) -> float:
    """Noise standard deviation that objects barely move: the median absolute deviation.

    Where most values sit exactly on one level (a black sky clipped to zero, then JPEG
    speckle) the median deviation is zero although the image is not clean; the RMS of the
    central 90 % of values then sets a floor (half of it, scaled to a Gaussian's sigma).
    """
    values = np.asarray(values, dtype=np.float32).ravel()
    if values.size == 0:
        return 0.0
    centre = np.median(values)
    deviation = np.abs(values - centre)
    mad = float(1.4826 * np.median(deviation))
    central = deviation[deviation <= np.quantile(deviation, 0.9)].astype(np.float64)
    # Within ±1.645 sigma a Gaussian's RMS is 0.80 sigma.
    trimmed = float(np.sqrt(np.mean(central ** 2))) / 0.80 if central.size else 0.0
    return max(mad, 0.5 * trimmed)


def local_noise_factor(response: np.ndarray, quiet: np.ndarray, grid: BlockGrid, reference_rms: float) -> np.ndarray:
    """How noisy each part of the window is, relative to the image as a whole (1 = typical).

    The RMS of the fine-scale response over quiet pixels (no object nearby), block by
    block; blocks with too few quiet pixels borrow from their neighbours.
    """
    squares = np.where(quiet, response * response, np.float32(0.0))
    energy = grid.sums(squares)
    counted = grid.sums(quiet.astype(np.float32))
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(energy / counted)
    enough = counted >= 0.2 * grid.block * grid.block
    # A block too crowded to measure is taken as typical (factor 1) before the neighbours vote;
    # a fill from the block's own surroundings only would make tiles disagree with the whole.
    factor = np.where(enough, rms / reference_rms if reference_rms > 0 else 1.0, 1.0)
    factor = smooth_grid(factor)
    return grid.expand(np.clip(factor, 0.5, 5.0))


# A peak this many noise sigmas high is taken as an object and masked out of the background:
# high enough that on a plain noisy background next to nothing is masked (the noise comes
# out 1-2 % low), low enough that objects which inflated the first estimate get masked.
MASK_SIGMAS = 3.5
# The first round starts from a noise the objects may have inflated so much that none of them
# stands MASK_SIGMAS out of it; it masks from this lower level, the later rounds (from a noise
# that is no longer inflated) settle back to MASK_SIGMAS.
FIRST_MASK_SIGMAS = 2.5
# Rounds of "mask the objects, measure the noise of what is left", until the noise of every
# scale moves less than MASK_SETTLED between rounds: each round's smaller noise unmasks the
# objects that the previous one still counted as noise.
MASK_ROUNDS = 8
MASK_SETTLED = 0.02
# The local background level is computed on the image reduced by up to this factor.
_LEVEL_MAX_FACTOR = 16
# Noise spreads are measured on a regular subsample of about this many pixels.
_SPREAD_SAMPLES = 250_000


@dataclass
class BackgroundNoise:
    """Noise of the background with the objects taken out: per scale, and of the smoothed image."""

    sigmas: list[float]
    smooth_sigma: float


def object_free_noise(residual: np.ndarray, quiet: np.ndarray, factor: np.ndarray, sigmas: np.ndarray, *,
                      floor: float, smooth_floor: float) -> BackgroundNoise:
    """The noise each scale's response would have on the background alone.

    Where objects are big or crowded, every pixel is near one and the response is theirs
    at every pixel: measuring its spread measures the objects, and nothing stands 5 of those
    "sigmas" out (24 coins filling a photo counted 0). So, as astronomers estimate a sky with
    its sources masked (SExtractor, photutils), the objects are masked (the body of every peak
    above MASK_SIGMAS), filled with their surroundings' level (:func:`local_level`, which
    leaves no ring for the Laplacian to answer), and the noise is measured again on what is
    left, round after round until it settles. The smoothed image's noise is measured against
    that local level, as the counters compare objects with it.

    ``residual`` is the flattened image with objects positive, ``quiet`` the pixels with no
    object nearby (the first estimate), ``factor`` the local noise map, ``floor`` and
    ``smooth_floor`` the grey-step floors of the two figures.
    """
    from .scale_space import local_maxima, log_response, smooth

    responses = [log_response(residual, float(sigma)) for sigma in sigmas]
    pixels = quiet if quiet.any() else np.ones_like(quiet)
    noise = [max(_spread_of(response, pixels), floor) for response in responses]
    smooth_sigma = max(_spread_of(smooth(residual, float(sigmas[0])), pixels), smooth_floor)
    for round_ in range(MASK_ROUNDS):
        height = FIRST_MASK_SIGMAS if round_ == 0 else MASK_SIGMAS
        peaks = [local_maxima(response, factor * np.float32(height * level_noise))
                 for response, level_noise in zip(responses, noise)]
        free = object_free(residual.shape, peaks, sigmas)
        if free.sum() < 0.05 * free.size:  # no background left to measure on
            break
        level = local_level(residual, free, sigmas)
        filled = np.where(free, residual, level).astype(np.float32)
        before = noise
        noise = [max(_spread_of(log_response(filled, float(sigma)), free), floor) for sigma in sigmas]
        filled -= level
        smooth_sigma = max(_spread_of(smooth(filled, float(sigmas[0])), free), smooth_floor)
        if round_ > 0 and max(abs(new / old - 1.0) for new, old in zip(noise, before)) < MASK_SETTLED:
            break
    return BackgroundNoise(noise, smooth_sigma)


def object_free(shape: tuple[int, int], peaks: list[tuple[np.ndarray, np.ndarray]], sigmas: np.ndarray) -> np.ndarray:
    """Pixels outside every object's body; ``peaks`` holds the (rows, cols) of the objects
    found at each scale of ``sigmas``."""
    import cv2

    from .scale_space import radius_of

    mask = np.zeros(shape, np.uint8)
    for (rows, cols), sigma in zip(peaks, sigmas):
        if len(rows) == 0:
            continue
        centres = np.zeros(shape, np.uint8)
        centres[rows, cols] = 1
        radius = int(math.ceil(radius_of(float(sigma)))) + 1
        mask |= cv2.dilate(centres, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)))
    return mask == 0


def local_level(residual: np.ndarray, free: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """The level of the background around each pixel: a Gaussian average (one object diameter
    wide, as big as an object of the largest size) of the object-free pixels only.

    The block grid of :func:`flatten` must be several objects wide to see background in its
    medians, too coarse to follow the light across an image only a few big objects wide
    (coins on a cloth lit from one side); this follows it between the objects.

    The average is this smooth, so it is computed on the image reduced by a power of two (at
    most 16, which divides the block grid, so a tile computes the values the whole image does).
    """
    import cv2

    from .scale_space import radius_of

    width = 2.0 * float(radius_of(float(sigmas[-1])))
    factor = int(min(_LEVEL_MAX_FACTOR, 2 ** max(0, int(math.floor(math.log2(max(width / 2.0, 1.0)))))))
    height, cols = residual.shape
    weight = free.astype(np.float32)
    parts = [residual * weight, weight]
    if factor > 1:
        pad = ((0, -height % factor), (0, -cols % factor))
        parts = [cv2.resize(np.pad(part, pad, mode="edge"), None, fx=1.0 / factor, fy=1.0 / factor,
                            interpolation=cv2.INTER_AREA) for part in parts]
    total, counted = (cv2.GaussianBlur(part, (0, 0), width / factor, borderType=cv2.BORDER_REFLECT) for part in parts)
    level = total / np.maximum(counted, np.float32(1e-6))
    if factor > 1:
        level = cv2.resize(level, None, fx=float(factor), fy=float(factor), interpolation=cv2.INTER_LINEAR)
        level = np.ascontiguousarray(level[:height, :cols])
    return level


def _spread_of(values: np.ndarray, where: np.ndarray) -> float:
    """:func:`robust_sigma` of ``values`` at the pixels ``where``, on a regular subsample."""
    stride = max(1, int(math.ceil(math.sqrt(values.size / _SPREAD_SAMPLES))))
    return robust_sigma(values[::stride, ::stride][where[::stride, ::stride]])
