"""The ``sim.synthetic_sea`` node: a procedural top-down photo of a sea with rocks.

No sea photo ships with Thyra (none with a suitable licence installs offline), so the example
graph starts from this: a swell of many wave trains around one direction, plus short chop,
shaded with the same water model the renderer uses, and a few rocks. Its ``rocks`` output is
the true rock mask, for checking a segmentation (the example graph segments the picture itself).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Output, Param, node
from thyra_graph.types import Image, Mask

from .water_shading import Foam, Look, Ripples, shade_rocks, shade_water, to_uint8


@node(
    "sim.synthetic_sea", category="sim",
    params=[
        Param("width", 480, min=32, max=8192, help="picture width in pixels"),
        Param("height", 320, min=32, max=8192, help="picture height in pixels"),
        Param("wavelength", 28.0, min=4.0, max=2000.0, help="typical swell wavelength in pixels"),
        Param("direction", 80.0, min=0.0, max=360.0, help="where the swell travels, degrees (0 right, 90 down the image)"),
        Param("spread", 20.0, min=0.0, max=90.0, help="spread of the wave directions around 'direction', degrees"),
        Param("rocks", 4, min=0, max=50, help="how many rocks"),
        Param("rock_size", 0.09, min=0.01, max=0.5, help="typical rock radius as a fraction of the picture width"),
        Param("seed", 7, min=0, max=2**31 - 1, help="random seed: the same seed draws the same sea"),
    ],
    outputs=[
        Output("image", Image, help="the sea seen from above, RGB"),
        Output("rocks", Mask, help="where the rocks are (ground truth)"),
    ],
)
def synthetic_sea(*, width: int, height: int, wavelength: float, direction: float, spread: float, rocks: int,
                  rock_size: float, seed: int) -> dict[str, Any]:
    """Draw a top-down picture of a sea with a swell and rocks (a stand-in for a photo).

    Example: ``{type: sim.synthetic_sea, params: {width: 480, height: 320, rocks: 4}}``
    """
    rng = np.random.default_rng(seed)
    rock_mask = _rocks(rng, (height, width), rocks, rock_size * width)
    surface = _swell(rng, (height, width), wavelength, direction, spread)
    # Sheltered water behind rocks is calmer: a soft shadow in the swell direction.
    surface *= _shelter(rock_mask, direction, wavelength)
    look = Look(light_azimuth=255.0, light_elevation=38.0, relief=1.0)
    foam = Foam(rock_mask, dx=1.0, dy=1.0, slope=0.55, crest_height=1.0).update(surface, 0.0)
    picture = shade_water(surface, dx=1.0, dy=1.0, view=np.array([0.0, 0.0, 1.0]), look=look,
                          crest_height=float(np.percentile(surface, 99)), foam=foam * 0.8,
                          ripples=Ripples((height, width), strength=look.ripple, direction=direction).at(0.0))
    picture[rock_mask] = shade_rocks(rock_mask, dx=1.0, dy=1.0, look=look, seed=seed + 1)[rock_mask]
    return {"image": Image(to_uint8(picture), {"source": "sim.synthetic_sea", "seed": seed}), "rocks": Mask(rock_mask)}


def _swell(rng: np.random.Generator, shape: tuple[int, int], wavelength: float, direction: float,
           spread: float) -> np.ndarray:
    """Height in pixels-ish units (crests ≈ 1): wave trains around the main direction plus chop."""
    rows, cols = shape
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    surface = np.zeros(shape)
    for k in range(18):
        chop = k >= 12
        angle = math.radians(direction + rng.normal(0.0, spread if not chop else 3 * spread + 20))
        length = wavelength * (rng.uniform(0.75, 1.35) if not chop else rng.uniform(0.25, 0.45))
        amplitude = (length / wavelength) ** 1.5 * rng.uniform(0.6, 1.0)
        phase = rng.uniform(0, 2 * math.pi)
        surface += amplitude * np.cos(2 * math.pi / length * (x * math.cos(angle) + y * math.sin(angle)) + phase)
    surface /= np.percentile(np.abs(surface), 99)
    # Crests sharper than troughs, as in real swell (a touch of Stokes' second harmonic).
    return surface + 0.15 * (surface ** 2 - (surface ** 2).mean())


def _rocks(rng: np.random.Generator, shape: tuple[int, int], count: int, radius: float) -> np.ndarray:
    import cv2

    rows, cols = shape
    mask = np.zeros(shape, np.uint8)
    for _ in range(count):
        cx, cy = rng.uniform(0.15, 0.85) * cols, rng.uniform(0.25, 0.85) * rows
        r = radius * rng.uniform(0.6, 1.3)
        # A lumpy outline: a circle whose radius wobbles with a few harmonics.
        angles = np.linspace(0, 2 * math.pi, 64, endpoint=False)
        wobble = 1 + sum(rng.uniform(-0.3, 0.3) / n * np.cos(n * angles + rng.uniform(0, 6.3)) for n in (2, 3, 4, 7))
        aspect = rng.uniform(0.6, 1.0)
        points = np.stack([cx + r * wobble * np.cos(angles), cy + aspect * r * wobble * np.sin(angles)], axis=1)
        cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def _shelter(rock_mask: np.ndarray, direction: float, wavelength: float) -> np.ndarray:
    import cv2

    if not rock_mask.any():
        return np.ones(rock_mask.shape)
    shadow = rock_mask.astype(np.float32)
    angle = math.radians(direction)
    step = np.float32([[1, 0, math.cos(angle) * wavelength * 0.5], [0, 1, math.sin(angle) * wavelength * 0.5]])
    acc = shadow.copy()
    for _ in range(6):  # smear the rocks downstream
        shadow = cv2.warpAffine(shadow, step, shadow.shape[::-1]) * 0.8
        acc = np.maximum(acc, shadow)
    acc = cv2.GaussianBlur(acc, (0, 0), wavelength * 0.5)
    return 1.0 - 0.6 * np.clip(acc, 0, 1)
