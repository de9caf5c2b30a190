"""Turning one height snapshot into one video frame (the per-frame work of sim.render_waves).

A :class:`WavePainter` is set up once per video (camera, view directions, rock shading, the
photo to start from) and then paints frames in time order, keeping the state that carries
over between frames (foam that lingers, ripples that drift).

Shading runs on the grid refined ``detail`` times (heights interpolated bicubically, rock
outlines smoothed) so that rocks have round edges and waves stay sharp in the video even when
the simulation grid is coarser than the picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .camera_view import CameraView, camera_view
from .surface_from_image import resize
from .water_shading import Foam, Look, Ripples, heightmap_colours, shade_rocks, shade_water


@dataclass(frozen=True)
class PaintSettings:
    style: str  # perspective, topdown, heightmap
    size: tuple[int, int]  # video width, height
    look: Look
    elevation: float
    fov: float
    foam_slope: float
    composite: float  # how much of the photo's difference to the render is kept at t = 0
    composite_fade: float  # seconds over which the photo hands over to the simulation


class WavePainter:
    def __init__(self, shape: tuple[int, int], dx: float, dy: float, obstacle: np.ndarray, *, crest_height: float,
                 settings: PaintSettings, photo: np.ndarray | None = None) -> None:
        import cv2

        self.settings = settings
        self.crest = crest_height
        rows, cols = shape
        self.detail = 1 if settings.style == "heightmap" else int(np.clip(math.ceil(settings.size[0] / cols), 1, 2))
        self.shape = (rows * self.detail, cols * self.detail)
        self.dx, self.dy = dx / self.detail, dy / self.detail
        soft = cv2.GaussianBlur(obstacle.astype(np.float32), (0, 0), 0.7) if obstacle.any() else obstacle.astype(np.float32)
        self.obstacle = resize(soft, self.shape) > 0.5 if self.detail > 1 else obstacle
        look = settings.look
        self.camera: CameraView | None = None
        self.view = np.array([0.0, 0.0, 1.0])
        self.haze: np.ndarray | None = None
        if settings.style == "perspective":
            self.camera = camera_view(self.shape, self.dx, self.dy, size=settings.size,
                                      elevation=settings.elevation, fov=settings.fov)
            self.view = self.camera.view_vectors(self.shape, self.dx, self.dy).astype(np.float32)
            self.haze = self._haze().astype(np.float32)[..., None]
        self.photo = resize(photo, self.shape).astype(np.float32) if photo is not None else None
        rocks = shade_rocks(self.obstacle, dx=self.dx, dy=self.dy, look=look)
        if self.photo is not None:
            # The photo's rock colours, with the relief shading of the rendered rocks.
            rocks = np.clip(self.photo * rocks / np.array(look.rock), 0.0, 1.0)
        self.rocks = rocks.astype(np.float32)
        self.horizon = np.array(look.sky_horizon, np.float32)
        self.foam = Foam(self.obstacle, dx=self.dx, dy=self.dy, slope=settings.foam_slope, crest_height=crest_height)
        self.ripples = Ripples(self.shape, strength=look.ripple)
        self.t0: float | None = None

    def paint(self, height: np.ndarray, t: float) -> np.ndarray:
        """The frame (video size, float RGB 0–1) for the snapshot ``height`` at time ``t``."""
        import cv2

        settings = self.settings
        if self.detail > 1:
            height = cv2.resize(height.astype(np.float32), self.shape[::-1], interpolation=cv2.INTER_CUBIC)
        height = np.where(self.obstacle, np.float32(0), height.astype(np.float32))
        if settings.style == "heightmap":
            picture = heightmap_colours(height, self.obstacle, self.crest)
        else:
            picture = shade_water(height, dx=self.dx, dy=self.dy, view=self.view, look=settings.look,
                                  crest_height=self.crest, foam=self.foam.update(height, t),
                                  ripples=self.ripples.at(t))
            np.copyto(picture, self.rocks, where=self.obstacle[..., None])
        if self.haze is not None:
            picture += self.haze * (self.horizon - picture)
        if self.photo is not None and settings.composite > 0:
            # Cross-fade from the photo (the first frame is the photo) to the rendered
            # simulation, which starts from the photo's own waves.
            if self.t0 is None:
                self.t0 = t
            fade = math.exp(-(t - self.t0) / settings.composite_fade) if settings.composite_fade > 0 else 0.0
            if t == self.t0:
                fade = 1.0
            weight = settings.composite * fade
            picture = picture * (1 - weight) + weight * self.photo
        if self.camera is not None:
            return self.camera.warp(picture)
        if picture.shape[:2] != (settings.size[1], settings.size[0]):
            return cv2.resize(picture.astype(np.float32), settings.size, interpolation=cv2.INTER_AREA)
        return picture

    def _haze(self) -> np.ndarray:
        """Aerial perspective: far water fades toward the horizon colour."""
        rows, cols = self.shape
        x = (np.arange(cols) + 0.5) * self.dx
        y = (np.arange(rows) + 0.5) * self.dy
        position = self.camera.position
        distance = np.sqrt((x[None, :] - position[0]) ** 2 + (y[:, None] - position[1]) ** 2 + position[2] ** 2)
        near, far = distance.min(), distance.max()
        return 0.4 * np.clip((distance - near) / max(far - near, 1e-9), 0.0, 1.0) ** 1.5
