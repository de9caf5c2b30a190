"""Synthetic counting scenes with a known answer: tiny objects, clumps, sky gradient, noise.

Real counting images rarely come with every object marked, so the tests and the accuracy
benchmark draw their own: thousands of small discs and ellipses (birds, stars, cells seen
from far away), some of them in clumps of touching objects, on a smooth uneven background
(a sky gradient with vignetting and soft clouds), blurred by a small optical spread and
degraded by photon (Poisson) and sensor (Gaussian) noise, then stored as 8-bit grey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from thyra_graph.engine.declaration import NodeError, Output, Param, node
from thyra_graph.types import Image, Number, Points

# Optical blur applied to the whole scene (pixels); real small objects are never hard-edged.
PSF_SIGMA = 0.6


@dataclass
class Scene:
    """A drawn scene and its ground truth."""

    image: np.ndarray  # H×W uint8 grey
    xy: np.ndarray  # N×2 object centres (x, y), pixels
    sizes: np.ndarray  # N diameters, pixels
    clumped: np.ndarray  # N bool: the object touches another one


def make_scene(*, width: int = 1024, height: int = 1024, count: int = 2000, min_size: float = 2.0,
               max_size: float = 6.0, clump_fraction: float = 0.3, polarity: str = "bright",
               contrast: float = 0.35, noise: float = 0.015, photons: float = 800.0,
               gradient: float = 0.35, texture: float = 0.0, seed: int = 0) -> Scene:
    """Draw ``count`` objects of ``min_size``..``max_size`` px diameter on a sky-like background.

    ``clump_fraction`` of the objects sit in clumps of 2 to 5 touching objects; the others are
    apart. ``contrast`` is the mean object contrast (0-1 of full scale, each object varies
    ±40 %), ``noise`` the Gaussian noise sigma (0-1 scale), ``photons`` the photon count at full
    scale for Poisson noise (0 = none), ``gradient`` the brightness change across the sky and
    ``texture`` the amplitude of a blotchy background pattern a few object sizes across
    (ground, foliage, a culture dish), 0-1 of full scale.
    """
    rng = np.random.default_rng(seed)
    xy, sizes, clumped = _place(rng, width, height, count, min_size, max_size, clump_fraction)
    background = _sky(rng, width, height, polarity, gradient)
    if texture > 0:
        background = background + texture * _texture(rng, width, height, max_size)
    amplitude = contrast * rng.uniform(0.6, 1.4, len(xy))
    signal = _draw_objects(rng, width, height, xy, sizes, amplitude)
    sign = 1.0 if polarity == "bright" else -1.0
    scene = np.clip(background + sign * signal, 0.0, 1.0)
    if photons > 0:
        scene = rng.poisson(scene * photons).astype(np.float32) / np.float32(photons)
    if noise > 0:
        scene = scene + rng.normal(0.0, noise, scene.shape).astype(np.float32)
    image = np.clip(scene * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Scene(image, xy, sizes, clumped)


def _place(rng: np.random.Generator, width: int, height: int, count: int, min_size: float,
           max_size: float, clump_fraction: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions and sizes: clumps of touching objects first, then isolated objects.

    A grid of buckets (one per max-size cell) keeps the overlap checks local, so placing
    thousands of objects stays fast.
    """
    cell = max_size + 2.0
    buckets: dict[tuple[int, int], list[int]] = {}
    xs: list[float] = []
    ys: list[float] = []
    radii: list[float] = []
    clumped: list[bool] = []
    margin = max_size

    def fits(x: float, y: float, r: float, *, allowed: set[int], slack: float) -> bool:
        if not (margin <= x < width - margin and margin <= y < height - margin):
            return False
        cx, cy = int(x // cell), int(y // cell)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for j in buckets.get((cx + dx, cy + dy), ()):
                    limit = (r + radii[j]) * (0.85 if j in allowed else 1.0) + (0.0 if j in allowed else slack)
                    if (xs[j] - x) ** 2 + (ys[j] - y) ** 2 < limit * limit:
                        return False
        return True

    def add(x: float, y: float, r: float, in_clump: bool) -> int:
        xs.append(x)
        ys.append(y)
        radii.append(r)
        clumped.append(in_clump)
        buckets.setdefault((int(x // cell), int(y // cell)), []).append(len(xs) - 1)
        return len(xs) - 1

    def radius() -> float:
        return rng.uniform(min_size, max_size) / 2.0

    wanted_in_clumps = int(round(count * clump_fraction))
    attempts = 0
    while sum(clumped) < wanted_in_clumps and attempts < 50 * count:
        attempts += 1
        size = int(min(rng.integers(2, 6), wanted_in_clumps - sum(clumped)))
        if size < 2:
            break
        # The members of a clump are alike (birds of one flock, cells of one kind): sizes
        # within ±15 % of the clump's own size.
        clump_radius = radius()
        r = clump_radius
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        if not fits(x, y, r, allowed=set(), slack=2.0):
            continue
        members = [add(x, y, r, True)]
        for _ in range(size - 1):
            for _try in range(20):
                anchor = members[int(rng.integers(len(members)))]
                r = float(np.clip(clump_radius * rng.uniform(0.85, 1.15), min_size / 2.0, max_size / 2.0))
                angle = rng.uniform(0, 2 * math.pi)
                # Touching: centres one sum of radii apart, up to 10 % closer as real clumps squeeze.
                distance = (r + radii[anchor]) * rng.uniform(0.9, 1.0)
                x, y = xs[anchor] + distance * math.cos(angle), ys[anchor] + distance * math.sin(angle)
                if fits(x, y, r, allowed=set(members), slack=2.0):
                    members.append(add(x, y, r, True))
                    break
        if len(members) == 1:  # a clump of one is no clump: count it as isolated
            clumped[members[0]] = False
    while len(xs) < count and attempts < 100 * count:
        attempts += 1
        r = radius()
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        if fits(x, y, r, allowed=set(), slack=2.0):
            add(x, y, r, False)
    return np.column_stack([xs, ys]), 2.0 * np.asarray(radii), np.asarray(clumped, dtype=bool)


def _sky(rng: np.random.Generator, width: int, height: int, polarity: str, gradient: float) -> np.ndarray:
    """A smooth uneven background: vertical gradient, vignetting and soft clouds."""
    import cv2

    base = 0.2 if polarity == "bright" else 0.75
    rows = np.linspace(-0.5, 0.5, height, dtype=np.float32)[:, None]
    cols = np.linspace(-0.5, 0.5, width, dtype=np.float32)[None, :]
    tilt = rng.uniform(-0.3, 0.3)
    sky = base + gradient * (rows + tilt * cols)
    sky -= gradient * 0.5 * (rows ** 2 + cols ** 2)  # vignetting: darker corners
    clouds = rng.normal(0.0, 1.0, (8, 8)).astype(np.float32)
    clouds = cv2.resize(clouds, (width, height), interpolation=cv2.INTER_CUBIC)
    sky += 0.03 * clouds
    return np.clip(sky, 0.02, 0.98).astype(np.float32)


def _texture(rng: np.random.Generator, width: int, height: int, max_size: float) -> np.ndarray:
    """Blotches 3 to 6 object sizes across, scaled to unit standard deviation."""
    import cv2

    noise = rng.normal(0.0, 1.0, (height, width)).astype(np.float32)
    pattern = cv2.GaussianBlur(noise, (0, 0), 1.5 * max_size) + 0.5 * cv2.GaussianBlur(noise, (0, 0), 3.0 * max_size)
    return pattern / max(float(pattern.std()), 1e-12)


def _draw_objects(rng: np.random.Generator, width: int, height: int, xy: np.ndarray, sizes: np.ndarray,
                  weights: np.ndarray) -> np.ndarray:
    """Anti-aliased ellipses (axis ratio up to 1.5, any angle), blurred by the optics."""
    import cv2

    canvas = np.zeros((height, width), np.float32)
    for (x, y), size, weight in zip(xy, sizes, weights):
        ratio = rng.uniform(1.0, 1.5)
        a, b = size / 2.0 * math.sqrt(ratio), size / 2.0 / math.sqrt(ratio)
        angle = rng.uniform(0, math.pi)
        reach = int(math.ceil(a)) + 2
        x0, y0 = int(x) - reach, int(y) - reach
        gy, gx = np.mgrid[y0:y0 + 2 * reach + 1, x0:x0 + 2 * reach + 1].astype(np.float32)
        # 4×4 supersampling of each pixel's coverage by the ellipse.
        cover = np.zeros(gx.shape, np.float32)
        for oy in (-0.375, -0.125, 0.125, 0.375):
            for ox in (-0.375, -0.125, 0.125, 0.375):
                dx, dy = gx + ox - x, gy + oy - y
                u = dx * math.cos(angle) + dy * math.sin(angle)
                v = -dx * math.sin(angle) + dy * math.cos(angle)
                cover += ((u / a) ** 2 + (v / b) ** 2 <= 1.0)
        cover /= 16.0
        ys_, xs_ = slice(max(y0, 0), min(y0 + 2 * reach + 1, height)), slice(max(x0, 0), min(x0 + 2 * reach + 1, width))
        patch = cover[ys_.start - y0:ys_.stop - y0, xs_.start - x0:xs_.stop - x0]
        # Overlapping objects do not add up: an opaque bird in front of another is one bird deep.
        np.maximum(canvas[ys_, xs_], weight * patch, out=canvas[ys_, xs_])
    return cv2.GaussianBlur(canvas, (0, 0), PSF_SIGMA)


@node(
    "count.synthetic_scene", title="Synthetic count scene", category="count",
    params=[
        Param("width", 1024, min=64, max=8192, help="image width in pixels"),
        Param("height", 1024, min=64, max=8192, help="image height in pixels"),
        Param("count", 2000, min=0, max=200000, help="how many objects to draw"),
        Param("min_size", 2.0, min=1, max=64, help="smallest object diameter, pixels"),
        Param("max_size", 6.0, min=1, max=64, help="largest object diameter, pixels"),
        Param("clump_fraction", 0.3, min=0, max=1, step=0.05, help="share of objects drawn in clumps of 2-5 touching objects"),
        Param("polarity", "bright", choices=("bright", "dark"), help="bright objects on a dark sky (stars) or dark on a bright one (birds)"),
        Param("contrast", 0.35, min=0.01, max=1, help="mean object contrast, 0-1 of full scale (each object varies ±40 %)"),
        Param("noise", 0.015, min=0, max=0.5, help="Gaussian sensor noise sigma, 0-1 of full scale"),
        Param("photons", 800.0, min=0, help="photons at full scale for Poisson noise (fewer = noisier; 0 = none)"),
        Param("seed", 0, min=0, help="random seed: the same seed draws the same scene"),
    ],
    outputs=[
        Output("image", Image, help="the scene as H×W 8-bit grey"),
        Output("points", Points, help="the true object centres, with their radii as scales"),
        Output("count", Number, help="how many objects were drawn"),
    ],
)
def synthetic_scene(*, width: int, height: int, count: int, min_size: float, max_size: float,
                    clump_fraction: float, polarity: str, contrast: float, noise: float,
                    photons: float, seed: int) -> dict:
    """Draw a test scene of tiny objects with a known count, to check a counting graph.

    Objects are anti-aliased ellipses on a sky gradient with vignetting and clouds, some in
    clumps of touching objects, with Poisson and Gaussian noise. Fewer objects than asked are
    drawn when they do not fit without overlapping (the ``count`` output says how many).

    Example: ``{type: count.synthetic_scene, params: {count: 3000, polarity: dark, seed: 1}}``
    """
    if min_size > max_size:
        raise NodeError(f"min_size ({min_size:g}) is larger than max_size ({max_size:g}): swap them")
    scene = make_scene(width=width, height=height, count=count, min_size=min_size, max_size=max_size,
                       clump_fraction=clump_fraction, polarity=polarity, contrast=contrast,
                       noise=noise, photons=photons, seed=seed)
    points = Points(scene.xy, scales=scene.sizes / 2.0)
    return {"image": Image(scene.image, {"synthetic": True, "seed": seed}), "points": points,
            "count": Number(len(points))}


# Families of scenes for judging automatic settings: object size from 2 to 60 px, both
# polarities, flat, graded, vignetted and textured backgrounds, touching objects, noise. A
# family is a recipe; its seed draws one image of it (other seeds: more images of the family).
FAMILIES: dict[str, dict] = {
    "stars 2-4 px": dict(count=2500, min_size=2, max_size=4, clump_fraction=0.1, polarity="bright", contrast=0.3),
    "birds 3-7 px": dict(count=2000, min_size=3, max_size=7, clump_fraction=0.3, polarity="dark", gradient=0.5),
    "cars 8-14 px": dict(count=900, min_size=8, max_size=14, clump_fraction=0.3, polarity="dark", texture=0.04),
    "cells 12-20 px": dict(count=500, min_size=12, max_size=20, clump_fraction=0.4, polarity="bright", contrast=0.4),
    "nuclei 20-30 px": dict(count=250, min_size=20, max_size=30, clump_fraction=0.3, polarity="bright",
                            contrast=0.25, noise=0.02),
    "coins 40-60 px": dict(count=90, min_size=40, max_size=60, clump_fraction=0.2, polarity="bright", contrast=0.4),
    "dust 2-3 px": dict(count=1500, min_size=2, max_size=3, clump_fraction=0.0, polarity="dark", contrast=0.4,
                        noise=0.01),
    "seeds 5-9 px": dict(count=1500, min_size=5, max_size=9, clump_fraction=0.3, polarity="dark", gradient=0.8),
    "pebbles 10-16 px": dict(count=700, min_size=10, max_size=16, clump_fraction=0.2, polarity="bright",
                             texture=0.05),
    "faint 4-8 px": dict(count=1500, min_size=4, max_size=8, clump_fraction=0.2, polarity="bright", contrast=0.15,
                         noise=0.02, photons=300),
    "crowd 6-10 px": dict(count=2500, min_size=6, max_size=10, clump_fraction=0.5, polarity="dark", contrast=0.35),
    "beads 30-45 px": dict(count=150, min_size=30, max_size=45, clump_fraction=0.3, polarity="dark", gradient=0.6),
}
# Families never looked at while the automatic settings were chosen: a check they generalise.
HOLDOUT_FAMILIES: dict[str, dict] = {
    "sparrows 4-6 px": dict(count=1200, min_size=4, max_size=6, clump_fraction=0.4, polarity="dark", texture=0.03),
    "bacteria 7-11 px": dict(count=1100, min_size=7, max_size=11, clump_fraction=0.25, polarity="bright",
                             noise=0.025, photons=400),
    "plates 24-36 px": dict(count=200, min_size=24, max_size=36, clump_fraction=0.2, polarity="dark", texture=0.04,
                            gradient=0.5),
    "grains 2-5 px": dict(count=3000, min_size=2, max_size=5, clump_fraction=0.2, polarity="bright", gradient=0.7),
}


def family_scene(name: str, seed: int = 0, *, width: int = 1024, height: int = 1024) -> Scene:
    """Image ``seed`` of a family (:data:`FAMILIES` or :data:`HOLDOUT_FAMILIES`), with its truth."""
    recipe = FAMILIES.get(name) or HOLDOUT_FAMILIES.get(name)
    if recipe is None:
        raise KeyError(f"no scene family {name!r}; known: {', '.join([*FAMILIES, *HOLDOUT_FAMILIES])}")
    # Fewer objects on smaller canvases: the same crowding whatever the size.
    share = width * height / (1024 * 1024)
    recipe = {**recipe, "count": max(1, int(round(recipe["count"] * share)))}
    return make_scene(width=width, height=height, seed=seed, **recipe)
