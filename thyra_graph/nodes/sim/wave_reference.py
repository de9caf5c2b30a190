"""The float64 NumPy reference of the wave scheme (see :mod:`.wave_grid`).

Written for clarity, vectorised over the grid: it is what the Taichi solver is checked
against in the tests and what the benchmark compares the Taichi kernel with. Same interface as
:class:`~thyra_graph.nodes.sim.wave_solver.TaichiWaveSolver`.
"""

from __future__ import annotations

import numpy as np

from .wave_grid import WaveGrid, velocity_of


def leapfrog_step(u: np.ndarray, u_prev: np.ndarray, kx: np.ndarray, ky: np.ndarray,
                  beta: np.ndarray | float) -> np.ndarray:
    """One step of the scheme on padded arrays: returns ``u⁺`` (ghost ring stays 0)."""
    c = u[1:-1, 1:-1]
    lap = (kx[1:-1, 1:-1] * (u[1:-1, 2:] - c) - kx[1:-1, :-2] * (c - u[1:-1, :-2])
           + ky[1:-1, 1:-1] * (u[2:, 1:-1] - c) - ky[:-2, 1:-1] * (c - u[:-2, 1:-1]))
    b = beta[1:-1, 1:-1] if isinstance(beta, np.ndarray) else beta
    new = np.zeros_like(u)
    new[1:-1, 1:-1] = (2.0 * c - (1.0 - b) * u_prev[1:-1, 1:-1] + lap) / (1.0 + b)
    return new


class ReferenceWaveSolver:
    """Steps a :class:`WaveGrid` in float64 NumPy."""

    def __init__(self, grid: WaveGrid, dtype=np.float64) -> None:
        self.grid = grid
        self.dtype = np.dtype(dtype)
        self.u = grid.u.astype(self.dtype)
        self.u_prev = grid.u_prev.astype(self.dtype)
        self.kx = grid.kx.astype(self.dtype)
        self.ky = grid.ky.astype(self.dtype)
        self.beta = grid.beta().astype(self.dtype)
        self.step_count = 0

    @property
    def time(self) -> float:
        return self.step_count * self.grid.dt

    def advance(self, steps: int) -> None:
        grid = self.grid
        flat_cells = grid.source_cells
        for _ in range(steps):
            new = leapfrog_step(self.u, self.u_prev, self.kx, self.ky, self.beta)
            if len(flat_cells):
                values = grid.source_values(self.step_count, 1)[0]
                np.add.at(new.ravel(), flat_cells, (grid.source_weights * values[grid.source_channels]).astype(self.dtype))
            self.u_prev, self.u = self.u, new
            self.step_count += 1

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """``(u_prev, u)``, padded, as float64 copies."""
        return self.u_prev.astype(np.float64), self.u.astype(np.float64)

    def height(self) -> np.ndarray:
        return self.u[self.grid.interior].astype(np.float64)

    def velocity(self) -> np.ndarray:
        u_prev, u = self.state()
        return velocity_of(self.grid, u_prev, u, self.step_count)[self.grid.interior]
