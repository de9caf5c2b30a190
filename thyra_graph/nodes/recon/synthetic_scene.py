"""A synthetic multi-view scene with exact cameras, depth and object masks.

Reconstruction needs ground truth to be tested against, and photos never come with it. This
module ray-casts a small room corner (a textured floor and back wall) with three textured
boxes standing on the floor, seen from N pinhole cameras on an arc, and returns per view the
RGB image, the depth along the optical axis (metres), and which box each pixel shows.

World frame: metres, right-handed, y pointing down like OpenCV (the floor is the plane y = 0
and everything above it has y < 0), z pointing from the cameras into the scene. Cameras are
world-to-camera [R|t] with OpenCV axes and pixel centres at integer coordinates.

Layout (for tests that pick objects by position): the "left box" is on the left of every
view and nearest to the cameras, the "right box" on the right and farthest, the "middle box"
between them. Textures are multi-scale noise plus random discs, deterministic from the seed,
so SIFT finds thousands of features and stereo matching has texture everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from thyra_graph.engine.declaration import Output, Param, node
from thyra_graph.types import Cameras, Field, FrameSeries, Image, Instances

# Scene extent, metres: floor x in [-8, 8], z in [-3, 3]; back wall at z = 3 up to 4 m high.
_FLOOR = (-8.0, 8.0, -3.0, 3.0)
_WALL_Z = 3.0
_WALL_HEIGHT = 4.0
# Metres per texel of the surface textures (finer than a pixel's footprint at 3 m).
_TEXEL = 0.006
# Where the cameras look and how far they stand from it.
_TARGET = np.array([0.0, -0.35, 0.9])
_RADIUS = 3.3
_CAMERA_HEIGHT = -1.4


@dataclass(frozen=True)
class Box:
    """An axis-aligned box standing on the floor: centre (x, z) on the floor, size (w, h, d)."""

    name: str
    x: float
    z: float
    size: tuple[float, float, float]

    @property
    def low(self) -> np.ndarray:
        w, h, d = self.size
        return np.array([self.x - w / 2, -h, self.z - d / 2])

    @property
    def high(self) -> np.ndarray:
        w, _, d = self.size
        return np.array([self.x + w / 2, 0.0, self.z + d / 2])


BOXES = (
    Box("left box", -0.95, 0.0, (0.6, 0.6, 0.6)),
    Box("middle box", 0.05, 1.0, (0.45, 0.35, 0.45)),
    Box("right box", 0.95, 2.0, (0.7, 0.9, 0.7)),
)


@dataclass
class Scene:
    """Rendered views and their ground truth (lists have one entry per view)."""

    images: list[np.ndarray]  # H×W×3 uint8 RGB
    depths: list[np.ndarray]  # H×W float32, metres along the optical axis; 0 where no surface
    object_ids: list[np.ndarray]  # H×W int32: 0 floor/wall/nothing, k = BOXES[k - 1]
    cameras: Cameras
    boxes: tuple[Box, ...] = BOXES
    moving: list[Box] | None = None  # per view, where the moving box was (object id len(boxes) + 1)

    @property
    def object_names(self) -> dict[int, str]:
        return {k + 1: box.name for k, box in enumerate(self.boxes)}

    @property
    def size(self) -> float:
        """The scene's size for relative tolerances: the diagonal of the boxes and cameras'
        bounding box, metres."""
        corners = np.vstack([np.vstack([b.low, b.high]) for b in self.boxes] + [self.cameras.centers()])
        return float(np.linalg.norm(corners.max(axis=0) - corners.min(axis=0)))

    def points(self, view: int) -> np.ndarray:
        """H×W×3 world coordinates of what each pixel of ``view`` sees (NaN where nothing)."""
        depth = self.depths[view]
        height, width = depth.shape
        K, E = self.cameras.intrinsics[view], self.cameras.extrinsics[view]
        u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
        rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], axis=-1)
        cam = rays * depth[..., None]
        world = (cam - E[:3, 3]) @ E[:3, :3]
        world[depth <= 0] = np.nan
        return world


def camera_poses(n_views: int, *, arc_degrees: float = 60.0) -> np.ndarray:
    """N×3×4 world-to-camera matrices on an arc of ``arc_degrees`` in front of the scene,
    all looking at the scene's centre."""
    angles = np.radians(np.linspace(-arc_degrees / 2, arc_degrees / 2, n_views)) if n_views > 1 else np.zeros(1)
    poses = []
    down = np.array([0.0, 1.0, 0.0])
    for angle in angles:
        centre = np.array([_TARGET[0] + _RADIUS * math.sin(angle), _CAMERA_HEIGHT,
                           _TARGET[2] - _RADIUS * math.cos(angle)])
        forward = _TARGET - centre
        forward /= np.linalg.norm(forward)
        right = np.cross(down, forward)
        right /= np.linalg.norm(right)
        R = np.stack([right, np.cross(forward, right), forward])
        poses.append(np.hstack([R, (-R @ centre)[:, None]]))
    return np.asarray(poses)


def render_scene(n_views: int = 8, size: tuple[int, int] = (640, 480), seed: int = 0, *,
                 arc_degrees: float = 60.0, focal: float | None = None, moving_box: bool = False) -> Scene:
    """Render ``n_views`` views of ``size`` (width, height) pixels on an arc of
    ``arc_degrees``; ``focal`` in pixels defaults to 0.8 × width (a 64° horizontal view).

    ``moving_box`` adds a fourth box that slides 1.2 m to the right over the views (what a
    person walking through a photo set is to photogrammetry): it breaks the static-scene
    assumption and is what masks must keep out of a reconstruction."""
    width, height = size
    focal = 0.8 * width if focal is None else focal
    K = np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]])
    poses = camera_poses(n_views, arc_degrees=arc_degrees)
    surfaces = _Surfaces(seed)
    images, depths, ids = [], [], []
    moving = [_moving_box(i, n_views) for i in range(n_views)] if moving_box else None
    for i, pose in enumerate(poses):
        boxes = BOXES + ((moving[i],) if moving else ())
        image, depth, object_id = _render_view(K, pose, width, height, surfaces, boxes)
        images.append(image)
        depths.append(depth)
        ids.append(object_id)
    cameras = Cameras(np.repeat(K[None], n_views, axis=0), poses, (width, height),
                      [f"view_{i:03d}.png" for i in range(n_views)])
    return Scene(images, depths, ids, cameras, BOXES, moving)


def _moving_box(view: int, n_views: int) -> Box:
    return Box("moving box", -0.2 + 1.2 * view / max(n_views - 1, 1), -0.8, (0.35, 0.5, 0.35))


class _Surfaces:
    """One texture per surface (floor, wall, each box face), built once per seed."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        x0, x1, z0, z1 = _FLOOR
        self.floor = _texture(rng, x1 - x0, z1 - z0, base=(150, 130, 110))
        self.wall = _texture(rng, x1 - x0, _WALL_HEIGHT, base=(120, 140, 170))
        palette = ((200, 90, 70), (90, 170, 90), (80, 110, 200))
        # A box's faces share one texture laid out as a strip: each face samples its own region.
        self.boxes = [_texture(rng, 3 * max(box.size), 2 * max(box.size), base=palette[k % 3])
                      for k, box in enumerate(BOXES + (_moving_box(0, 1),))]


def _texture(rng: np.random.Generator, width_m: float, height_m: float, base: tuple[int, int, int]) -> np.ndarray:
    """An RGB float32 texture of ``width_m`` × ``height_m`` metres: noise at several scales
    (corners and blobs for SIFT at any distance) and random discs in random colours."""
    import cv2

    w, h = int(math.ceil(width_m / _TEXEL)) + 2, int(math.ceil(height_m / _TEXEL)) + 2
    texture = np.zeros((h, w, 3), np.float32)
    for cell, amplitude in ((0.5, 40.0), (0.12, 40.0), (0.03, 35.0)):
        coarse = rng.normal(0.0, 1.0, (max(2, int(h * _TEXEL / cell)), max(2, int(w * _TEXEL / cell)), 3))
        texture += amplitude * cv2.resize(coarse.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    texture += np.asarray(base, np.float32)
    discs = int(width_m * height_m * 60)
    for _ in range(discs):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        radius = int(rng.uniform(0.01, 0.06) / _TEXEL)
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
        cv2.circle(texture, centre, radius, colour, -1, lineType=cv2.LINE_AA)
    # A slight blur: textures sampled without anti-aliasing must not alias at a distance.
    return np.clip(cv2.GaussianBlur(texture, (0, 0), 1.0), 0, 255)


def _sample(texture: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bilinear lookup of ``texture`` at (a, b) metres from its corner (a along columns)."""
    h, w = texture.shape[:2]
    x = np.clip(a / _TEXEL, 0, w - 1.001)
    y = np.clip(b / _TEXEL, 0, h - 1.001)
    x0, y0 = x.astype(np.int64), y.astype(np.int64)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    top = texture[y0, x0] * (1 - fx) + texture[y0, x0 + 1] * fx
    bottom = texture[y0 + 1, x0] * (1 - fx) + texture[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _render_view(K: np.ndarray, pose: np.ndarray, width: int, height: int, surfaces: _Surfaces,
                 boxes: tuple[Box, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    R, t = pose[:, :3], pose[:, 3]
    centre = -R.T @ t
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    # Ray directions scaled so that the ray parameter is the depth along the optical axis.
    cam = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], axis=-1).reshape(-1, 3)
    rays = cam @ R
    n = len(rays)
    best = np.full(n, np.inf)
    colour = np.zeros((n, 3), np.float64)
    object_id = np.zeros(n, np.int32)

    def keep(hit_t: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        closer = candidates & (hit_t > 1e-6) & (hit_t < best)
        best[closer] = hit_t[closer]
        return closer

    x0, x1, z0, z1 = _FLOOR
    with np.errstate(divide="ignore", invalid="ignore"):
        # Floor, y = 0.
        t_floor = -centre[1] / rays[:, 1]
        p = centre + t_floor[:, None] * rays
        hit = keep(t_floor, (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 2] >= z0) & (p[:, 2] <= z1))
        colour[hit] = _sample(surfaces.floor, p[hit, 0] - x0, p[hit, 2] - z0) * 0.9
        # Back wall, z = _WALL_Z.
        t_wall = (_WALL_Z - centre[2]) / rays[:, 2]
        p = centre + t_wall[:, None] * rays
        hit = keep(t_wall, (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] <= 0) & (p[:, 1] >= -_WALL_HEIGHT))
        colour[hit] = _sample(surfaces.wall, p[hit, 0] - x0, p[hit, 1] + _WALL_HEIGHT)
        for k, box in enumerate(boxes):
            t_near, axis = _slab(centre, rays, box.low, box.high)
            hit = keep(t_near, np.isfinite(t_near))
            if not hit.any():
                continue
            object_id[hit] = k + 1
            p = centre + t_near[hit, None] * rays[hit]
            colour[hit] = _box_colour(surfaces.boxes[k], box, p, axis[hit])
    depth = np.where(np.isfinite(best), best, 0.0).reshape(height, width).astype(np.float32)
    image = np.clip(colour + 0.5, 0, 255).astype(np.uint8).reshape(height, width, 3)
    return image, depth, object_id.reshape(height, width)


def _slab(origin: np.ndarray, rays: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entry distance of each ray into the box (inf where it misses) and the axis of the face hit."""
    inv = 1.0 / rays
    t1, t2 = (low - origin) * inv, (high - origin) * inv
    near, far = np.minimum(t1, t2), np.maximum(t1, t2)
    axis = np.argmax(near, axis=1)
    t_near, t_far = near.max(axis=1), far.min(axis=1)
    t_near = np.where((t_near <= t_far) & (t_near > 0), t_near, np.inf)
    return t_near, axis


def _box_colour(texture: np.ndarray, box: Box, p: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Texture of the face each point lies on; faces are shaded differently so edges show."""
    low = box.low
    side = max(box.size)
    local = p - low
    out = np.zeros((len(p), 3))
    shade = (0.8, 1.0, 0.65)  # faces facing ±x, ±y (top), ±z
    for a, (ca, cb) in enumerate(((2, 1), (0, 2), (0, 1))):
        on = axis == a
        # Each face family samples its own third of the texture strip.
        out[on] = _sample(texture, local[on, ca] + a * side, local[on, cb]) * shade[a]
    return out


@node(
    "recon.synthetic_scene", title="Synthetic 3D scene", category="recon",
    params=[
        Param("n_views", 8, min=2, max=400, help="how many views to render, on an arc in front of the scene"),
        Param("width", 640, min=32, max=4096, help="image width in pixels"),
        Param("height", 480, min=32, max=4096, help="image height in pixels"),
        Param("arc_degrees", 60.0, min=0, max=120, help="angle the cameras' arc spans around the scene"),
        Param("seed", 0, min=0, help="random seed of the textures: the same seed renders the same scene"),
    ],
    outputs=[
        Output("frames", "FrameSeries", help="the rendered views, one RGB Image per view"),
        Output("cameras", "Cameras", help="the exact cameras (world-to-camera, OpenCV axes, metres)"),
        Output("depths", "FrameSeries", help="exact depth per view: Fields with layer 'depth' in metres (0 = nothing)"),
        Output("objects", "FrameSeries", help="per view, Instances of the three boxes; class id = box id in every view"),
    ],
)
def synthetic_scene(*, n_views: int, width: int, height: int, arc_degrees: float, seed: int) -> dict:
    """Render a textured test scene (floor, wall, three boxes) with exact cameras, depth and
    object masks, to check a reconstruction or multi-view segmentation graph.

    Example: ``{type: recon.synthetic_scene, params: {n_views: 8}}``
    """
    scene = render_scene(n_views, (width, height), seed, arc_degrees=arc_degrees)
    frames = FrameSeries.from_items(
        (i, float(i), Image(image, {"synthetic": True, "seed": seed, "name": scene.cameras.names[i]}))
        for i, image in enumerate(scene.images))
    depths = FrameSeries.from_items(
        (i, float(i), Field({"depth": depth}, meta={"units": "metres"})) for i, depth in enumerate(scene.depths))
    names = scene.object_names
    objects = FrameSeries.from_items(
        (i, float(i), Instances(np.stack([ids == k for k in names]), class_ids=np.array(list(names)),
                                labels=list(names.values()), classes=dict(names)))
        for i, ids in enumerate(scene.object_ids))
    return {"frames": frames, "cameras": scene.cameras, "depths": depths, "objects": objects}
