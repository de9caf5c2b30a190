"""One object segmented consistently across views: masks lifted to 3D and projected into other views.

A mask in one view, with that view's depth and camera, is a set of 3D points; projected into
another camera (keeping only points that the other view's depth says are visible there) it is
where the object must appear in that view. That projection prompts the segmenter (points
sampled deep inside it, and its box); when the answer disagrees with the projection, the view is
re-prompted with more points inside and negative points just outside, and the answer that
agrees best is kept. Works with any :class:`~.segmenter.Segmenter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..recon.camera_math import depth_to_points, project
from .segmenter import ImageEmbedding, Segmenter


@dataclass
class View:
    """One view: RGB image, depth map (camera z, NaN or ≤ 0 where unknown) and camera."""

    rgb: np.ndarray
    depth: np.ndarray
    K: np.ndarray
    extrinsic: np.ndarray


@dataclass
class ViewResult:
    """The object's mask in one view, how it was found and how well it agrees with the projection."""

    mask: np.ndarray
    score: float
    source: str  # "prompt" (the view prompted directly), "projection", "re-prompted", "not visible"
    agreement: float = float("nan")  # see :func:`agreement_with`
    prompts: list[dict] = field(default_factory=list)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


#: An answer may be this many times the projection's area (faces the source view never saw)
#: before it counts as having taken more than the object.
MAX_GROWTH = 4.0


def agreement_with(answer: np.ndarray, projected: np.ndarray) -> float:
    """How well a view's mask agrees with the object's projection, 0 to 1: the share of the
    projection the mask covers, scaled down when the mask is more than :data:`MAX_GROWTH` times
    the projection's area. Not IoU: the projection holds only the surfaces the source view saw,
    so a right mask of an object seen from another side is larger than it."""
    area, answer_area = projected.sum(), answer.sum()
    if not area:
        return 0.0
    covered = float(np.logical_and(answer, projected).sum() / area)
    return covered * min(1.0, MAX_GROWTH * area / answer_area) if answer_area else 0.0


def lift(mask: np.ndarray, view: View, *, max_points: int = 20000) -> np.ndarray:
    """World points (N×3) of the mask's pixels with a known depth, evenly thinned to ``max_points``."""
    points, _ = depth_to_points(view.depth, view.K, view.extrinsic, mask=mask)
    if len(points) > max_points:
        points = points[np.linspace(0, len(points) - 1, max_points).astype(np.int64)]
    return points


def project_points(points: np.ndarray, view: View, *, tolerance: float = 0.03) -> np.ndarray:
    """H×W mask of where ``points`` land in ``view``, keeping only points not hidden behind its
    known depth (more than ``tolerance`` × depth farther); small gaps between splats are closed."""
    import cv2
    from scipy.ndimage import binary_fill_holes

    height, width = view.depth.shape
    mask = np.zeros((height, width), bool)
    if not len(points):
        return mask
    uv, z = project(points, view.K, view.extrinsic)
    ok = (z > 0) & np.isfinite(uv).all(axis=1)
    cols, rows = np.floor(uv[ok] + 0.5).astype(np.int64).T
    z = z[ok]
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    rows, cols, z = rows[inside], cols[inside], z[inside]
    seen = view.depth[rows, cols]
    visible = ~(np.isfinite(seen) & (seen > 0)) | (z <= seen * (1 + tolerance))
    mask[rows[visible], cols[visible]] = True
    if mask.any():
        # Splats leave gaps where the object is seen larger than in the source view.
        side = max(3, int(round(0.01 * max(height, width))) | 1)
        mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((side, side), np.uint8)) > 0
        mask = binary_fill_holes(mask)
    return mask


def inner_points(mask: np.ndarray, count: int) -> np.ndarray:
    """Up to ``count`` (x, y) points well inside ``mask``: the deepest pixel by distance to the
    edge, then points spread over the interior (farthest-point sampling among deep pixels)."""
    import cv2

    distance = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    if distance.max() <= 0:
        return np.zeros((0, 2))
    rows, cols = np.nonzero(distance >= 0.5 * distance.max())
    candidates = np.column_stack([cols, rows]).astype(np.float64)
    chosen = [int(np.argmax(distance[rows, cols]))]
    gap = np.linalg.norm(candidates - candidates[chosen[0]], axis=1)
    while len(chosen) < min(count, len(candidates)):
        nxt = int(np.argmax(gap))
        if gap[nxt] <= 0:
            break
        chosen.append(nxt)
        gap = np.minimum(gap, np.linalg.norm(candidates - candidates[nxt], axis=1))
    return candidates[chosen]


def ring_points(mask: np.ndarray, count: int) -> np.ndarray:
    """Up to ``count`` (x, y) points just outside ``mask`` (negative prompts), spread around it."""
    import cv2

    side = max(5, int(round(0.04 * max(mask.shape))) | 1)
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((side, side), np.uint8)) > 0
    ring = grown & ~cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    rows, cols = np.nonzero(ring)
    if not len(rows):
        return np.zeros((0, 2))
    pick = np.linspace(0, len(rows) - 1, min(count, len(rows))).astype(np.int64)
    return np.column_stack([cols[pick], rows[pick]]).astype(np.float64)


def box_of(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    return np.array([cols.min() - 0.5, rows.min() - 0.5, cols.max() + 0.5, rows.max() + 0.5], np.float64)


def segment_from_projection(segmenter: Segmenter, embedding: ImageEmbedding, projected: np.ndarray, *,
                            points: int = 5, agreement: float = 0.7) -> ViewResult:
    """The object in a view where it is expected at ``projected``: prompted with points inside
    the projection and its box; re-prompted (more points, negatives around it) when the answer
    agrees with the projection less than ``agreement`` (:func:`agreement_with`)."""
    inside = inner_points(projected, points)
    prompt = {"points": inside.tolist(), "labels": [1] * len(inside), "box": box_of(projected).tolist()}
    first = segmenter.decode(embedding, points=inside, point_labels=np.ones(len(inside), np.int64),
                             box=np.asarray(prompt["box"]))
    result = ViewResult(first.masks[0], float(first.scores[0]), "projection", agreement_with(first.masks[0], projected),
                        [prompt])
    if result.agreement >= agreement:
        return result
    more, outside = inner_points(projected, 3 * points), ring_points(projected, 2 * points)
    xy = np.concatenate([more, outside])
    labels = np.concatenate([np.ones(len(more), np.int64), np.zeros(len(outside), np.int64)])
    second = segmenter.decode(embedding, points=xy, point_labels=labels)
    retry = {"points": xy.tolist(), "labels": labels.tolist()}
    agrees = agreement_with(second.masks[0], projected)
    if agrees > result.agreement:
        return ViewResult(second.masks[0], float(second.scores[0]), "re-prompted", agrees, [prompt, retry])
    result.prompts.append(retry)
    return result


def propagate(views: list[View], anchor: int, anchor_mask: np.ndarray, targets: list[int],
              embed: Callable[[int], ImageEmbedding], segmenter: Segmenter, *, points: int = 5,
              agreement: float = 0.7, min_pixels: int = 20, tolerance: float = 0.03) -> dict[int, ViewResult]:
    """The anchor's object in each target view, found from the anchor mask's projection.

    A view where fewer than ``min_pixels`` of the projection are visible gets an empty mask
    (source "not visible"): the object is out of frame or hidden there.
    """
    cloud = lift(anchor_mask, views[anchor])
    results = {}
    for index in targets:
        projected = project_points(cloud, views[index], tolerance=tolerance)
        if projected.sum() < min_pixels:
            results[index] = ViewResult(np.zeros_like(projected), 0.0, "not visible", 0.0)
            continue
        results[index] = segment_from_projection(segmenter, embed(index), projected, points=points, agreement=agreement)
    return results
