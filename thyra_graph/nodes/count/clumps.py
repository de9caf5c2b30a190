"""count.clumps: touching objects counted from each clump's size relative to a single object.

Blob peaks miss objects hidden in clumps: two touching objects with no dip between them
look like one elongated object, and a small object pressed against a bigger one barely
shows. Here the foreground is segmented (hysteresis on the smoothed, flattened image, in
units of local noise), each connected clump is measured (area, or integrated intensity),
and the image's own typical single object gives the unit: the median measure of clumps
holding exactly one peak, per detected size. A clump then counts
``max(peaks inside, round(measure / unit))``.

This assumes the objects of a clump are alike (a flock, a cell culture). ``measure: area``
suits nearly everything, stars and cells included: an object's body is measured down to half
its own peak, so a bright object does not count as bigger than a faint one.
"""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.types import Image, Mask, Number, Points, Text

from .blobs import POLARITIES, BlobSettings, Detections, inside, prepare, search, size_params
from .intensity import check_size_range, gray_float
from .scale_space import smooth

# Hysteresis: a clump is pixels above LOW noise sigmas connected to at least one pixel above
# the detection threshold.
LOW_SIGMAS = 2.5
# An object's body is where it is brighter than half its peak (its full width at half maximum).
# Inside a clump an object's "peak" is taken as at least BODY_SHARE of the clump's brightest,
# so a faint object pressed against a bright one is not credited with the bright one's glow.
BODY_SHARE = 0.7
# Pixels: object bodies are outlined on the image smoothed at most this much.
BODY_SIGMA = 1.0
# A hidden object lies next to one that was found: within this many of its radii.
REACH_RADII = 2.0
# A clump holds a hidden object only when its excess over what its peaks explain is larger
# than nearly all single objects' own excess (their sizes vary with contrast and shape), and
# at least SPLIT_FLOOR of a single object: where sizes vary by more than the scale steps tell
# apart (objects 12-20 px across differ 2.8× in area), a big single is not two small ones.
SPLIT_QUANTILE = 0.9
SPLIT_FLOOR = 0.8
# A size needs this many single-object clumps before its own median is trusted as the unit.
_MIN_SINGLES = 5


def count_clumps(data: np.ndarray, settings: BlobSettings, *, measure: str = "area") -> tuple[Detections, np.ndarray]:
    """Objects of an image counted clump by clump.

    Returns the detections (peaks found, then objects inferred inside clumps) and a flag per
    detection that says which were inferred.
    """
    import cv2

    if data.shape[0] == 0 or data.shape[1] == 0:
        return Detections(), np.zeros(0, dtype=bool)
    if settings.min_size is None or settings.max_size is None:
        from .object_scale import resolve_auto

        settings, _ = resolve_auto(data, settings)
    grey, step = gray_float(data)
    check_size_range(settings.min_size, settings.max_size, *grey.shape)
    window = prepare(grey, settings, step=step)
    found = search(window, settings).clipped(*grey.shape)
    nothing_added = np.zeros(len(found), dtype=bool)
    if len(found) == 0:
        return found, nothing_added

    noise = np.maximum(window.factor * np.float32(window.stats.smooth_sigma), np.float32(window.step))
    low = (window.smoothed > LOW_SIGMAS * noise).astype(np.uint8)
    total, labels, boxes, _ = cv2.connectedComponentsWithStats(low, connectivity=8)
    del low
    # Bodies are outlined on an image smoothed no more than BODY_SIGMA: smoothed at the scale
    # of big objects, the hollows between touching ones fill in and a clump outgrows its members.
    sharp = smooth(window.residual, min(float(settings.sigmas[0]), BODY_SIGMA)) if settings.sigmas[0] > BODY_SIGMA \
        else window.smoothed
    body = _bodies(sharp, labels, total, found)
    del sharp
    # A clump is objects whose bodies touch: the faint rims the hysteresis also holds would
    # join objects that only stand near each other (big blurred ones on a quiet background).
    total, labels, boxes, _ = cv2.connectedComponentsWithStats(body.astype(np.uint8), connectivity=8)
    seeded = np.bincount(labels[window.smoothed > settings.threshold * noise], minlength=total) > 0
    seeded[0] = False
    del noise
    if measure == "flux":
        sizes = np.bincount(labels[body], weights=window.residual[body], minlength=total)
    else:
        sizes = np.bincount(labels[body], minlength=total).astype(np.float64)

    rows = np.clip(np.rint(found.xy[:, 1]).astype(np.int64), 0, labels.shape[0] - 1)
    cols = np.clip(np.rint(found.xy[:, 0]).astype(np.int64), 0, labels.shape[1] - 1)
    owner = labels[rows, cols]
    peaks = np.bincount(owner, minlength=total)
    single = (peaks[owner] == 1) & seeded[owner] & (owner > 0)
    units = _unit_per_level(owner[single], found.level[single], sizes, settings.sigmas)
    if units is None:  # no object stands alone: nothing to learn a single object's size from
        return found, nothing_added
    spread = sizes[owner[single]] / units[found.level[single]] - 1.0
    split_at = max(SPLIT_FLOOR, float(np.quantile(spread, SPLIT_QUANTILE)))

    order = np.lexsort((found.level, owner))
    added = []
    for start, end in _runs(owner[order]):
        clump = int(owner[order][start])
        if clump == 0 or not seeded[clump]:
            continue
        levels = found.level[order][start:end]
        # What the peaks explain, each at its own size; what is left over is hidden objects.
        excess = (sizes[clump] - units[levels].sum()) / units[int(np.median(levels))]
        hidden = int(round(excess)) if excess >= split_at else 0
        if hidden > 0:
            added.append(_spread(labels, body, boxes[clump], clump, found.xy[order][start:end], hidden))
    if not added:
        return found, nothing_added
    extra = np.concatenate(added)
    radius = float(np.median(found.radius))
    inferred = Detections(extra, np.full(len(extra), radius), np.zeros(len(extra)), np.full(len(extra), -1, dtype=np.int64))
    flags = np.r_[nothing_added, np.ones(len(extra), dtype=bool)]
    return Detections.concatenate([found, inferred]), flags


def _bodies(smoothed: np.ndarray, labels: np.ndarray, total: int, found: Detections) -> np.ndarray:
    """Pixels of a clump inside the body of the object they are nearest to (see BODY_SHARE)."""
    import cv2
    from scipy import ndimage

    shape = labels.shape
    rows = np.clip(np.rint(found.xy[:, 1]).astype(np.int64), 0, shape[0] - 1)
    cols = np.clip(np.rint(found.xy[:, 0]).astype(np.int64), 0, shape[1] - 1)
    seeds = np.ones(shape, np.uint8)
    seeds[rows, cols] = 0
    distance, nearest = cv2.distanceTransformWithLabels(seeds, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    del seeds
    # distanceTransformWithLabels numbers the seed pixels in raster order.
    flat = rows * shape[1] + cols
    order = np.argsort(flat, kind="stable")
    seed_pixels, first = np.unique(flat[order], return_index=True)
    reach = (REACH_RADII * found.radius[order[first]]).astype(np.float32)
    height = smoothed.ravel()[seed_pixels][nearest - 1]
    brightest = np.asarray(ndimage.maximum(smoothed, labels, np.arange(total)), dtype=np.float32)
    np.maximum(height, np.float32(BODY_SHARE) * brightest[labels], out=height)
    body = smoothed >= np.float32(0.5) * height
    body &= labels > 0
    body &= distance <= reach[nearest - 1]
    return body


def _unit_per_level(owner: np.ndarray, level: np.ndarray, sizes: np.ndarray, sigmas: np.ndarray) -> np.ndarray | None:
    """A single object's typical measure at each detected scale, from the objects that stand
    alone (``owner``/``level`` of their peaks): measured where a scale has enough of them,
    interpolated between those scales; above them grown with the scale's area (sigma²), as a
    lone object answering at a coarser scale than any measured is that much bigger, not two
    of the measured ones; below them held at the finest measured (objects of one size answer
    at neighbouring scales, so a finer peak is no proof of a smaller object)."""
    if len(owner) == 0:
        return None
    levels = len(sigmas)
    area = np.asarray(sigmas, dtype=np.float64) ** 2
    known_levels, known_units = [], []
    for index in range(levels):
        here = sizes[owner[level == index]]
        if len(here) >= _MIN_SINGLES:
            known_levels.append(index)
            known_units.append(float(np.median(here)))
    if not known_levels:  # too few lone objects at any one scale: all of them, at their middle scale
        known_levels, known_units = [int(np.median(level))], [float(np.median(sizes[owner]))]
    steps = np.arange(levels)
    units = np.interp(steps, known_levels, known_units)
    last = known_levels[-1]
    units[last + 1:] = known_units[-1] * area[last + 1:] / area[last]
    return np.maximum(units, 1e-12)


def _runs(values: np.ndarray):
    if len(values) == 0:
        return
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    yield from zip(starts, ends)


def _spread(labels: np.ndarray, body: np.ndarray, box: np.ndarray, clump: int, taken: np.ndarray,
            count: int) -> np.ndarray:
    """``count`` more points in a clump, each at the pixel of its objects' bodies (not of the
    faint rim the segmentation also holds) farthest from the points so far."""
    x, y, w, h = (int(v) for v in box[:4])
    inside = labels[y:y + h, x:x + w] == clump
    if (inside & body[y:y + h, x:x + w]).any():
        inside &= body[y:y + h, x:x + w]
    ys, xs = np.nonzero(inside)
    pixels = np.column_stack([xs + x, ys + y]).astype(np.float64)
    points = [p for p in taken]
    added = []
    for _ in range(count):
        nearest = np.min(np.hypot(*(pixels[:, None, :] - np.asarray(points)[None, :, :]).transpose(2, 0, 1)), axis=1)
        best = pixels[int(np.argmax(nearest))]
        added.append(best)
        points.append(best)
    return np.asarray(added).reshape(-1, 2)


@node(
    "count.clumps", category="count",
    inputs=[
        Input("image", Image),
        Input("mask", Mask, required=False, help="count only inside this region"),
    ],
    params=[
        *size_params(),
        Param("threshold", 5.0, min=1, max=100, step=0.5, help="how far above the local noise an object must stand, in noise standard deviations"),
        Param("polarity", "auto", choices=POLARITIES,
              help="bright objects on a darker background, dark on lighter, or auto (whichever the image shows more strongly)"),
        Param("measure", "area", choices=("area", "flux"),
              help="compare clumps by area (the default; right for most objects) or by summed brightness "
                   "(only when brightness, not size, says how many objects a clump holds)"),
    ],
    outputs=[
        Output("points", Points, help="one point per object (objects inferred inside a clump are spread over it)"),
        Output("count", Number, help="how many objects, clumps counted by their size"),
        Output("scale", Text, help="the object size and polarity used, and how auto chose them"),
    ],
)
def clumps(image: Image, mask: Mask | None = None, *, min_size: float | None, max_size: float | None,
           threshold: float, polarity: str, measure: str) -> dict:
    """Count touching objects: each clump counts as many objects as its size holds singles.

    The typical single object is learnt from the image itself (clumps with one peak), per
    object size. Objects inferred inside a clump, where no peak of their own shows, are placed
    at the clump pixels farthest from the objects already there.

    Size and polarity are measured from the image unless given.

    Example: ``{type: count.clumps, inputs: {image: load.image}}`` (sizes auto), or with
    ``params: {min_size: 4, max_size: 8}``
    """
    from .object_scale import resolve_auto

    settings, note = resolve_auto(image.data, BlobSettings(min_size, max_size, threshold, polarity))
    found, _ = count_clumps(image.data, settings, measure=measure)
    if mask is not None and len(found):
        found = found.subset(inside(mask, found.xy, image))
    return {"points": found.to_points(), "count": Number(len(found)), "scale": Text(note)}
