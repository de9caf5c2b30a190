"""Software 3D rendering in NumPy: point clouds, meshes and camera frusta seen by an orbit camera.

No Qt, no OpenGL, no Vulkan: the editor's orbit view and the ``report.render_3d`` node draw
with the same code, so a report shows exactly what the editor shows. Everything drawn becomes
fragments (pixel, depth, colour); one sort keeps the nearest fragment of each pixel (a
z-buffer without a per-pixel loop). World coordinates follow OpenCV (x right, y down,
z forward), as :class:`~thyra_graph.types.Cameras` does, so "up" on screen is world −y.

Example::

    scene = scene_of(cloud, cameras)
    rgb = render(scene, OrbitCamera.fitted(scene), (640, 480))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BACKGROUND = (24, 24, 28)
MESH_COLOUR = (200, 200, 210)
DEFAULT_YAW, DEFAULT_PITCH = math.radians(-30.0), math.radians(-20.0)
_PIXEL_BITS = 24      # fragments of images up to 16.7 megapixels share one int64 sort key
_DEPTH_LEVELS = 2 ** 38
_MAX_CANDIDATES = 2_000_000  # pixels tested at once while rasterising (memory bound)


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


# -- scenes from port values --------------------------------------------------------------------
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
    for i, (colour) in enumerate(_palette(len(cameras))):
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


# -- rasterising ----------------------------------------------------------------------------------
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
