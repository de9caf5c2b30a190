"""count.blobs: tiny bright or dark objects found as multi-scale Laplacian-of-Gaussian peaks.

How a window is searched (``detect``):

1. grey levels, minus a smooth background (``background.flatten``), turned so objects are
   bright (the polarity, chosen from the image when ``auto``);
2. for each scale covering the size range, the scale-normalised LoG response; its noise is
   measured with the objects masked out and filled with their surroundings
   (``background.object_free_noise``: big or crowded objects would otherwise be their own
   "noise") and mapped block by block, so a threshold of 5 means "5 noise standard deviations
   here", on a flat sky or in a bright noisy corner;
3. peaks above the threshold at every scale that sit on a blob (not along an edge: Lowe's
   curvature test), are not the texture or rim of an object bigger than the size range, and
   whose centre stands above the background level around it (``background.local_level``; not
   in the halo the Laplacian draws around an object of the other polarity), settled into
   objects by ``resolve``.

The statistics measured in step 2 (``NoiseStats``) can be handed in, which is how
``count.tiled`` makes every tile use the same numbers the whole image would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Mask, Number, Points, Text

from .background import (MASK_SIGMAS, BlockGrid, block_size_for, flatten, local_level, local_noise_factor,
                         object_free, object_free_noise, robust_sigma)
from .intensity import check_size_range, gray_float
from .resolve import parts_of_bigger, resolve
from .scale_space import SCALE_STEP, blob_like, blob_scales, local_maxima, log_response, radius_of, refine, smooth

POLARITIES = ("auto", "bright", "dark")
# A dip between two touching objects must be this many noise sigmas deep to split them.
DIP_SIGMAS = 2.0
# An object's centre must stand this many noise sigmas above the background: the Laplacian
# also peaks in the bright halo it draws around a dark object (and the reverse), where the
# image itself is only background.
CENTRE_SIGMAS = 3.0
# Noise is never taken below these fractions of one grey step of the source: compression
# (JPEG, video codecs) wipes out fine noise but leaves 1-2 level block edges and ringing, so
# with the default thresholds nothing fainter than three grey levels counts as an object.
_RESPONSE_FLOOR = 0.4
_SMOOTH_FLOOR = 1.0
# Noise is measured on about this many sampled pixels (a regular subsample of big images).
_NOISE_SAMPLES = 1_000_000
# The noise of each scale, with objects masked (rounds of filtering), is measured on sample
# windows of this side in bigger images.
_NOISE_WINDOW = 512


@dataclass(frozen=True)
class BlobSettings:
    """What to look for: object diameters in pixels, threshold in noise sigmas, polarity.

    A size of ``None`` means "auto": :func:`object_scale.resolve_auto` fills it from the image.
    """

    min_size: float | None
    max_size: float | None
    threshold: float = 5.0
    polarity: str = "auto"

    @property
    def sigmas(self) -> np.ndarray:
        return blob_scales(self.min_size, self.max_size)

    @property
    def block(self) -> int:
        return block_size_for(self.max_size)

    @property
    def quiet_reach(self) -> int:
        """How far around an object its response is not noise (pixels, odd)."""
        return 2 * int(math.ceil(3.0 * self.sigmas[-1])) + 1

    @property
    def margin(self) -> int:
        """Pixels around a tile's core needed for the core's results to equal the whole image's.

        Background and noise grids look up to three blocks away (median of neighbours, bilinear
        between centres); filters, the quiet-pixel reach and peak settling add their radii.
        """
        sigma = float(self.sigmas[-1])
        radius = float(radius_of(sigma))
        extra = 4.0 * sigma + self.quiet_reach + 2.0 * radius + 8.0
        return self.block * (6 + int(math.ceil(extra / self.block)))


@dataclass
class NoiseStats:
    """Image-wide noise figures, in the units of the flattened 0-1 grey image."""

    sign: float  # +1: objects brighter than the background, -1: darker
    rough: float  # noise of the finest response over all pixels: what counts as "busy"
    sigmas: tuple[float, ...]  # noise of each scale's response over quiet pixels
    reference_rms: float  # RMS of the finest response over quiet pixels (local factor = 1)
    smooth_sigma: float  # noise of the lightly smoothed image (for dips between objects)
    tails: float = 0.0  # bright minus dark excess over the noise (how ``auto`` decided)

    @classmethod
    def combine(cls, parts: list["NoiseStats"]) -> "NoiseStats":
        """One set of figures from several sample windows (medians; polarity by the tails)."""
        tails = float(sum(p.tails for p in parts))
        return cls(
            sign=parts[0].sign if len({p.sign for p in parts}) == 1 else (1.0 if tails >= 0 else -1.0),
            rough=float(np.median([p.rough for p in parts])),
            sigmas=tuple(float(np.median([p.sigmas[k] for p in parts])) for k in range(len(parts[0].sigmas))),
            reference_rms=float(np.median([p.reference_rms for p in parts])),
            smooth_sigma=float(np.median([p.smooth_sigma for p in parts])),
            tails=tails,
        )


@dataclass
class Detections:
    """Objects found: centres (x, y) in pixels, radii, and how strongly each answered."""

    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    radius: np.ndarray = field(default_factory=lambda: np.zeros(0))
    strength: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.xy)

    def subset(self, keep: np.ndarray) -> "Detections":
        return Detections(self.xy[keep], self.radius[keep], self.strength[keep], self.level[keep])

    def shifted(self, dx: float, dy: float) -> "Detections":
        return Detections(self.xy + np.array([dx, dy]), self.radius, self.strength, self.level)

    @classmethod
    def concatenate(cls, parts: list["Detections"]) -> "Detections":
        if not parts:
            return cls()
        return cls(np.concatenate([p.xy for p in parts]).reshape(-1, 2), np.concatenate([p.radius for p in parts]),
                   np.concatenate([p.strength for p in parts]), np.concatenate([p.level for p in parts]))

    def to_points(self) -> Points:
        return Points(self.xy, scales=self.radius)

    def clipped(self, height: int, width: int) -> "Detections":
        """Centres held inside the image (a peak on the edge row refines to half a pixel out)."""
        xy = np.column_stack([np.clip(self.xy[:, 0], 0, width - 1), np.clip(self.xy[:, 1], 0, height - 1)])
        return Detections(xy, self.radius, self.strength, self.level)


@dataclass
class Window:
    """A window prepared for searching: flattened and oriented (objects bright), with its noise."""

    residual: np.ndarray  # grey minus background, objects positive
    smoothed: np.ndarray  # residual lightly smoothed (finest scale)
    factor: np.ndarray  # local noise relative to the image's typical noise (1 = typical)
    stats: NoiseStats
    fine: np.ndarray | None = None  # finest-scale response, handed on to the search
    step: float = 1.0 / 255.0  # the source's grey step (noise floor)
    quiet: np.ndarray | None = None  # pixels with no object nearby, while the noise is unmeasured


def prepare(grey: np.ndarray, settings: BlobSettings, *, step: float, origin: tuple[int, int] = (0, 0),
            image_shape: tuple[int, int] | None = None, stats: NoiseStats | None = None) -> Window:
    """Flatten and orient a window of 0-1 grey levels and measure its noise.

    ``origin`` and ``image_shape`` place the window in a larger image (its origin on the
    block grid); ``stats`` given means "use these image-wide noise figures", otherwise they
    are measured on this window. ``step`` is the source's grey step (the noise floor).
    """
    import cv2

    grid = BlockGrid(settings.block, grey.shape, origin, image_shape)
    residual = flatten(grey, grid)
    sample = _sample(residual.shape)
    tails = _tail_balance(residual[sample]) if stats is None else stats.tails
    sign = stats.sign if stats is not None else polarity_sign(settings.polarity, tails)
    if sign < 0:
        np.negative(residual, out=residual)

    sigmas = settings.sigmas
    fine = log_response(residual, float(sigmas[0]))
    fine_floor = step * _RESPONSE_FLOOR
    rough = stats.rough if stats is not None else max(robust_sigma(fine[sample]), fine_floor)
    busy = (np.abs(fine) > settings.threshold * rough).astype(np.uint8)
    reach = settings.quiet_reach
    busy = cv2.dilate(busy, np.ones((reach, reach), np.uint8), borderType=cv2.BORDER_REFLECT)
    quiet = busy == 0
    del busy
    smoothed = smooth(residual, float(sigmas[0]))
    if stats is None:
        quiet_sample = quiet[sample]
        if not quiet_sample.any():  # crowded from edge to edge: every pixel is near an object
            quiet_sample = np.ones_like(quiet_sample)
        values = fine[sample][quiet_sample].astype(np.float64)
        reference_rms = max(float(np.sqrt(np.mean(values ** 2))) if values.size else 0.0, fine_floor)
        smooth_floor = step * _SMOOTH_FLOOR
        # The noise of each scale (and of the smoothed image) is measured by the search.
        stats = NoiseStats(sign=sign, rough=rough, sigmas=(), reference_rms=reference_rms,
                           smooth_sigma=smooth_floor, tails=tails)
    factor = local_noise_factor(fine, quiet, grid, stats.reference_rms)
    return Window(residual, smoothed, factor, stats, fine, step, quiet if not stats.sigmas else None)


def search(window: Window, settings: BlobSettings) -> Detections:
    """Peaks above the threshold at every scale, settled into one detection per object."""
    sigmas = settings.sigmas
    if not window.stats.sigmas:
        _measure_noise(window, settings)
    noise_levels = list(window.stats.sigmas)
    found_xy, found_level, found_strength, object_peaks = [], [], [], []
    for level, sigma in enumerate(sigmas):
        if level == 0 and window.fine is not None:
            response, blurred = window.fine, window.smoothed  # the same blur, made by prepare()
        else:
            response, blurred = log_response(window.residual, float(sigma), with_blurred=True)
        # Peaks from MASK_SIGMAS are objects to take out of the background level; those
        # above the threshold are the candidates.
        unit = window.factor * np.float32(noise_levels[level])
        rows, cols = local_maxima(response, unit * np.float32(min(MASK_SIGMAS, settings.threshold)))
        height = response[rows, cols]
        here = unit[rows, cols]
        del unit
        masked = height > np.float32(MASK_SIGMAS) * here
        object_peaks.append((rows[masked], cols[masked]))
        high = height > np.maximum(np.float32(settings.threshold) * here,
                                   np.float32(settings.threshold * window.step * _RESPONSE_FLOOR))
        rows, cols = rows[high], cols[high]
        on_blob = blob_like(blurred, rows, cols)
        rows, cols = rows[on_blob], cols[on_blob]
        del blurred
        x, y = refine(response, rows, cols)
        found_xy.append(np.column_stack([x, y]))
        found_level.append(np.full(len(rows), level, dtype=np.int64))
        found_strength.append(response[rows, cols].astype(np.float64))
        del response
    window.fine = None
    context = _bigger_objects(window, settings, noise_levels[-1])
    # Objects are judged against the background around them, not the coarse block grid's.
    background = local_level(window.residual, object_free(window.residual.shape, object_peaks, sigmas), sigmas)
    window.residual -= background
    window.smoothed -= smooth(background, float(sigmas[0]))
    del background
    xy = np.concatenate(found_xy).reshape(-1, 2)
    level = np.concatenate(found_level)
    strength = np.concatenate(found_strength)
    radius = np.asarray(radius_of(sigmas), dtype=np.float64)[level]
    height, width = window.residual.shape
    rows = np.clip(np.rint(xy[:, 1]).astype(np.int64), 0, height - 1)
    cols = np.clip(np.rint(xy[:, 0]).astype(np.int64), 0, width - 1)
    local_noise = np.maximum(window.stats.smooth_sigma * window.factor[rows, cols].astype(np.float64),
                             window.step * _SMOOTH_FLOOR)
    standing = window.smoothed[rows, cols] > CENTRE_SIGMAS * local_noise
    xy, level, strength, radius = xy[standing], level[standing], strength[standing], radius[standing]
    local_noise = local_noise[standing]
    keep = resolve(xy, level, strength, radius, smooth=window.smoothed, dip_floor=DIP_SIGMAS * local_noise)
    keep &= ~parts_of_bigger(xy, strength, *context)
    return Detections(xy[keep], radius[keep], strength[keep], level[keep])


def _bigger_objects(window: Window, settings: BlobSettings, top_noise: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Peaks one scale step above the largest size: objects bigger than the range, which are
    not counted but whose texture and rims must not count either (centres, strengths, radius)."""
    sigma = float(settings.sigmas[-1]) * SCALE_STEP
    response, blurred = log_response(window.residual, sigma, with_blurred=True)
    rows, cols = local_maxima(response, window.factor * np.float32(settings.threshold * top_noise))
    on_blob = blob_like(blurred, rows, cols)
    rows, cols = rows[on_blob], cols[on_blob]
    return np.column_stack([cols, rows]).astype(np.float64), response[rows, cols].astype(np.float64), float(radius_of(sigma))


def _measure_noise(window: Window, settings: BlobSettings) -> None:
    """Fill in the window's noise per scale and of the smoothed image, objects taken out
    (:func:`background.object_free_noise`), on a few sample windows of a big image."""
    from .object_scale import windows_of

    parts = [object_free_noise(window.residual[rows, cols], window.quiet[rows, cols], window.factor[rows, cols],
                               settings.sigmas, floor=window.step * _RESPONSE_FLOOR,
                               smooth_floor=window.step * _SMOOTH_FLOOR)
             for rows, cols in windows_of(window.residual.shape, lambda rows, cols: (rows, cols), side=_NOISE_WINDOW)]
    window.stats.sigmas = tuple(float(np.median([p.sigmas[k] for p in parts])) for k in range(len(settings.sigmas)))
    window.stats.smooth_sigma = float(np.median([p.smooth_sigma for p in parts]))
    window.quiet = None


def detect(grey: np.ndarray, settings: BlobSettings, *, step: float, origin: tuple[int, int] = (0, 0),
           image_shape: tuple[int, int] | None = None, stats: NoiseStats | None = None,
           ) -> tuple[Detections, NoiseStats]:
    """Find objects in one window of 0-1 grey levels (see :func:`prepare` for the arguments)."""
    window = prepare(grey, settings, step=step, origin=origin, image_shape=image_shape, stats=stats)
    return search(window, settings), window.stats


def polarity_sign(polarity: str, tails: float) -> float:
    """+1 to look for bright objects, -1 for dark ones (``auto``: whichever stands out more)."""
    if polarity == "bright":
        return 1.0
    if polarity == "dark":
        return -1.0
    return 1.0 if tails >= 0 else -1.0


def _tail_balance(residual: np.ndarray) -> float:
    """How much more the image pokes out above its noise than below it (objects are the tail)."""
    sigma = robust_sigma(residual)
    if sigma <= 0:
        sigma = float(np.abs(residual).max()) * 1e-3 if residual.size else 0.0
    if sigma <= 0:
        return 0.0
    values = residual.astype(np.float64, copy=False)
    above = np.maximum(values - 4.0 * sigma, 0.0).sum()
    below = np.maximum(-values - 4.0 * sigma, 0.0).sum()
    return float((above - below) / max(values.size, 1))


def _sample(shape: tuple[int, int]) -> tuple[slice, slice]:
    stride = max(1, int(math.ceil(math.sqrt(shape[0] * shape[1] / _NOISE_SAMPLES))))
    return slice(0, None, stride), slice(0, None, stride)


def size_params() -> list[Param]:
    """The size range every counter takes; empty (the default) = measured from the image."""
    return [
        Param("min_size", None, kind="float", min=1, max=4096,
              help="smallest diameter one object can have, in pixels; a bigger spot is split into objects "
                   "of at least this size only where a dip separates them. Empty = auto (from the image)"),
        Param("max_size", None, kind="float", min=1, max=4096,
              help="largest diameter of one object, in pixels; bigger spots count as several touching objects "
                   "(count.clumps) or one (count.blobs). Empty = auto (from the image)"),
    ]


def count_in_array(data: np.ndarray, settings: BlobSettings) -> Detections:
    """Blob detection on a whole image array (any grey/RGB/RGBA, 8/16-bit or float)."""
    if data.shape[0] == 0 or data.shape[1] == 0:
        return Detections()
    if settings.min_size is None or settings.max_size is None:
        from .object_scale import resolve_auto

        settings, _ = resolve_auto(data, settings)
    grey, step = gray_float(data)
    check_size_range(settings.min_size, settings.max_size, *grey.shape)
    found, _ = detect(grey, settings, step=step)
    return found.clipped(*grey.shape)


@node(
    "count.blobs", category="count",
    inputs=[
        Input("image", Image),
        Input("mask", Mask, required=False, help="count only inside this region (e.g. the sky)"),
    ],
    params=[
        *size_params(),
        Param("threshold", 5.0, min=1, max=100, step=0.5,
              help="how far above the local noise an object must stand, in noise standard deviations"),
        Param("polarity", "auto", choices=POLARITIES,
              help="bright objects on a darker background (stars, cells), dark on lighter (birds against the sky), "
                   "or auto (whichever the image shows more strongly)"),
    ],
    outputs=[
        Output("points", Points, help="the object centres, with each object's radius as its scale"),
        Output("count", Number, help="how many objects were found"),
        Output("scale", Text, help="the object size and polarity used, and how auto chose them"),
    ],
)
def blobs(image: Image, mask: Mask | None = None, *, min_size: float | None, max_size: float | None,
          threshold: float, polarity: str) -> dict:
    """Count small bright or dark objects (birds, stars, cars, cells); size and polarity are
    measured from the image unless given.

    Multi-scale Laplacian-of-Gaussian peaks on a background-flattened image, with the
    threshold in units of the local noise; touching objects are split where a dip separates
    them. Where objects are packed into clumps without dips, use ``count.clumps`` instead;
    for images too big for memory, ``count.tiled``.

    Example: ``{type: count.blobs, inputs: {image: load.image}}`` (sizes auto), or with
    ``params: {min_size: 3, max_size: 10}`` for a known size range.
    """
    from .object_scale import resolve_auto

    settings, note = resolve_auto(image.data, BlobSettings(min_size, max_size, threshold, polarity))
    found = count_in_array(image.data, settings)
    if mask is not None and len(found):
        found = found.subset(inside(mask, found.xy, image))
    return {"points": found.to_points(), "count": Number(len(found)), "scale": Text(note)}


def inside(mask: Mask, xy: np.ndarray, image: Image) -> np.ndarray:
    """Which points fall inside the mask (which must cover the image)."""
    if mask.data.shape != image.data.shape[:2]:
        raise NodeError(
            f"the mask is {mask.data.shape[1]}×{mask.data.shape[0]} pixels but the image is "
            f"{image.data.shape[1]}×{image.data.shape[0]}: connect a mask computed from this image")
    rows = np.clip(np.rint(xy[:, 1]).astype(np.int64), 0, mask.data.shape[0] - 1)
    cols = np.clip(np.rint(xy[:, 0]).astype(np.int64), 0, mask.data.shape[1] - 1)
    return mask.data[rows, cols]
