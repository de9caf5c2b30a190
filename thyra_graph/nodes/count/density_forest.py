"""Training a density forest from dots, and using it: the work behind count.learn_density.

Lempitsky & Zisserman's "Learning to count objects in images" and ilastik's density counting:
each dot becomes a unit Gaussian (``density_from_points``), and a regressor learns each
pixel's share of that density from the pixel's multi-scale features (``pixel_features``).
Pixels are subsampled in two strata, near a dot and elsewhere, each weighted by the inverse
of its sampling rate so that a leaf's mean is the mean over all annotated pixels: the forest's
sum over an image then estimates the count without the bias that keeping only a few
background pixels would give. scikit-learn fits the forest; its trees are exported as arrays
into a :class:`~thyra_graph.types.DensityModel`, which predicts without scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thyra_graph.types import DensityModel

from .density import density_from_points
from .learned import spread_to_image
from .pixel_features import BACKGROUND_FACTOR, feature_names, grid_shape, on_grid, pixel_features, reach, scales_up_to

ANNOTATED = ("around the dots", "whole image")
# Forest shape: deep enough for sharp density peaks, leaves big enough to average out noise.
MAX_TREE_DEPTH = 16
MIN_SAMPLES_LEAF = 5
FEATURE_SHARE = 0.33  # of the features tried at each split: decorrelates the trees
# A pixel is "near" a dot where the target density is above this share of one dot's peak.
_NEAR_SHARE = 1e-3
# Predict every n-th pixel, n = the dot sigma over this (at least 1): a Gaussian of sigma 2n is
# sampled finely enough at step n that its sum is kept to a part in a million.
PREDICT_STRIDE_SIGMAS = 2.0
# Feature planes held at once when predicting (bytes); a bigger image is done in bands of rows.
BAND_BYTES = 256 << 20
# A background click stands for a disc as wide as the largest feature scale (at least 8 px):
# what the features around it see, the way a brush stroke marks background in ilastik.
BACKGROUND_RADIUS = 1.0


@dataclass
class Annotated:
    """One training image: 0-1 grey pixels, dots on objects, clicks on background (x, y rows)."""

    grey: np.ndarray
    dots: np.ndarray
    background: np.ndarray


def typical_spacing(annotated: list[Annotated]) -> float | None:
    """The median distance from a dot to its nearest neighbour, over all images (None: too few dots)."""
    from scipy.spatial import cKDTree

    gaps = []
    for item in annotated:
        if len(item.dots) >= 2:
            distances, _ = cKDTree(item.dots).query(item.dots, k=2)
            gaps.append(distances[:, 1])
    return float(np.median(np.concatenate(gaps))) if gaps else None


def choose_scales(annotated: list[Annotated], sigma: float | None, max_scale: float | None) -> tuple[float, float]:
    """The dot sigma and the largest feature scale: given, or from the dots' typical spacing."""
    spacing = typical_spacing(annotated)
    if sigma is None:
        sigma = float(np.clip(spacing / 4.0, 1.0, 8.0)) if spacing else 3.0
    if max_scale is None:
        max_scale = float(np.clip(spacing / 2.0, 2.0, 32.0)) if spacing else 8.0
    return round(sigma, 2), round(max_scale, 2)


def annotated_region(item: Annotated, mode: str, radius: float) -> np.ndarray:
    """Where every object is dotted: the whole image, or the box around the dots plus a disc of
    ``radius`` around each background click.

    The box is not grown: any wider and it takes in parts of objects nobody dotted, which the
    forest would learn as background (an undercount on every later image).
    """
    height, width = item.grey.shape
    if mode == "whole image":
        return np.ones((height, width), bool)
    import cv2

    region = np.zeros((height, width), np.uint8)
    if len(item.dots):
        (x0, y0), (x1, y1) = item.dots.min(axis=0), item.dots.max(axis=0)
        region[max(0, int(y0)):max(0, int(np.ceil(y1)) + 1), max(0, int(x0)):max(0, int(np.ceil(x1)) + 1)] = 1
    for x, y in item.background:
        cv2.circle(region, (int(round(x)), int(round(y))), int(round(radius)), 1, thickness=-1)
    return region.astype(bool)


def feature_bands(grey: np.ndarray, sigmas: list[float], background: float, *, stride: int = 1):
    """(top, bottom, planes) for bands of rows covering the image: each band's F×(rows·W) feature
    planes, computed with enough rows around it that they equal the whole image's there, and
    as many rows as fit in :data:`BAND_BYTES` (all of them for a small image)."""
    height, width = grey.shape
    features = len(feature_names(sigmas))
    band = max(stride, BAND_BYTES // (4 * features * max(width, 1)) // stride * stride)
    if band >= height:
        yield 0, height, pixel_features(grey, sigmas, background=background)
        return
    halo = reach(sigmas, background)
    for top in range(0, height, band):
        bottom = min(height, top + band)
        start, stop = max(0, top - halo), min(height, bottom + halo)
        planes = pixel_features(grey[start:stop], sigmas, background=background)
        inner = planes.reshape(features, stop - start, width)[:, top - start:bottom - start]
        yield top, bottom, np.ascontiguousarray(inner).reshape(features, -1)


def features_at(grey: np.ndarray, sigmas: list[float], pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The features of the given (flat, row-major) pixels as an N×F array, and the whole image's
    planes when the image fit in one band (None otherwise)."""
    width = grey.shape[1]
    rows = np.empty((len(pixels), len(feature_names(sigmas))), np.float32)
    whole = None
    for top, bottom, planes in feature_bands(grey, sigmas, BACKGROUND_FACTOR):
        inside = (pixels >= top * width) & (pixels < bottom * width)
        rows[inside] = planes[:, pixels[inside] - top * width].T
        if top == 0 and bottom == grey.shape[0]:
            whole = planes
    return rows, whole


def training_set(annotated: list[Annotated], *, sigma: float, sigmas: list[float], mode: str, radius: float,
                 max_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Features, target densities and sample weights of the pixels the forest learns from, and
    the first image's feature planes when it fit in one band (to predict on it without
    computing them again; None otherwise)."""
    features, targets, weights, first = [], [], [], None
    budget = max(2, max_samples // len(annotated))
    peak = 1.0 / (2.0 * np.pi * sigma * sigma)
    for index, item in enumerate(annotated):
        height, width = item.grey.shape
        target = density_from_points(item.dots, (height, width), sigma=sigma).reshape(-1)
        region = annotated_region(item, mode, radius).reshape(-1)
        near = region & (target > _NEAR_SHARE * peak)
        strata = [np.flatnonzero(near), np.flatnonzero(region & ~near)]
        wanted = min(len(strata[0]), budget // 2)
        chosen = []
        for population, count in ((strata[0], wanted), (strata[1], budget - wanted)):
            count = min(count, len(population))
            if count == 0:
                continue
            picked = rng.choice(population, count, replace=False) if count < len(population) else population
            chosen.append(picked)
            weights.append(np.full(count, len(population) / count))
        if not chosen:
            continue
        picked = np.concatenate(chosen)
        rows, planes = features_at(item.grey, sigmas, picked)
        first = planes if index == 0 else first
        features.append(rows)
        targets.append(target[picked])
    return np.concatenate(features), np.concatenate(targets), np.concatenate(weights), first


def train_forest(annotated: list[Annotated], *, sigma: float, max_scale: float, mode: str, trees: int,
                 max_samples: int, seed: int) -> tuple[DensityModel, np.ndarray | None]:
    """Fit a random forest to the dots and export it as a :class:`DensityModel`; also returns the
    feature planes of the first image (None when it was too big to hold them at once)."""
    from sklearn.ensemble import RandomForestRegressor

    sigmas = scales_up_to(max_scale)
    radius = max(8.0, BACKGROUND_RADIUS * max_scale)
    rng = np.random.default_rng(seed)
    features, target, weight, planes = training_set(annotated, sigma=sigma, sigmas=sigmas, mode=mode, radius=radius,
                                            max_samples=max_samples, rng=rng)
    forest = RandomForestRegressor(n_estimators=trees, max_depth=MAX_TREE_DEPTH, min_samples_leaf=MIN_SAMPLES_LEAF,
                                   max_features=FEATURE_SHARE, n_jobs=-1, random_state=seed)
    forest.fit(features, target, sample_weight=weight)
    exported = [{"children_left": e.tree_.children_left, "children_right": e.tree_.children_right,
                 "feature": e.tree_.feature, "threshold": e.tree_.threshold, "value": e.tree_.value[:, 0, 0]}
                for e in forest.estimators_]
    # A density made of Gaussians this wide changes little from one pixel to the next: predicting
    # every stride-th pixel both ways and interpolating loses nothing of the sum, and is stride² faster.
    stride = max(1, int(sigma // PREDICT_STRIDE_SIGMAS))
    settings = {"features": feature_names(sigmas), "sigmas": sigmas, "grey": "luma 0-1", "stride": stride,
                "background": BACKGROUND_FACTOR}
    meta = {"dots": int(sum(len(a.dots) for a in annotated)),
            "background_clicks": int(sum(len(a.background) for a in annotated)),
            "images": len(annotated), "sigma": sigma, "max_scale": max_scale, "annotated": mode,
            "samples": int(len(target)), "seed": seed}
    return DensityModel.from_trees(exported, settings, meta), planes


def predict_density(model: DensityModel, grey: np.ndarray, planes: np.ndarray | None = None) -> np.ndarray:
    """The model's H×W float32 density for a 0-1 grey image (``planes``: its features, if known).

    Predicted on the model's pixel grid (every ``stride``-th pixel) and spread back to the full
    size with its sum kept; leaves average non-negative targets, so no density is negative.
    Without ``planes``, features are computed in bands of rows (each with enough rows around it
    that it sees what the whole image would), so a big image never holds all its features at once.
    """
    sigmas = [float(s) for s in model.settings.get("sigmas", [])]
    stride = model.settings.get("stride", 1)
    background = model.settings.get("background", BACKGROUND_FACTOR)
    known = (feature_names(sigmas) == model.settings.get("features") and isinstance(stride, int) and 1 <= stride <= 64
             and isinstance(background, (int, float)) and 0 < background <= 64 and all(0 < s <= 256 for s in sigmas))
    if not known:
        raise ValueError("the model's features were computed by a version of Thyra this one does not know "
                         f"({', '.join(model.settings.get('features', [])[:3])}, ...): "
                         "retrain it with count.learn_density")
    height, width = grey.shape
    if planes is not None:
        values = model.predict(on_grid(planes, (height, width), stride)).reshape(grid_shape((height, width), stride))
    else:
        rows = []
        for top, bottom, band in feature_bands(grey, sigmas, background, stride=stride):
            shape = (bottom - top, width)
            rows.append(model.predict(on_grid(band, shape, stride)).reshape(grid_shape(shape, stride)))
        values = np.concatenate(rows, axis=0)
    low = np.clip(values, 0.0, None).astype(np.float32) * np.float32(stride * stride)
    return low if stride == 1 else spread_to_image(low, height, width)
