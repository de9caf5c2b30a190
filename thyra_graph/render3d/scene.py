"""What the 3D preview draws: points, a mesh, camera frusta and labels, from port values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

MESH_COLOUR = (200, 200, 210)


@dataclass
class Scene:
    """What to draw, in world coordinates: coloured points, a triangle mesh with vertex colours
    (and unit vertex normals, for smooth shading), coloured line segments (camera frusta) and
    text labels anchored at 3D points."""

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    point_colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))
    vertices: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    faces: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int32))
    vertex_colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))
    vertex_normals: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    lines: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3), np.float32))
    line_colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))
    labels: list[tuple[np.ndarray, str]] = field(default_factory=list)
    caption: str = ""

    def bounds(self) -> tuple[np.ndarray, float]:
        """The centre of the bounding box and the radius of its enclosing sphere (1 if empty) of
        the points, the mesh vertices that faces use, and the lines.

        Big clouds are bounded by their 0.5th-99.5th percentiles per axis: clouds from stereo
        or learned depth have a few stray points far away that would shrink the rest to a dot.
        """
        lows, highs = [], []
        used = np.zeros(len(self.vertices), bool)
        used[self.faces.reshape(-1)] = True  # trimmed meshes (Poisson) keep vertices no face uses
        for part, robust in ((self.points, True), (self.vertices[used], True), (self.lines.reshape(-1, 3), False)):
            if robust and len(part) > 1000:
                low, high = np.percentile(part[:: max(1, len(part) // 100_000)], [0.5, 99.5], axis=0)
            elif len(part):
                low, high = part.min(axis=0), part.max(axis=0)
            else:
                continue
            lows.append(low)
            highs.append(high)
        if not lows:
            return np.zeros(3), 1.0
        low, high = np.min(lows, axis=0).astype(np.float64), np.max(highs, axis=0).astype(np.float64)
        return (low + high) / 2, float(np.linalg.norm(high - low) / 2) or 1.0

    @property
    def empty(self) -> bool:
        return not (len(self.points) or len(self.faces) or len(self.lines))


def _colour_map(values: np.ndarray) -> np.ndarray:
    """Viridis colours for values in [0, 1]."""
    import cv2

    ramp = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_VIRIDIS)[:, 0, ::-1]
    return ramp[(np.clip(values, 0, 1) * 255).astype(np.uint8)]


def height_colours(points: np.ndarray) -> np.ndarray:
    """Colours by height (world −y is up): low points purple, high points yellow."""
    if len(points) == 0:
        return np.zeros((0, 3), np.uint8)
    up = -points[:, 1].astype(np.float64)
    low, high = np.percentile(up, [1, 99])
    return _colour_map((up - low) / ((high - low) or 1.0))


def _palette(n: int) -> np.ndarray:
    import cv2

    hues = ((np.arange(n) * 137.508 + 20) % 180).astype(np.uint8)
    hsv = np.stack([hues, np.full(n, 170, np.uint8), np.full(n, 255, np.uint8)], axis=1)[None]
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]


def frustum_lines(cameras: Any, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Each camera as 8 segments in world coordinates: centre to the four image corners at
    depth ``scale``, and the image rectangle; plus a tick on the top edge showing which way
    is up. Returns (N·9)×2×3 segments and one colour per segment."""
    width, height = cameras.image_size
    corners_px = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], float)
    segments, colours = [], []
    for i, colour in enumerate(_palette(len(cameras))):
        rays = corners_px @ np.linalg.inv(cameras.intrinsics[i]).T
        rays *= scale / rays[:, 2:3]
        rotation, translation = cameras.rotations[i], cameras.translations[i]
        world = (rays - translation) @ rotation  # X = Rᵀ(x − t)
        centre = -rotation.T @ translation
        mid_top = (world[0] + world[1]) / 2
        tick = mid_top + (mid_top - (world[2] + world[3]) / 2) * 0.15
        for a, b in ((centre, world[0]), (centre, world[1]), (centre, world[2]), (centre, world[3]),
                     (world[0], world[1]), (world[1], world[2]), (world[2], world[3]), (world[3], world[0]),
                     (mid_top, tick)):
            segments.append((a, b))
            colours.append(colour)
    return np.asarray(segments, np.float32).reshape(-1, 2, 3), np.asarray(colours, np.uint8).reshape(-1, 3)


def frustum_scale(cameras: Any, scene_radius: float | None) -> float:
    """How deep to draw frusta: a third of the typical spacing between cameras, at most a
    quarter of the radius of the scene they look at (1 for a lone camera with nothing else)."""
    centres = cameras.centers()
    scale = 1.0
    if len(centres) > 1:
        gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
        np.fill_diagonal(gaps, np.inf)
        spacing = float(np.median(gaps.min(axis=1)))
        scale = spacing / 3 if spacing > 0 else scale
    if scene_radius:
        scale = min(scale, scene_radius / 4) if len(centres) > 1 else scene_radius / 4
    return scale


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit normals per vertex: the area-weighted sum of its faces' normals (zero when unused)."""
    a, b, c = (vertices[faces[:, i]].astype(np.float64) for i in range(3))
    face_normals = np.cross(b - a, c - a)  # length = twice the area: bigger faces weigh more
    normals = np.zeros((len(vertices), 3))
    for i in range(3):
        np.add.at(normals, faces[:, i], face_normals)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return (normals / np.maximum(length, 1e-30)).astype(np.float32)


def _with_points(scene: Scene, points: np.ndarray, colours: np.ndarray | None) -> Scene:
    colours = height_colours(points) if colours is None else np.asarray(colours, np.uint8)
    scene.points = np.concatenate([scene.points, points])
    scene.point_colors = np.concatenate([scene.point_colors, colours])
    return scene


def scene_of(*values: Any) -> Scene:
    """One scene from any mix of PointCloud, Mesh and Cameras values (``None`` skipped)."""
    scene = Scene()
    cameras, captions = [], []
    for value in values:
        if value is None:
            continue
        kind = value.type_name
        if kind == "PointCloud":
            points = np.asarray(value.points, np.float32)
            scene = _with_points(scene, points, value.colors)
            captions.append(f"{len(points)} points" + ("" if value.colors is not None else " (coloured by height)"))
        elif kind == "Mesh" and len(value.faces) == 0:  # a mesh without faces shows its vertices
            scene = _with_points(scene, np.asarray(value.vertices, np.float32), value.vertex_colors)
            captions.append(f"mesh of {len(value.vertices)} vertices, no faces")
        elif kind == "Mesh":
            vertices, faces = np.asarray(value.vertices, np.float32), np.asarray(value.faces, np.int32)
            colours = value.vertex_colors if value.vertex_colors is not None else \
                np.tile(np.array(MESH_COLOUR, np.uint8), (len(vertices), 1))
            scene.faces = np.concatenate([scene.faces, faces + len(scene.vertices)])
            scene.vertices = np.concatenate([scene.vertices, vertices])
            scene.vertex_colors = np.concatenate([scene.vertex_colors, np.asarray(colours, np.uint8)])
            scene.vertex_normals = np.concatenate([scene.vertex_normals, vertex_normals(vertices, faces)])
            captions.append(f"mesh of {len(value.vertices)} vertices, {len(value.faces)} faces")
        elif kind == "Cameras":
            cameras.append(value)
            captions.append(f"{len(value)} cameras")
        else:
            raise TypeError(f"cannot draw a {kind} in 3D; give a PointCloud, Mesh or Cameras")
    radius = None if scene.empty else scene.bounds()[1]
    for camera_set in cameras:
        if len(camera_set) == 0:
            continue
        lines, colours = frustum_lines(camera_set, frustum_scale(camera_set, radius))
        scene.lines = np.concatenate([scene.lines, lines])
        scene.line_colors = np.concatenate([scene.line_colors, colours])
        names = camera_set.names or [str(i) for i in range(len(camera_set))]
        if len(names) <= 40:  # more names than that are unreadable
            scene.labels += list(zip(camera_set.centers(), names))
    scene.caption = ", ".join(captions) or "nothing to draw"
    return scene
