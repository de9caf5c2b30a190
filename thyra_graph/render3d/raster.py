"""Rasterising a :class:`~.scene.Scene` seen by an :class:`~.orbit.OrbitCamera` into an RGB picture.

Points become 2×2 splats (single pixels when denser than the picture), triangles are filled
in groups of equal bounding-box size (every pixel of every box tested at once), lines are
sampled once per pixel; all become fragments and ``np.minimum.at`` on a depth buffer keeps
the nearest one per pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .orbit import DEFAULT_PITCH, DEFAULT_YAW, OrbitCamera
from .scene import Scene, scene_of

BACKGROUND = (24, 24, 28)
_MAX_CANDIDATES = 2_000_000  # pixels tested at once while rasterising (memory bound)


@dataclass
class _Fragments:
    """Candidate pixels: flat pixel index, view depth and RGB colour, one row each."""

    pixel: list[np.ndarray] = field(default_factory=list)
    depth: list[np.ndarray] = field(default_factory=list)
    colour: list[np.ndarray] = field(default_factory=list)

    def add(self, pixel: np.ndarray, depth: np.ndarray, colour: np.ndarray) -> None:
        self.pixel.append(pixel.astype(np.int64, copy=False))
        self.depth.append(depth.astype(np.float32, copy=False))
        self.colour.append(colour.astype(np.uint8, copy=False))

    def draw(self, image: np.ndarray) -> None:
        """Keep the nearest fragment of each pixel (np.minimum.at is the z-buffer)."""
        if not self.pixel:
            return
        pixel, depth, colour = (np.concatenate(parts) for parts in (self.pixel, self.depth, self.colour))
        zbuffer = np.full(image.shape[0] * image.shape[1], np.inf, np.float32)
        np.minimum.at(zbuffer, pixel, depth)
        nearest = zbuffer[pixel] == depth
        image.reshape(-1, 3)[pixel[nearest]] = colour[nearest]


class _Projector:
    """World points to pixel coordinates and view depth for one camera and image size."""

    def __init__(self, camera: OrbitCamera, width: int, height: int) -> None:
        self.rotation = camera.rotation().astype(np.float32)
        self.offset = (-camera.rotation() @ camera.centre()).astype(np.float32)
        self.focal = np.float32(camera.focal(height))
        self.width, self.height = width, height
        self.near = np.float32(camera.distance * 1e-3)

    def view(self, points: np.ndarray) -> np.ndarray:
        # Broadcasting, not a BLAS matmul: BLAS threads stall for tens of milliseconds on a
        # busy machine, which a 15 fps redraw cannot afford.
        points = points.astype(np.float32, copy=False)
        rotation = self.rotation
        view = points[:, 0:1] * rotation[:, 0] + self.offset
        view += points[:, 1:2] * rotation[:, 1]
        view += points[:, 2:3] * rotation[:, 2]
        return view

    def pixels(self, view: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = np.maximum(view[:, 2], self.near)
        return self.focal * view[:, 0] / z + self.width / 2, self.focal * view[:, 1] / z + self.height / 2


def _point_fragments(out: _Fragments, projector: _Projector, points: np.ndarray, colours: np.ndarray) -> None:
    view = projector.view(points)
    u, v = projector.pixels(view)
    width, height = projector.width, projector.height
    x, y = np.floor(u), np.floor(v)
    # Sparse clouds get 2×2 splats so surfaces read as surfaces, dense ones single pixels.
    splat = len(points) <= width * height
    edge = 1 if splat else 0  # a splat's right/lower pixel must stay on the same row/in the image
    keep = (view[:, 2] > projector.near) & (x >= 0) & (x < width - edge) & (y >= 0) & (y < height - edge)
    pixel = y[keep].astype(np.int64) * width + x[keep].astype(np.int64)
    depth, colours = view[keep, 2], colours[keep]
    if splat:
        pixel = np.concatenate([pixel, pixel + 1, pixel + width, pixel + width + 1])
        depth, colours = np.tile(depth, 4), np.tile(colours, (4, 1))
    out.add(pixel, depth, colours)


def _shaded_vertices(projector: _Projector, view: np.ndarray, scene: Scene) -> np.ndarray:
    """Lambert shading per vertex, lit from the viewer, both sides alike (meshes from scans
    are open): float RGB, interpolated across each triangle (Gouraud)."""
    normals = scene.vertex_normals @ projector.rotation.T
    cosine = np.abs((normals * view).sum(axis=1)) / np.maximum(np.linalg.norm(view, axis=1), 1e-20)
    shade = 0.25 + 0.75 * cosine
    return scene.vertex_colors * shade[:, None].astype(np.float32)


def _triangle_fragments(out: _Fragments, projector: _Projector, scene: Scene) -> None:
    view = projector.view(scene.vertices)
    u, v = projector.pixels(view)
    z = view[:, 2]
    width, height = projector.width, projector.height
    faces = scene.faces[(z[scene.faces] > projector.near).all(axis=1)]  # triangles crossing the eye plane are dropped
    shaded = _shaded_vertices(projector, view, scene)[faces]  # F×3 corners×RGB
    U, V, Z = u[faces], v[faces], z[faces]
    u_min, u_max, v_min, v_max = U.min(axis=1), U.max(axis=1), V.min(axis=1), V.max(axis=1)
    x_low = np.clip(np.floor(u_min), 0, width - 1).astype(np.int32)
    x_high = np.clip(np.floor(u_max), 0, width - 1).astype(np.int32)
    y_low = np.clip(np.floor(v_min), 0, height - 1).astype(np.int32)
    y_high = np.clip(np.floor(v_max), 0, height - 1).astype(np.int32)
    on_screen = (u_max >= 0) & (u_min < width) & (v_max >= 0) & (v_min < height)
    span_x = np.where(on_screen, x_high - x_low + 1, 0)
    span_y = y_high - y_low + 1
    # Triangles inside one pixel become one fragment at their centroid.
    tiny = (span_x == 1) & (span_y == 1)
    cu, cv_ = U[tiny].mean(axis=1).astype(np.int32).clip(0, width - 1), V[tiny].mean(axis=1).astype(np.int32).clip(0, height - 1)
    out.add(cv_ * width + cu, Z[tiny].mean(axis=1), shaded[tiny].mean(axis=1))
    # The rest in groups of one box size, each group's boxes tested pixel by pixel at once:
    # exact sizes up to 8 pixels (most triangles of a detailed mesh), powers of two beyond.
    box_x, box_y = _box_size(span_x), _box_size(span_y)
    key = np.where((span_x > 0) & ~tiny, box_x * 65536 + box_y, -1)
    order = np.argsort(key, kind="stable")
    sorted_keys = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    for first, last in zip(starts, np.r_[starts[1:], len(order)]):
        if sorted_keys[first] < 0:
            continue
        kx, ky = divmod(int(sorted_keys[first]), 65536)
        group = order[first:last]
        step = max(1, _MAX_CANDIDATES // (kx * ky))
        for start in range(0, len(group), step):
            _fill(out, group[start:start + step], (kx, ky), U, V, Z, x_low, x_high, y_low, y_high, shaded, width)


def _box_size(span: np.ndarray) -> np.ndarray:
    """The box width tested for a triangle ``span`` pixels wide: itself up to 8, else the next power of two."""
    power = (2 ** np.ceil(np.log2(np.maximum(span, 1)))).astype(np.int64)
    return np.where(span <= 8, span, power)


def _fill(out: _Fragments, chosen: np.ndarray, box: tuple[int, int], U, V, Z, x_low, x_high, y_low, y_high,
          shaded, width) -> None:
    kx, ky = box
    oy, ox = np.divmod(np.arange(kx * ky, dtype=np.int32), kx)
    x = x_low[chosen, None] + ox[None]
    y = y_low[chosen, None] + oy[None]
    px, py = x + np.float32(0.5), y + np.float32(0.5)
    (u0, u1, u2), (v0, v1, v2) = (U[chosen].T[:, :, None], V[chosen].T[:, :, None])
    area = (u1 - u0) * (v2 - v0) - (u2 - u0) * (v1 - v0)
    area = np.where(np.abs(area) < 1e-9, np.float32(1e-9), area)
    w0 = ((u1 - px) * (v2 - py) - (u2 - px) * (v1 - py)) / area
    w1 = ((u2 - px) * (v0 - py) - (u0 - px) * (v2 - py)) / area
    w2 = 1 - w0 - w1
    eps = np.float32(-1e-4)
    inside = (w0 >= eps) & (w1 >= eps) & (w2 >= eps)
    if kx > 8 or ky > 8:  # a power-of-two box reaches past the triangle's own box (and the image)
        inside &= (x <= x_high[chosen, None]) & (y <= y_high[chosen, None])
    rows = np.broadcast_to(np.arange(len(chosen))[:, None], inside.shape)[inside]
    w0, w1, w2 = w0[inside], w1[inside], w2[inside]
    z = Z[chosen][rows]
    depth = 1 / (w0 / z[:, 0] + w1 / z[:, 1] + w2 / z[:, 2])  # 1/z is linear on screen
    corners = shaded[chosen][rows]  # the three corner colours of each fragment's triangle
    colour = w0[:, None] * corners[:, 0] + w1[:, None] * corners[:, 1] + w2[:, None] * corners[:, 2]
    out.add(y[inside] * width + x[inside], depth, colour.clip(0, 255))


def _line_fragments(out: _Fragments, projector: _Projector, lines: np.ndarray, colours: np.ndarray) -> None:
    ends = projector.view(lines.reshape(-1, 3)).reshape(-1, 2, 3)
    near = projector.near
    visible = (ends[:, :, 2] > near).any(axis=1)
    ends, colours = ends[visible], colours[visible]
    # Segments crossing the eye plane are cut there (inside a ring of cameras, frusta stay).
    behind = ends[:, :, 2] <= near
    for this, other in ((0, 1), (1, 0)):
        cut = behind[:, this]
        a, b = ends[cut, this], ends[cut, other]
        t = (near * 1.01 - a[:, 2]) / (b[:, 2] - a[:, 2])
        ends[cut, this] = a + t[:, None] * (b - a)
    if len(ends) == 0:
        return
    u, v = projector.pixels(ends.reshape(-1, 3))
    u, v, z = u.reshape(-1, 2), v.reshape(-1, 2), ends[:, :, 2]
    samples = np.clip(np.ceil(np.hypot(u[:, 1] - u[:, 0], v[:, 1] - v[:, 0])) + 1, 2, 4096).astype(np.int64)
    segment = np.repeat(np.arange(len(ends)), samples)
    t = (np.arange(samples.sum()) - np.repeat(np.cumsum(samples) - samples, samples)) / np.repeat(samples - 1, samples)
    t = t.astype(np.float32)
    x = np.floor(u[segment, 0] + t * (u[segment, 1] - u[segment, 0])).astype(np.int64)
    y = np.floor(v[segment, 0] + t * (v[segment, 1] - v[segment, 0])).astype(np.int64)
    depth = 0.995 / ((1 - t) / z[segment, 0] + t / z[segment, 1])  # a little forward: lines on surfaces show
    keep = (x >= 0) & (x < projector.width) & (y >= 0) & (y < projector.height)
    out.add(y[keep] * projector.width + x[keep], depth[keep], colours[segment[keep]])


def _draw_gizmo(image: np.ndarray, camera: OrbitCamera) -> None:
    """World axes in the lower-left corner: x red, y green, z blue (y points down, as in OpenCV)."""
    import cv2

    height = image.shape[0]
    length = max(12, height // 14)
    origin = np.array([length + 10, height - length - 10])
    rotation = camera.rotation()
    axes = sorted(range(3), key=lambda i: -rotation[2, i])  # farthest first
    for i in axes:
        tip = origin + length * rotation[:2, i]
        colour = ((235, 80, 80), (80, 210, 90), (90, 140, 255))[i]
        cv2.line(image, tuple(int(c) for c in origin), tuple(int(c) for c in tip), colour, 2, cv2.LINE_AA)
        cv2.putText(image, "xyz"[i], (int(tip[0]) + 3, int(tip[1]) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)


def _draw_labels(image: np.ndarray, projector: _Projector, labels: list[tuple[np.ndarray, str]]) -> None:
    import cv2

    if not labels:
        return
    view = projector.view(np.asarray([p for p, _ in labels], np.float32))
    u, v = projector.pixels(view)
    for (x, y, z), (_, text) in zip(zip(u, v, view[:, 2]), labels):
        if z > projector.near and 0 <= x < projector.width and 0 <= y < projector.height:
            cv2.putText(image, text[:24], (int(x) + 4, int(y) - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (230, 230, 230), 1, cv2.LINE_AA)


def render(scene: Scene, camera: OrbitCamera, size: tuple[int, int] = (640, 480), *,
           max_points: int | None = None, max_faces: int | None = None, overlays: bool = True) -> np.ndarray:
    """The scene as an H×W×3 uint8 RGB picture of ``size`` (width, height).

    ``max_points`` / ``max_faces`` draw an evenly strided subset (for redraws while the mouse
    drags; a mesh above ``max_faces`` is drawn as shaded vertices). ``overlays`` adds camera
    names and the axis gizmo.
    """
    width, height = size
    image = np.empty((height, width, 3), np.uint8)
    image[:] = BACKGROUND
    projector = _Projector(camera, width, height)
    fragments = _Fragments()
    if len(scene.faces):
        if max_faces is not None and len(scene.faces) > max_faces:
            _vertex_fragments(fragments, projector, scene, max_points)
        else:
            _triangle_fragments(fragments, projector, scene)
    if len(scene.points):
        points, colours = scene.points, scene.point_colors
        if max_points is not None and len(points) > max_points:
            step = math.ceil(len(points) / max_points)
            points, colours = points[::step], colours[::step]
        _point_fragments(fragments, projector, points, colours)
    if len(scene.lines):
        _line_fragments(fragments, projector, scene.lines, scene.line_colors)
    fragments.draw(image)
    if overlays:
        _draw_labels(image, projector, scene.labels)
        _draw_gizmo(image, camera)
    return image


def _vertex_fragments(out: _Fragments, projector: _Projector, scene: Scene, max_points: int | None) -> None:
    """A quick stand-in for a big mesh while dragging: its vertices, shaded."""
    colours = _shaded_vertices(projector, projector.view(scene.vertices), scene)
    vertices = scene.vertices
    if max_points is not None and len(vertices) > max_points:
        step = math.ceil(len(vertices) / max_points)
        vertices, colours = vertices[::step], colours[::step]
    _point_fragments(out, projector, vertices, colours)


def snapshot(*values: Any, size: tuple[int, int] = (640, 480), yaw: float = DEFAULT_YAW,
             pitch: float = DEFAULT_PITCH) -> np.ndarray:
    """A picture of PointCloud / Mesh / Cameras values from a fitted orbit camera (radians)."""
    scene = scene_of(*values)
    return render(scene, OrbitCamera.fitted(scene, yaw=yaw, pitch=pitch), size)
