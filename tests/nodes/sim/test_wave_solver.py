"""The Taichi solver's mechanics: kernel batching, NaN detection, velocity, one runtime."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.sim.taichi_runtime import taichi_runtime
from thyra_graph.nodes.sim.wave_reference import ReferenceWaveSolver
from thyra_graph.nodes.sim.wave_solver import TaichiWaveSolver

from .conftest import cell_centres, uniform_grid

pytestmark = pytest.mark.usefixtures("taichi")


def bump(rows: int = 30, cols: int = 40) -> np.ndarray:
    x, y = cell_centres(rows, cols)
    return np.exp(-((x - 15) ** 2 + (y - 12) ** 2) / 8.0)


@pytest.mark.parametrize("batches", [[13], [1] * 13, [8, 5], [5, 1, 7]])
def test_advancing_in_any_batches_gives_the_same_state(batches):
    source = [{"type": "point", "x": 30.0, "y": 20.0, "amplitude": 0.1, "period": 4.0}]
    grid = uniform_grid(bump(), sponge=6, damping=0.05, sources=source)
    whole = TaichiWaveSolver(grid, precision="float64", device="cpu")
    whole.advance(13)
    split = TaichiWaveSolver(grid, precision="float64", device="cpu")
    for n in batches:
        split.advance(n)
    assert split.step_count == 13
    np.testing.assert_allclose(split.state()[1], whole.state()[1], rtol=0, atol=1e-14)
    np.testing.assert_allclose(split.state()[0], whole.state()[0], rtol=0, atol=1e-14)


def test_an_unstable_step_blows_up_and_the_first_bad_cell_is_found():
    grid = uniform_grid(bump(), courant=1.5)  # 1.5 × the CFL limit: grows exponentially
    solver = TaichiWaveSolver(grid, device="cpu")
    assert solver.first_nonfinite() is None
    for _ in range(200):
        solver.advance(8)
        bad = solver.first_nonfinite()
        if bad is not None:
            break
    assert bad is not None, "an unstable scheme should overflow within 1600 steps"
    u = solver.state()[1].ravel()
    assert not np.isfinite(u[bad]) and np.isfinite(u[:bad]).all()


def test_velocity_is_the_schemes_centred_difference():
    grid = uniform_grid(bump())
    solver = ReferenceWaveSolver(grid)
    solver.advance(10)
    before = solver.u_prev.copy()
    velocity = solver.velocity()
    solver.advance(1)
    centred = (solver.u - before) / (2 * grid.dt)
    np.testing.assert_allclose(velocity, centred[grid.interior], atol=1e-12)


def test_taichi_is_started_once_and_a_later_different_device_request_is_answered_with_a_note():
    first, _ = taichi_runtime("cpu")
    again, note = taichi_runtime("auto")
    assert again is first and note is None
    _, note = taichi_runtime("gpu")
    assert (note is None) == first.on_gpu


@pytest.mark.parametrize("per_cell", [True, False], ids=["gpu-style threads", "cpu-style rows"])
def test_both_thread_layouts_step_like_the_reference(per_cell):
    # The GPU layout (one thread per cell) is exercised here on the CPU, since no GPU may be at hand.
    source = [{"type": "swell", "direction": 50, "amplitude": 0.2, "period": 6.0},
              {"type": "point", "x": 12.0, "y": 9.0, "amplitude": 0.1, "period": 3.0}]
    rock = np.zeros((30, 40), bool)
    rock[10:14, 20:26] = True
    grid = uniform_grid(bump(), obstacle=rock, sponge=8, damping=0.02, sources=source)
    solver = TaichiWaveSolver(grid, precision="float64", device="cpu", per_cell_threads=per_cell)
    reference = ReferenceWaveSolver(grid)
    solver.advance(37)
    reference.advance(37)
    np.testing.assert_allclose(solver.state()[1], reference.state()[1], rtol=0, atol=1e-13)
