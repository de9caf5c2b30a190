"""segment.sam2_auto: the sweeping analysis, one region per candidate point, nothing analysed twice.

Candidate points come largest object first (from contours), then from a grid for coverage.
They are segmented one after the other against one image embedding, while an *ignored
mask* (the union of the regions accepted so far) grows:

- a candidate on an ignored pixel is skipped without running the decoder;
- a mask overlapping the ignored area by more than ``max_overlap`` of its own area is
  rejected (the model re-found a region already taken);
- otherwise the ignored area is subtracted from the mask, and what is left is accepted
  if it still covers ``min_area`` pixels;
- the sweep stops after ``max_regions`` regions.

So earlier, larger regions claim their pixels first and later ones only get what is left:
the accepted regions never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.types import Image, Instances, Mask, Points

from ..image.pixels import require_same_size
from ..models.weights import hub_download
from ..models.needs import sam2_models
from .points import CONTOUR_METHODS, contour_points, foreground_of, grid_points, pixel_of
from .sam2_loading import load_segmenter, model_params, unload_segmenter
from .sam2_points import sam_rgb
from .segmenter import ImageEmbedding, Segmenter

CANDIDATES = ("contours+grid", "contours", "grid", "none")


@dataclass
class Region:
    """One accepted region: its mask (ignored area already removed) and where it came from."""

    mask: np.ndarray
    score: float
    point: tuple[float, float]
    source: str
    candidate: int  # index in the candidate list

    def extra(self, order: int) -> dict:
        return {"point": [round(self.point[0], 3), round(self.point[1], 3)], "source": self.source,
                "order": order, "candidate": self.candidate}


@dataclass
class SweepResult:
    """The accepted regions in the order they were found, and why the other candidates were dropped."""

    regions: list[Region] = field(default_factory=list)
    ignored: np.ndarray | None = None
    outside: int = 0       # candidates outside the image
    covered: int = 0       # on a pixel an earlier region had already claimed
    overlapping: int = 0   # mask mostly inside the ignored area
    too_small: int = 0     # less than min_area left after subtracting the ignored area
    not_reached: int = 0   # max_regions was reached first


def best_mask(masks: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, float]:
    """The mask with the highest predicted quality (multimask output gives three)."""
    index = int(np.argmax(scores))
    return masks[index], float(scores[index])


def sweep(segmenter: Segmenter, embedding: ImageEmbedding, candidates: np.ndarray, sources: Sequence[str], *,
          min_area: int = 100, max_regions: int = 0, max_overlap: float = 0.5, multimask: bool = True,
          ignored: np.ndarray | None = None,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Segment ``candidates`` (N×2 x, y) in order, each region claiming pixels no earlier one holds.

    ``sources`` names where each candidate came from ("contour", "grid", "given").
    ``ignored`` may start with pixels that no region may take (e.g. a known background).
    ``max_regions`` 0 means no limit. ``progress(done, total)`` is called before each
    candidate (and may raise to cancel).
    """
    candidates = np.asarray(candidates, dtype=np.float64).reshape(-1, 2)
    if len(sources) != len(candidates):
        raise ValueError(f"{len(candidates)} candidates but {len(sources)} sources")
    shape = (embedding.height, embedding.width)
    taken = np.zeros(shape, bool) if ignored is None else np.array(ignored, dtype=bool, copy=True)
    result = SweepResult(ignored=taken)
    rows, cols, inside = pixel_of(candidates, shape)
    total = len(candidates)
    for i, (x, y) in enumerate(candidates):
        if progress is not None:
            progress(i, total)
        if max_regions and len(result.regions) >= max_regions:
            result.not_reached = total - i
            break
        if not inside[i]:
            result.outside += 1
            continue
        if taken[rows[i], cols[i]]:
            result.covered += 1
            continue
        prediction = segmenter.decode(embedding, points=np.array([[x, y]]), point_labels=np.array([1]),
                                      multimask=multimask)
        mask, score = best_mask(np.asarray(prediction.masks, dtype=bool), np.asarray(prediction.scores))
        area = int(mask.sum())
        overlap = int(np.count_nonzero(mask & taken))
        if area and overlap > max_overlap * area:
            result.overlapping += 1
            continue
        fresh = mask & ~taken
        if int(fresh.sum()) < max(min_area, 1):
            result.too_small += 1
            continue
        taken |= fresh
        result.regions.append(Region(fresh, score, (float(x), float(y)), str(sources[i]), i))
    if progress is not None:
        progress(total, total)
    return result


def automatic_candidates(rgb_or_grey: np.ndarray, *, which: str, foreground: np.ndarray | None = None,
                         contour_method: str = "otsu", invert: bool = False, min_contour_area: int = 100,
                         max_contour_points: int = 50, grid_per_side: int = 16,
                         grid_spacing: int = 0) -> tuple[np.ndarray, list[str]]:
    """Candidate points as seed 001 picks them: contour points (largest first), then the grid."""
    height, width = rgb_or_grey.shape[:2]
    chunks: list[np.ndarray] = []
    sources: list[str] = []
    if which in ("contours+grid", "contours"):
        if foreground is None:
            foreground = foreground_of(rgb_or_grey, method=contour_method, invert=invert)
        xy, _ = contour_points(foreground, min_area=min_contour_area, max_points=max_contour_points)
        chunks.append(xy)
        sources += ["contour"] * len(xy)
    if which in ("contours+grid", "grid"):
        xy = grid_points(height, width, spacing=grid_spacing, per_side=grid_per_side)
        chunks.append(xy)
        sources += ["grid"] * len(xy)
    xy = np.concatenate(chunks) if chunks else np.zeros((0, 2))
    return xy, sources


def instances_of(result: SweepResult, shape: tuple[int, int]) -> Instances:
    """The accepted regions as Instances with their point, source and order in ``extra``."""
    if not result.regions:
        return Instances.empty(*shape)
    return Instances(np.stack([r.mask for r in result.regions]),
                     scores=np.array([r.score for r in result.regions], np.float32),
                     extra=[r.extra(order) for order, r in enumerate(result.regions)])


@node(
    "segment.sam2_auto", title="SAM 2 auto", category="segment", device="gpu", destinations=hub_download, requires=("torch",),
    models=sam2_models,
    inputs=[
        Input("image", Image),
        Input("points", Points, required=False,
              help="your own candidate points, analysed before the automatic ones (negative ones are ignored)"),
        Input("mask", Mask, required=False, help="foreground to take contour points from instead of thresholding the image"),
    ],
    params=[
        *model_params(),
        Param("candidates", "contours+grid", choices=CANDIDATES,
              help="automatic candidate points: contours (largest object first) then a grid, one of them, or none"),
        Param("grid_per_side", 16, min=1, max=256, when={"candidates": ["contours+grid", "grid"]}, help="grid points across each side (when grid_spacing is 0)"),
        Param("grid_spacing", 0, min=0, max=100000, when={"candidates": ["contours+grid", "grid"]}, help="grid point distance in pixels; 0 = use grid_per_side"),
        Param("contour_method", "otsu", choices=CONTOUR_METHODS, when={"candidates": ["contours+grid", "contours"]}, help="how the image is thresholded to find contours"),
        Param("invert", False, when={"candidates": ["contours+grid", "contours"]}, help="contours of dark objects on a light background"),
        Param("min_contour_area", 100, min=0, max=1e9, when={"candidates": ["contours+grid", "contours"]}, help="contours smaller than this many pixels give no point"),
        Param("max_contour_points", 50, min=0, max=100000, when={"candidates": ["contours+grid", "contours"]}, help="points from the largest contours only; 0 = all"),
        Param("min_area", 100, min=1, max=1e9, help="drop regions with fewer pixels than this (after removing already taken pixels)"),
        Param("max_regions", 50, min=0, max=100000, help="stop after this many regions; 0 = no limit"),
        Param("max_overlap", 0.5, min=0.0, max=1.0, step=0.05,
              help="reject a mask when more than this fraction of it is already taken by earlier regions"),
        Param("multimask", True, help="ask SAM 2 for three masks per point and keep the best one"),
    ],
    outputs=[
        Output("instances", Instances, help="the regions in the order found, with point, source and order in extra"),
        Output("points", Points, help="the point each region was found from"),
    ],
)
def sam2_auto(image: Image, points: Points | None = None, mask: Mask | None = None, *, backend: str, model: str,
              config: str, device: str, precision: str, unload: bool, candidates: str, grid_per_side: int,
              grid_spacing: int, contour_method: str, invert: bool, min_contour_area: int, max_contour_points: int,
              min_area: int, max_regions: int, max_overlap: float, multimask: bool, ctx) -> dict:
    """Segment a whole image region by region: largest objects first, then a grid sweep.

    The sweeping analysis: candidate points come from the image's contours (largest first)
    and then from a grid; each is segmented with SAM 2 in turn while the pixels already
    claimed are ignored, so no area is analysed twice and the regions never overlap. The
    image is encoded once for the whole sweep.

    Example: ``{type: segment.sam2_auto, inputs: {image: load.image}, params: {grid_per_side: 8, max_regions: 30}}``
    """
    from .embedding_cache import embed_cached

    rgb = sam_rgb(image.data)
    shape = rgb.shape[:2]
    if mask is not None:
        require_same_size(image, mask, name="mask")
    given = np.zeros((0, 2))
    if points is not None and len(points):
        given = points.xy[points.labels == 1]
    auto_xy, auto_sources = automatic_candidates(
        image.data, which=candidates,
        foreground=None if mask is None else mask.data, contour_method=contour_method, invert=invert,
        min_contour_area=min_contour_area, max_contour_points=max_contour_points,
        grid_per_side=grid_per_side, grid_spacing=grid_spacing)
    xy = np.concatenate([given, auto_xy])
    sources = ["given"] * len(given) + auto_sources
    if not len(xy):
        ctx.warn(f"segment.sam2_auto found no candidate points (candidates: {candidates}; no contour reached "
                 "min_contour_area and no positive points are connected): the result is empty. Lower "
                 "min_contour_area, set candidates to contours+grid, or connect points")
        return {"instances": Instances.empty(*shape), "points": Points(np.zeros((0, 2)))}
    segmenter = load_segmenter(ctx, backend=backend, model=model, config=config, device=device, precision=precision)
    try:
        embedding = embed_cached(ctx, segmenter, rgb)
        result = sweep(segmenter, embedding, xy, sources, min_area=min_area, max_regions=max_regions,
                       max_overlap=max_overlap, multimask=multimask,
                       progress=lambda done, total: ctx.progress(done, total, "candidate points"))
    finally:
        if unload:
            unload_segmenter(ctx, segmenter)
    if result.outside:
        ctx.warn(f"{result.outside} of the connected points lie outside the {shape[1]}×{shape[0]} image and were skipped")
    if result.not_reached:
        ctx.log.info("max_regions=%d reached; %d candidates not analysed", max_regions, result.not_reached)
    found = Points(np.array([r.point for r in result.regions]).reshape(-1, 2))
    return {"instances": instances_of(result, shape), "points": found}
