"""sim.wave_init: an image becomes a wave solver's initial state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.sim.wave_init import wave_init
from thyra_graph.types import Field, Image, Mask

ROWS, COLS = 120, 160  # pixels; with width_m 80 and grid_width 160 a cell is 0.5 m


def photo(values: np.ndarray) -> Image:
    """A grey picture of ``values`` (0–1) as RGB uint8."""
    grey = np.clip(values * 255, 0, 255).astype(np.uint8)
    return Image(np.repeat(grey[..., None], 3, axis=2))


def swell(wavelength_m: float = 10.0, angle: float = 0.0, phase: float = 0.0) -> np.ndarray:
    """cos of a plane wave across the picture (metres at 0.5 m per pixel)."""
    y, x = (np.mgrid[0:ROWS, 0:COLS] + 0.5) * 0.5
    k = 2 * math.pi / wavelength_m
    return np.cos(k * (x * math.cos(math.radians(angle)) + y * math.sin(math.radians(angle))) + phase)


def init(image: Image, mask: Mask | None = None, depth: Field | None = None, next_image: Image | None = None,
         **params) -> Field:
    values = dict(width_m=80.0, grid_width=160, amplitude=0.5, min_wavelength=2.0, max_wavelength=40.0,
                  velocity_from="zero")
    values.update(params)
    return wave_init(image, mask, depth, next_image, ctx=Context.standalone("sim.wave_init"), **values)


def core(a: np.ndarray, margin: int = 20) -> np.ndarray:
    """Away from the edges, where mirror padding bends the filters a little."""
    return a[margin:-margin, margin:-margin]


def test_bright_crests_become_heights_scaled_to_the_amplitude_and_lighting_is_removed():
    lighting = np.linspace(0.2, 0.6, COLS)[None, :]  # a brightness gradient across the photo
    state = init(photo(lighting + 0.2 * swell()))
    height = state["height"]
    assert state.names == ["height", "velocity", "depth", "speed", "obstacle"]
    assert height.shape == (ROWS, COLS) and state.dx == state.dy == 0.5
    assert np.corrcoef(core(height).ravel(), core(swell()).ravel())[0, 1] > 0.98
    assert np.percentile(np.abs(height), 99) == pytest.approx(0.5, rel=0.02)
    assert abs(core(height).mean()) < 0.02, "the lighting gradient leaked into the height"


def test_texture_shorter_than_min_wavelength_is_filtered_out():
    state = init(photo(0.5 + 0.2 * swell(10.0) + 0.2 * swell(1.0, angle=30)))
    assert np.corrcoef(core(state["height"]).ravel(), core(swell(10.0)).ravel())[0, 1] > 0.97


def test_height_from_shading_integrates_slopes_toward_the_light():
    surface = swell(12.0, angle=20)
    gy, gx = np.gradient(surface, 0.5)
    light = math.radians(0.0)  # light from the right
    brightness = 0.5 - 0.5 * (gx * math.cos(light) + gy * math.sin(light))
    state = init(photo(brightness), height_from="shading", light_azimuth=0.0)
    assert np.corrcoef(core(state["height"]).ravel(), core(surface).ravel())[0, 1] > 0.95


def test_the_grid_follows_grid_width_and_keeps_the_aspect_ratio():
    state = init(photo(0.5 + 0.2 * swell()), grid_width=80, width_m=120.0)
    assert state.shape == (60, 80)
    assert state.dx == state.dy == pytest.approx(1.5)


def test_obstacles_from_the_mask_hold_no_water():
    rock = np.zeros((ROWS, COLS), bool)
    rock[40:70, 50:90] = True
    state = init(photo(0.5 + 0.2 * swell()), Mask(rock), velocity_from="direction")
    wall = state["obstacle"] > 0.5
    np.testing.assert_array_equal(wall, rock)
    assert np.all(state["height"][wall] == 0) and np.all(state["velocity"][wall] == 0)
    assert np.all(state["speed"][wall] == 0)


def test_a_mask_of_another_size_is_refused():
    with pytest.raises(NodeError, match="mask is 10×10 but the image is 160×120"):
        init(photo(np.full((ROWS, COLS), 0.5)), Mask(np.zeros((10, 10), bool)))


def test_speed_is_shallow_water_speed_from_depth_and_dry_land_is_a_wall():
    depth = np.full((ROWS, COLS), 4.0)
    depth[:, :10] = 0.0  # a beach
    state = init(photo(np.full((ROWS, COLS), 0.5)), depth=Field({"depth": depth}, 0.5, 0.5))
    assert state["speed"][60, 80] == pytest.approx(math.sqrt(9.81 * 4.0), rel=1e-5)
    assert np.all(state["obstacle"][:, :10] == 1)


def test_dispersive_speed_in_deep_water_follows_the_wavelength_not_the_depth():
    state = init(photo(np.full((ROWS, COLS), 0.5)), depth_m=500.0, speed_model="dispersive", wavelength=20.0)
    assert state["speed"][0, 0] == pytest.approx(math.sqrt(9.81 * 20.0 / (2 * math.pi)), rel=1e-4)


@pytest.mark.parametrize("direction", [0.0, 30.0, 135.0])
def test_direction_velocity_makes_the_waves_travel_that_way(direction):
    # For a plane wave moving along its own direction s, u_t = −c ∂u/∂s.
    image = photo(0.5 + 0.2 * swell(10.0, angle=direction))
    state = init(image, velocity_from="direction", direction=direction, depth_m=2.0)
    c = math.sqrt(9.81 * 2.0)
    gy, gx = np.gradient(state["height"].astype(float), state.dy, state.dx)
    a = math.radians(direction)
    expected = -c * (math.cos(a) * gx + math.sin(a) * gy)
    scale = np.abs(expected).max()
    assert np.abs(core(state["velocity"] - expected, 40)).max() < 0.05 * scale
    assert np.abs(state["velocity"] - expected).max() < 0.25 * scale, "the edges are far off"
    opposite = init(image, velocity_from="direction", direction=direction + 180.0, depth_m=2.0)
    np.testing.assert_allclose(opposite["velocity"], -state["velocity"], atol=1e-3 * scale)


def test_velocity_from_two_frames_is_their_difference_over_the_interval():
    first, second = photo(0.5 + 0.2 * swell(10.0)), photo(0.5 + 0.2 * swell(10.0, phase=-0.3))
    state = init(first, next_image=second, velocity_from="next_frame", frame_interval=0.1)
    later = init(second)  # scaled on its own: equal to the first's scale up to a per cent or so
    expected = (later["height"] - state["height"]) / 0.1
    assert np.corrcoef(core(state["velocity"]).ravel(), core(expected).ravel())[0, 1] > 0.99
    assert np.abs(core(state["velocity"])).max() == pytest.approx(np.abs(core(expected)).max(), rel=0.05)


def test_velocity_from_the_next_frame_needs_that_frame():
    with pytest.raises(NodeError, match="no next_image is connected"):
        init(photo(np.full((ROWS, COLS), 0.5)), velocity_from="next_frame")


def test_a_flat_image_gives_a_flat_surface_and_a_warning():
    ctx = Context.standalone("sim.wave_init")
    state = wave_init(photo(np.full((ROWS, COLS), 0.5)), None, None, None, ctx=ctx, width_m=80.0)
    assert np.all(state["height"] == 0)
    assert any("flat" in w for w in ctx.warnings)


def test_min_wavelength_must_be_below_max_wavelength():
    with pytest.raises(NodeError, match="must be below max_wavelength"):
        init(photo(np.full((ROWS, COLS), 0.5)), min_wavelength=50.0, max_wavelength=40.0)


def test_waves_too_short_for_the_grid_are_filtered_out_with_a_warning():
    ctx = Context.standalone("sim.wave_init")
    fine = 0.5 + 0.2 * swell(3.0)  # 3 m waves on a 2 m grid: under 4 cells per wavelength
    state = wave_init(photo(fine), None, None, None, ctx=ctx, width_m=80.0, grid_width=40, min_wavelength=1.0,
                      max_wavelength=40.0)
    assert any("shorter than four grid cells" in w for w in ctx.warnings)
    assert state.meta["min_wavelength"] == 8.0  # four 2 m cells
