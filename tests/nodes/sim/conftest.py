"""Shared pieces for the wave tests: small uniform problems and the solvers to run them."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from thyra_graph.nodes.sim.wave_grid import WaveGrid, build_grid, stability_limit
from thyra_graph.nodes.sim.wave_sources import parse_sources


def uniform_grid(height0: np.ndarray, *, speed: float = 1.0, dx: float = 1.0, courant: float = 0.7,
                 obstacle: np.ndarray | None = None, sponge: int = 0, damping: float = 0.0,
                 sources: list | None = None, velocity0: np.ndarray | None = None,
                 dt: float | None = None) -> WaveGrid:
    """A grid over ``height0``'s shape with one wave speed everywhere (square cells)."""
    shape = height0.shape
    obstacle = np.zeros(shape, bool) if obstacle is None else obstacle
    speeds = np.full(shape, speed)
    if dt is None:
        dt = courant * stability_limit(speeds, obstacle, dx, dx)
    return build_grid(height0, np.zeros(shape) if velocity0 is None else velocity0, speeds, obstacle,
                      dx=dx, dy=dx, dt=dt, damping=damping, sponge=sponge, sources=parse_sources(sources or []))


def cell_centres(rows: int, cols: int, dx: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """x and y (metres) of every cell centre, as two rows×cols arrays."""
    y, x = np.mgrid[0:rows, 0:cols]
    return (x + 0.5) * dx, (y + 0.5) * dx


def mean_intensity(solver, periods: float, period: float) -> np.ndarray:
    """Time-averaged squared height over ``periods`` periods (advancing the solver)."""
    steps = max(1, int(round(periods * period / solver.grid.dt)))
    total = np.zeros(solver.grid.shape)
    for _ in range(steps):
        solver.advance(1)
        total += solver.height() ** 2
    return total / steps


@pytest.fixture(scope="session")
def taichi():
    """Taichi (skipping the test where it is not installed)."""
    os.environ.setdefault("ENABLE_TAICHI_HEADER_PRINT", "False")  # no banner in the test output
    return pytest.importorskip("taichi")


def steps_for(seconds: float, grid: WaveGrid) -> int:
    return int(math.ceil(seconds / grid.dt))
