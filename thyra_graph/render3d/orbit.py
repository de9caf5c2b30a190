"""The orbit camera of the 3D preview: a perspective view circling a target point."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .scene import Scene

DEFAULT_YAW, DEFAULT_PITCH = math.radians(-30.0), math.radians(-20.0)


@dataclass
class OrbitCamera:
    """A perspective camera circling ``target`` at ``distance``: ``yaw`` turns about the
    world's vertical (y) axis, ``pitch`` tilts (radians; negative looks down from above)."""

    target: np.ndarray
    distance: float
    yaw: float = DEFAULT_YAW
    pitch: float = DEFAULT_PITCH
    fov: float = math.radians(45.0)

    @classmethod
    def fitted(cls, scene: Scene, *, yaw: float = DEFAULT_YAW, pitch: float = DEFAULT_PITCH) -> "OrbitCamera":
        """A camera that sees the whole scene, aimed at its bounding-box centre."""
        centre, radius = scene.bounds()
        fov = math.radians(45.0)
        return cls(centre, 1.05 * radius / math.tan(fov / 2), yaw, pitch, fov)

    def rotation(self) -> np.ndarray:
        """The world-to-view rotation (view axes: x right, y down, z into the screen)."""
        cy, sy, cp, sp = math.cos(self.yaw), math.sin(self.yaw), math.cos(self.pitch), math.sin(self.pitch)
        about_y = np.array([[cy, 0, -sy], [0, 1, 0], [sy, 0, cy]])
        about_x = np.array([[1, 0, 0], [0, cp, sp], [0, -sp, cp]])
        return about_x @ about_y

    def centre(self) -> np.ndarray:
        """Where the camera is, in world coordinates."""
        return np.asarray(self.target, float) - self.distance * self.rotation()[2]

    def view_matrix(self) -> np.ndarray:
        """The 4×4 world-to-view matrix."""
        rotation = self.rotation()
        matrix = np.eye(4)
        matrix[:3, :3] = rotation
        matrix[:3, 3] = -rotation @ self.centre()
        return matrix

    def focal(self, height: int) -> float:
        return (height / 2) / math.tan(self.fov / 2)

    def rotate(self, dx: float, dy: float) -> None:
        """Orbit by a mouse drag of (dx, dy) pixels: a drag across 400 pixels turns 180°."""
        self.yaw -= dx * math.pi / 400
        self.pitch = float(np.clip(self.pitch + dy * math.pi / 400, -math.radians(89), math.radians(89)))

    def pan(self, dx: float, dy: float, height: int) -> None:
        """Move the target with a drag of (dx, dy) pixels, so the scene follows the mouse."""
        per_pixel = self.distance / self.focal(height)
        rotation = self.rotation()
        self.target = np.asarray(self.target, float) - per_pixel * (dx * rotation[0] + dy * rotation[1])

    def zoom(self, factor: float) -> None:
        """Move closer (factor > 1) or farther (factor < 1) from the target."""
        self.distance = max(self.distance / factor, 1e-6)
