"""The ``sim.wave_init`` node: a wave solver's initial state from a photo of water."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Field, Image, Mask

from .surface_from_image import band_pass, height_from_shading, luminance, one_way_velocity, resize, wave_speed
from .wave_grid import GRAVITY

HEIGHT_SOURCES = ("intensity", "shading")
VELOCITY_SOURCES = ("zero", "direction", "next_frame")
SPEED_MODELS = ("shallow", "dispersive")


@node(
    "sim.wave_init", title="Wave initial state", category="sim",
    inputs=[
        Input("image", Image, help="a top-down view of the water (photo, video frame)"),
        Input("mask", Mask, required=False, help="obstacles: rocks, piers, land (e.g. from image.threshold or SAM 2)"),
        Input("depth", Field, required=False, help="water depth in metres (layer 'depth' or the only layer); else the depth param"),
        Input("next_image", Image, required=False, help="the frame after 'image', for velocity_from: next_frame"),
    ],
    params=[
        Param("width_m", 100.0, min=0.01, max=1e6, help="how many metres the image spans from left to right"),
        Param("grid_width", 256, min=0, max=32768, help="cells across the simulation grid (0 = one per pixel); rows follow the aspect"),
        Param("height_from", "intensity", choices=HEIGHT_SOURCES,
              help="intensity: bright = crest; shading: brightness is slope toward the light, integrated to height"),
        Param("light_azimuth", 270.0, min=0.0, max=360.0, when={"height_from": "shading"}, help="shading: direction toward the light, degrees (0 right, 90 down, 270 up the image)"),
        Param("amplitude", 0.5, min=0.0, max=100.0, help="crest height in metres the strongest waves get"),
        Param("min_wavelength", 2.0, min=1e-4, max=1e6,
              help="shorter undulations (texture, noise) are filtered out, metres (at least 4 grid cells)"),
        Param("max_wavelength", 40.0, min=1e-4, max=1e6, help="longer brightness changes (lighting, haze) are filtered out, metres"),
        Param("depth_m", 8.0, min=0.0, max=12000.0, help="water depth in metres where no depth input is connected"),
        Param("speed_model", "shallow", choices=SPEED_MODELS,
              help="shallow: speed √(g·depth); dispersive: linear dispersion at 'wavelength' (deep water)"),
        Param("wavelength", 10.0, min=1e-3, max=1e5, when={"speed_model": "dispersive"}, help="dispersive: the wavelength in metres whose speed is used"),
        Param("velocity_from", "direction", choices=VELOCITY_SOURCES,
              help="zero: waves split and spread both ways; direction: they travel toward 'direction'; next_frame: from two frames"),
        Param("direction", 90.0, min=0.0, max=360.0, when={"velocity_from": "direction"}, help="velocity_from direction: where the waves travel, degrees (0 right, 90 down the image)"),
        Param("frame_interval", 0.04, min=1e-5, max=100.0, when={"velocity_from": "next_frame"}, help="next_frame: seconds between image and next_image"),
    ],
    outputs=[Output("state", Field, help="layers height, velocity (m, m/s), depth (m), speed (m/s), obstacle (1 = wall); dx, dy in metres")],
)
def wave_init(image: Image, mask: Mask | None, depth: Field | None, next_image: Image | None, *, width_m: float,
              grid_width: int, height_from: str, light_azimuth: float, amplitude: float, min_wavelength: float,
              max_wavelength: float, depth_m: float, speed_model: str, wavelength: float, velocity_from: str,
              direction: float, frame_interval: float, ctx) -> Field:
    """Build a wave solver's initial state from an image: height, velocity, depth, rocks.

    The image is read as a top-down view of the water. Its brightness, band-passed to the
    wavelengths of waves, becomes the surface height (scaled so the strongest crests reach
    ``amplitude``); the mask marks obstacles; the depth gives the wave speed. The initial
    velocity makes the waves move on in ``direction``, comes from a second frame, or is zero.

    Example: ``{type: sim.wave_init, inputs: {image: photo.image, mask: rocks.mask},
    params: {width_m: 120, amplitude: 0.4, direction: 80}}``
    """
    if min_wavelength >= max_wavelength:
        raise NodeError(f"min_wavelength ({min_wavelength:g} m) must be below max_wavelength ({max_wavelength:g} m): "
                        "they bound the band of wave lengths kept from the image")
    rows_img, cols_img = image.data.shape[:2]
    cols = grid_width or cols_img
    rows = max(1, int(round(cols * rows_img / cols_img)))
    if min(rows, cols) < 4:
        raise NodeError(f"the grid would be {cols}×{rows} cells: too small to simulate; raise grid_width")
    dx = width_m / cols
    dy = dx * (rows_img / rows) / (cols_img / cols)  # square pixels stay square
    shortest = 4 * max(dx, dy)
    if min_wavelength < shortest:
        # Shorter waves are barely resolved: the scheme slows them down (numerical dispersion)
        # and they would linger on the grid as speckle instead of travelling.
        ctx.warn(f"min_wavelength {min_wavelength:g} m is shorter than four grid cells ({shortest:.3g} m); "
                 f"waves shorter than {shortest:.3g} m are filtered out (raise grid_width to keep them)")
        min_wavelength = shortest
        if min_wavelength >= max_wavelength:
            raise NodeError(f"the grid is too coarse for max_wavelength {max_wavelength:g} m: four cells are "
                            f"{shortest:.3g} m; raise grid_width or max_wavelength")

    obstacle = _obstacles(mask, (rows_img, cols_img), (rows, cols))
    water_depth = _depth(depth, (rows, cols), depth_m)
    obstacle |= water_depth <= 0
    speed = np.where(obstacle, 0.0, wave_speed(water_depth, model=speed_model, wavelength=wavelength, gravity=GRAVITY))

    band = dict(dx=dx, dy=dy, min_wavelength=min_wavelength, max_wavelength=max_wavelength)

    def surface(picture: Image) -> np.ndarray:
        brightness = resize(luminance(picture.data), (rows, cols))
        # Obstacles are not water: their brightness would ring through the filter.
        water = brightness[~obstacle]
        brightness = np.where(obstacle, water.mean() if water.size else 0.0, brightness)
        if height_from == "shading":
            brightness = height_from_shading(brightness, dx=dx, dy=dy, light_azimuth=light_azimuth,
                                             max_wavelength=max_wavelength)
        return band_pass(brightness, **band)

    raw = surface(image)
    scale = _crest_scale(raw, obstacle)
    if scale == 0:
        ctx.warn("the image shows no undulation between min_wavelength and max_wavelength: the initial surface is flat")
    height = np.where(obstacle, 0.0, raw * (amplitude / scale if scale else 0.0))

    if velocity_from == "next_frame":
        if next_image is None:
            raise NodeError("velocity_from is 'next_frame' but no next_image is connected: connect the frame "
                            "that follows 'image', or choose velocity_from 'direction' or 'zero'")
        following = np.where(obstacle, 0.0, surface(next_image) * (amplitude / scale if scale else 0.0))
        velocity = (following - height) / frame_interval
    elif velocity_from == "direction":
        # Taper over half the longest wavelength kept, at most a sixth of the image.
        margin = int(np.clip(round(0.5 * max_wavelength / max(dx, dy)), 4, max(4, min(rows, cols) // 6)))
        velocity = one_way_velocity(height, speed, dx=dx, dy=dy, direction=direction, margin=margin)
    else:
        velocity = np.zeros_like(height)
    velocity = np.where(obstacle, 0.0, velocity)

    layers = {"height": height, "velocity": velocity, "depth": water_depth, "speed": speed,
              "obstacle": obstacle.astype(np.float64)}
    meta = {"source": "sim.wave_init", "image_size": [cols_img, rows_img], "width_m": width_m,
            "height_from": height_from, "amplitude": amplitude, "min_wavelength": min_wavelength,
            "max_wavelength": max_wavelength, "speed_model": speed_model,
            "velocity_from": velocity_from, "direction": direction if velocity_from == "direction" else None,
            "g": GRAVITY, **({"image": image.meta} if image.meta else {})}
    return Field({k: v.astype(np.float32) for k, v in layers.items()}, dx, dy, 0.0, meta)


def _obstacles(mask: Mask | None, image_shape: tuple[int, int], grid: tuple[int, int]) -> np.ndarray:
    if mask is None:
        return np.zeros(grid, bool)
    data = np.asarray(mask.data)
    if data.shape != image_shape:
        raise NodeError(f"the obstacle mask is {data.shape[1]}×{data.shape[0]} but the image is "
                        f"{image_shape[1]}×{image_shape[0]}: make the mask from the same image (or resize it)")
    # Area fraction: a cell is a wall when most of it is rock.
    return resize(data.astype(np.float32), grid) > 0.5


def _depth(depth: Field | None, grid: tuple[int, int], depth_m: float) -> np.ndarray:
    if depth is None:
        return np.full(grid, float(depth_m))
    name = "depth" if "depth" in depth.layers else (depth.names[0] if len(depth.names) == 1 else None)
    if name is None:
        raise NodeError(f"the depth input has layers {', '.join(depth.names)} but none is called 'depth': "
                        "name the depth layer 'depth' (metres)")
    values = np.asarray(depth[name], dtype=np.float64)
    if not np.isfinite(values).all():
        raise NodeError("the depth input holds NaN or infinite values: fill them (land = 0 or negative)")
    return resize(values, grid)


def _crest_scale(raw: np.ndarray, obstacle: np.ndarray) -> float:
    """The height the strongest crests have (99th percentile of |h| over water), robust to specks."""
    water = np.abs(raw[~obstacle])
    if water.size == 0:
        return 0.0
    scale = float(np.percentile(water, 99.0))
    return scale if scale > 1e-12 else 0.0
