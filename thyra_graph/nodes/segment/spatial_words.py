"""Choosing an object by where it is: "the box on the left", "the chair in the background".

A prompt's spatial words are read as criteria over candidate masks in one view: horizontal
position (left / right / centre, from the mask's centroid) and distance (nearest / foreground
vs farthest / background, from the median depth under the mask). Each criterion scores a
candidate between 0 (best) and 1; the candidate with the lowest sum wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

WORDS = {
    "left": ("left", "leftmost"),
    "right": ("right", "rightmost"),
    "centre": ("centre", "center", "middle", "central"),
    "near": ("near", "nearest", "closest", "close", "foreground", "front", "nearby"),
    "far": ("far", "farthest", "furthest", "background", "behind", "back", "distant"),
}


@dataclass(frozen=True)
class Spatial:
    """The spatial criteria a prompt names, and the prompt with those words removed (what CLIP reads)."""

    criteria: tuple[str, ...]
    rest: str


def spatial_words(prompt: str) -> Spatial:
    """The criteria in ``prompt`` (in the order of :data:`WORDS`) and the remaining words."""
    tokens = re.findall(r"[a-z]+", prompt.lower())
    criteria = tuple(name for name, words in WORDS.items() if any(token in words for token in tokens))
    spatial = {word for words in WORDS.values() for word in words}
    filler = {"on", "in", "the", "side", "of", "at", "most", "one", "to", "a", "an"}
    rest = " ".join(t for t in tokens if t not in spatial and t not in filler)
    return Spatial(criteria, rest)


def spatial_costs(masks: np.ndarray, depth: np.ndarray | None, criteria: tuple[str, ...]) -> np.ndarray:
    """Per candidate mask (N×H×W bool), the summed cost of ``criteria`` (0 = best possible).

    Distance criteria need ``depth`` (H×W, NaN or ≤ 0 where unknown); without it they raise.
    """
    n, height, width = masks.shape
    costs = np.zeros(n)
    if not n:
        return costs
    rows, cols = np.mgrid[0:height, 0:width]
    area = masks.reshape(n, -1).sum(axis=1).clip(min=1)
    cx = (masks * cols).reshape(n, -1).sum(axis=1) / area / max(width - 1, 1)
    cy = (masks * rows).reshape(n, -1).sum(axis=1) / area / max(height - 1, 1)
    if "left" in criteria:
        costs += cx
    if "right" in criteria:
        costs += 1.0 - cx
    if "centre" in criteria:
        costs += np.hypot(cx - 0.5, cy - 0.5) / np.hypot(0.5, 0.5)
    if "near" in criteria or "far" in criteria:
        if depth is None:
            raise ValueError("'near' / 'far' words need a depth map of the view")
        known = np.isfinite(depth) & (depth > 0)
        medians = np.array([np.median(depth[m & known]) if (m & known).any() else np.nan for m in masks])
        finite = medians[np.isfinite(medians)]
        low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
        spread = high - low if high > low else 1.0
        relative = np.where(np.isfinite(medians), (medians - low) / spread, 1.0)
        if "near" in criteria:
            costs += relative
        if "far" in criteria:
            costs += np.where(np.isfinite(medians), 1.0 - relative, 1.0)
    return costs
