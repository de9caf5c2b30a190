"""Temporal blocking (several steps per pass, tile by tile in cache) steps like the single-step path."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.sim.wave_solver import BLOCK_SHAPES, TaichiWaveSolver

from .conftest import cell_centres, uniform_grid

pytestmark = pytest.mark.usefixtures("taichi")


def scene(rows: int, cols: int):
    x, y = cell_centres(rows, cols)
    height = np.exp(-((x - 0.3 * cols) ** 2 + (y - 0.6 * rows) ** 2) / 20.0)
    rock = (x - 0.6 * cols) ** 2 + (y - 0.4 * rows) ** 2 < (0.1 * rows) ** 2
    sources = [{"type": "swell", "direction": 30, "amplitude": 0.2, "period": 6.0},
               {"type": "point", "x": 0.5 * cols, "y": 0.5 * rows, "amplitude": 0.1, "period": 3.0}]
    return uniform_grid(height, obstacle=rock, sponge=8, damping=0.02, sources=sources)


_, ROWS, COLS = BLOCK_SHAPES[0]  # the largest tile: several of them in both directions below


def test_solvers_work_from_any_thread_because_taichi_calls_run_on_its_own_thread():
    """Executor and editor runs use worker threads that come and go; Taichi must not notice."""
    import threading

    found = {}

    def solve():
        solver = TaichiWaveSolver(scene(60, 50), device="cpu")
        solver.advance(20)
        found["finite"] = solver.first_nonfinite() is None
        found["shape"] = solver.height().shape

    for _ in range(2):  # two different short-lived threads, as two editor runs would be
        worker = threading.Thread(target=solve)
        worker.start()
        worker.join()
        assert found.pop("finite") and found.pop("shape") == (60, 50)


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(60, 50), (8 * ROWS + 5, 2 * COLS + 7)],
                         ids=["one tile", "many tiles"])
def test_blocked_steps_equal_single_steps_with_rocks_sponge_damping_and_sources(precision, shape):
    grid = scene(*shape)
    blocked = TaichiWaveSolver(grid, precision=precision, device="cpu", temporal_blocking=True)
    single = TaichiWaveSolver(grid, precision=precision, device="cpu", temporal_blocking=False)
    assert blocked.uses_temporal_blocking and not single.uses_temporal_blocking
    for n in (37, 3, 24):  # 37 = 16 + 16 + five single steps; 3 single steps; 24 = 16 + 8
        blocked.advance(n)
        single.advance(n)
    tolerance = 1e-12 if precision == "float64" else 1e-5
    for mine, theirs in zip(blocked.state(), single.state()):
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=tolerance * scale)
    assert blocked.first_nonfinite() is None
