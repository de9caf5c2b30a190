"""How water and rocks look: a height field shaded into an RGB picture (top-down grid space).

A small physically-flavoured model, per cell:

- the surface normal from the height slopes (exaggerated by ``relief`` so small waves show);
- Fresnel (Schlick, F0 = 0.02): grazing views reflect the sky, steep views see into the water;
- the sky seen in the reflected ray (horizon haze to zenith blue) and the sun's glint;
- the water body colour, lighter on crests where light scatters through thin water;
- foam where the surface is steep or breaks on rocks, lingering for a while (:class:`Foam`);
- rocks: a rounded bump inside each obstacle, lit by the sun, darker where wet.

Colours are sRGB floats 0–1; :func:`to_uint8` converts for writing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Look:
    """Colours and lighting of the water picture."""

    water: tuple[float, float, float] = (0.03, 0.20, 0.27)
    crest: tuple[float, float, float] = (0.10, 0.42, 0.45)
    sky_horizon: tuple[float, float, float] = (0.78, 0.85, 0.90)
    sky_zenith: tuple[float, float, float] = (0.33, 0.52, 0.78)
    sun: tuple[float, float, float] = (1.0, 0.96, 0.86)
    foam: tuple[float, float, float] = (0.93, 0.95, 0.96)
    rock: tuple[float, float, float] = (0.66, 0.60, 0.52)
    light_azimuth: float = 270.0  # toward the sun, degrees in image axes (270 = up the image)
    light_elevation: float = 35.0
    relief: float = 1.0  # slope exaggeration for shading
    shininess: float = 300.0
    ripple: float = 0.05  # slope of the fine ripples that make the surface sparkle

    @property
    def light(self) -> np.ndarray:
        az, el = math.radians(self.light_azimuth), math.radians(self.light_elevation)
        return np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])


def normals(height: np.ndarray, dx: float, dy: float, relief: float) -> np.ndarray:
    """Unit upward normals (H×W×3) of a height field."""
    gy, gx = np.gradient(height, dy, dx)
    n = np.stack([-relief * gx, -relief * gy, np.ones_like(height)], axis=-1)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def shade_water(height: np.ndarray, *, dx: float, dy: float, view: np.ndarray, look: Look,
                crest_height: float, foam: np.ndarray | None = None,
                ripples: np.ndarray | None = None) -> np.ndarray:
    """RGB (H×W×3 float32) of the water surface seen along ``view`` (unit vectors toward the
    viewer: one vector, or one per cell); ``ripples`` (H×W×2) adds fine slopes to the normals.

    Works component by component in float32: a video frame shades a million cells or more.
    """
    height = height.astype(np.float32, copy=False)
    gy, gx = np.gradient(height, np.float32(dy), np.float32(dx))
    sx, sy = -look.relief * gx, -look.relief * gy
    if ripples is not None:
        sx = sx + ripples[..., 0]
        sy = sy + ripples[..., 1]
    inv = 1.0 / np.sqrt(sx * sx + sy * sy + 1.0)
    nx, ny, nz = sx * inv, sy * inv, inv
    vx, vy, vz = (view[..., 0], view[..., 1], view[..., 2])
    cos_view = np.clip(nx * vx + ny * vy + nz * vz, 0.0, 1.0)
    fresnel = 0.02 + 0.98 * (1.0 - cos_view) ** 5
    rx, ry, rz = 2.0 * cos_view * nx - vx, 2.0 * cos_view * ny - vy, 2.0 * cos_view * nz - vz
    sky_mix = np.sqrt(np.clip(rz, 0.0, 1.0))
    lx, ly, lz = (np.float32(c) for c in look.light)
    toward_sun = rx * lx + ry * ly + rz * lz
    glint = np.zeros_like(toward_sun)
    bright = toward_sun > 0.97  # below that, x^shininess is invisible: skip the power
    glint[bright] = toward_sun[bright] ** look.shininess
    lambert = np.clip(nx * lx + ny * ly + nz * lz, 0.0, 1.0)
    crest = np.clip(height / np.float32(max(crest_height, 1e-9)), 0.0, 1.0)
    light = 0.75 + 0.35 * lambert
    colour = np.empty(height.shape + (3,), np.float32)
    amount = None if foam is None else np.clip(foam, 0.0, 1.0).astype(np.float32)
    for c in range(3):
        body = (look.water[c] + (look.crest[c] - look.water[c]) * crest) * light
        sky = look.sky_horizon[c] + (look.sky_zenith[c] - look.sky_horizon[c]) * sky_mix
        channel = (1.0 - fresnel) * body + fresnel * sky + (1.6 * look.sun[c]) * glint
        if amount is not None:
            channel = channel * (1.0 - amount) + amount * look.foam[c] * (0.8 + 0.2 * lambert)
        colour[..., c] = channel
    return colour


def shade_rocks(obstacle: np.ndarray, *, dx: float, dy: float, look: Look, seed: int = 3) -> np.ndarray:
    """RGB of rock surfaces (only meaningful where ``obstacle``): rounded, lit, textured."""
    import cv2

    mask = obstacle.astype(np.uint8)
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3).astype(np.float64) * min(dx, dy)
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.standard_normal(obstacle.shape), (0, 0), 1.2)
    texture += 0.5 * cv2.GaussianBlur(rng.standard_normal(obstacle.shape), (0, 0), 4.0)
    bump = np.sqrt(inside) * 1.5 + 0.15 * texture
    n = normals(bump, dx, dy, relief=1.0)
    lambert = np.clip(np.sum(n * look.light, axis=-1), 0.0, 1.0)
    wet = np.clip(1.0 - inside / (3.0 * min(dx, dy)), 0.0, 1.0)  # dark band at the waterline
    shade = (0.45 + 0.6 * lambert) * (1.0 - 0.45 * wet) * (1.0 + 0.12 * texture)
    return np.clip(np.array(look.rock) * shade[..., None], 0.0, 1.0)


class Ripples:
    """Fine wind ripples too small for the grid: slopes from two noise layers drifting in
    different directions, so the surface keeps sparkling as time runs."""

    def __init__(self, shape: tuple[int, int], *, strength: float, direction: float = 90.0, seed: int = 5) -> None:
        import cv2

        rng = np.random.default_rng(seed)
        self.layers = []
        for k, (scale, turn) in enumerate(((1.2, 20.0), (2.5, -35.0))):
            noise = cv2.GaussianBlur(rng.standard_normal(shape), (0, 0), scale)
            gy, gx = np.gradient(noise)
            slopes = np.stack([gx, gy], axis=-1).astype(np.float32)
            slopes *= strength / (np.sqrt((slopes ** 2).sum(axis=-1)).mean() + 1e-12)
            angle = math.radians(direction + turn)
            self.layers.append((slopes, (math.cos(angle) * (1.5 + k), math.sin(angle) * (1.5 + k))))

    def at(self, t: float) -> np.ndarray:
        """Ripple slopes (H×W×2) at time ``t`` seconds (cells drift a few per second)."""
        total = None
        for slopes, (vx, vy) in self.layers:
            moved = np.roll(slopes, (int(round(vy * t)), int(round(vx * t))), axis=(0, 1))
            total = moved if total is None else total + moved
        return total


class Foam:
    """Foam that forms where the surface is steep or hits rocks and fades over ``lifetime`` s."""

    def __init__(self, obstacle: np.ndarray, *, dx: float, dy: float, slope: float, crest_height: float,
                 lifetime: float = 1.5, seed: int = 11) -> None:
        import cv2

        self.dx, self.dy = dx, dy
        self.slope = slope
        self.crest_height = crest_height
        self.lifetime = lifetime
        ring = int(np.clip(round(1.5 / min(dx, dy)), 1, 6))  # about 1.5 m of surf around rocks
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ring + 1, 2 * ring + 1))
        self.shore = cv2.dilate(obstacle.astype(np.uint8), kernel).astype(bool) & ~obstacle
        rng = np.random.default_rng(seed)
        grain = cv2.GaussianBlur(rng.random(obstacle.shape), (0, 0), 1.0)
        self.grain = np.clip((grain - grain.mean()) / (grain.std() + 1e-9) * 0.35 + 0.75, 0.0, 1.0).astype(np.float32)
        self.amount = np.zeros(obstacle.shape, np.float32)
        self.last_t: float | None = None

    def update(self, height: np.ndarray, t: float) -> np.ndarray:
        height = height.astype(np.float32, copy=False)
        gy, gx = np.gradient(height, np.float32(self.dy), np.float32(self.dx))
        steep = np.hypot(gx, gy)
        fresh = np.clip((steep - 0.6 * self.slope) / (0.4 * self.slope), 0.0, 1.0)
        breaking = np.clip((np.abs(height) / max(self.crest_height, 1e-9) - 0.35) / 0.5, 0.0, 1.0) * self.shore
        fresh = np.maximum(fresh, breaking)
        if self.last_t is not None:
            self.amount *= math.exp(-max(t - self.last_t, 0.0) / self.lifetime)
        self.last_t = t
        self.amount = np.maximum(self.amount, fresh)
        return self.amount * self.grain


def heightmap_colours(height: np.ndarray, obstacle: np.ndarray, crest_height: float) -> np.ndarray:
    """A diverging colour map of height: troughs deep blue, rest teal, crests near white."""
    x = np.clip(height / max(crest_height, 1e-9), -1.0, 1.0)[..., None]
    trough, level, crest = np.array([0.02, 0.08, 0.30]), np.array([0.05, 0.42, 0.55]), np.array([0.92, 0.97, 1.0])
    colour = np.where(x < 0, level + (level - trough) * x, level + (crest - level) * x)
    colour[obstacle] = (0.30, 0.28, 0.26)
    return colour


def to_uint8(colour: np.ndarray) -> np.ndarray:
    return (np.clip(colour, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
