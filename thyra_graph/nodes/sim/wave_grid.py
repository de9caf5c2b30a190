"""The discretised wave problem: one description both solvers step.

The equation, for the surface height ``u`` (metres) on the image grid::

    u_tt + (2α + σ(x)) u_t = ∇·(c(x)² ∇u) + s(x, t)

with ``c`` the wave speed (√(g·h) in shallow water), ``α`` the damping rate (amplitudes fall as
``e^(−αt)``, energy as ``e^(−2αt)``), ``σ`` the absorbing sponge around the image and ``s`` the
sources. The scheme is the classic second-order leapfrog in time with the 5-point flux form in
space, damping centred in time::

    (1 + β) u⁺ = 2u − (1 − β) u⁻ + K u + Δt² s,      β = (2α + σ) Δt / 2

where ``K u = Σ_faces k_f (u_neighbour − u)`` and ``k_f = Δt² c_f² / Δx²`` on each cell face.

- Obstacles (rocks) are walls: every face touching an obstacle cell has ``k_f = 0`` (no flux,
  the reflecting condition ∂u/∂n = 0 for a vertical wall), and obstacle cells stay at 0.
- The outer boundary is the same wall; with ``sponge > 0`` the image is first padded by that
  many cells on each side in which σ grows quadratically, so waves leave the picture instead.
- Arrays are padded by one more ghost ring of zeros, so the update needs no branches.

``K`` is symmetric, so without damping the leapfrog conserves the discrete energy
``E = ΔxΔy/(2Δt²)·(‖u⁺−u‖² + Σ_f k_f (Δ_f u⁺)(Δ_f u))`` exactly (see :func:`energy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .wave_sources import WaveSource, rasterise, signals

GRAVITY = 9.81
#: Amplitude a normally incident wave keeps after crossing the sponge and coming back
#: (exp(−σ_max L / 3c) for the quadratic profile σ = σ_max (d/L)²). Chosen by measurement: a
#: stronger sponge reflects more off its own gradient; with this one a 24-cell sponge returns
#: under 0.5% of a pulse's energy (tests/nodes/sim/test_wave_physics.py).
SPONGE_ROUND_TRIP = 0.03


@dataclass
class WaveGrid:
    """Padded arrays and coefficients of one problem (see the module docstring)."""

    u: np.ndarray  # height now, padded (float64)
    u_prev: np.ndarray  # height one step earlier, padded
    kx: np.ndarray  # face (i, j)–(i, j+1) coefficient Δt² c² / Δx²
    ky: np.ndarray  # face (i, j)–(i+1, j) coefficient Δt² c² / Δy²
    beta_row: np.ndarray  # β contribution of each padded row (sponge)
    beta_col: np.ndarray  # β contribution of each padded column (sponge)
    beta0: float  # β of uniform damping
    dt: float
    dx: float
    dy: float
    pad: int  # sponge cells on each side (the ghost ring comes on top)
    shape: tuple[int, int]  # interior (image) rows, columns
    source_cells: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # flat padded index
    source_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Δt² s / (1 + β) per unit signal
    source_channels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # which signal
    sources: list[WaveSource] = field(default_factory=list)

    @property
    def padded_shape(self) -> tuple[int, int]:
        return self.u.shape

    @property
    def interior(self) -> tuple[slice, slice]:
        """Index of the image inside the padded arrays."""
        o = self.pad + 1
        return slice(o, o + self.shape[0]), slice(o, o + self.shape[1])

    @property
    def channel_count(self) -> int:
        return 2 * len(self.sources)

    def beta(self) -> np.ndarray:
        """β of every padded cell."""
        return self.beta0 + self.beta_row[:, None] + self.beta_col[None, :]

    def source_values(self, first_step: int, count: int) -> np.ndarray:
        """Signal of every channel at steps ``first_step … first_step + count − 1``: (count, channels)."""
        t = (first_step + np.arange(count)) * self.dt
        values = np.zeros((count, max(1, self.channel_count)))
        for k, source in enumerate(self.sources):
            values[:, 2 * k], values[:, 2 * k + 1] = signals(source, t)
        return values

    def cell_position(self, flat_index: int) -> tuple[int, int, bool]:
        """Image row and column of a padded cell, and whether it lies inside the image."""
        row, col = divmod(int(flat_index), self.u.shape[1])
        row, col = row - self.pad - 1, col - self.pad - 1
        return row, col, 0 <= row < self.shape[0] and 0 <= col < self.shape[1]


def stability_limit(speed: np.ndarray, obstacle: np.ndarray, dx: float, dy: float) -> float:
    """Largest stable time step (CFL): ``c_max Δt √(1/Δx² + 1/Δy²) ≤ 1``."""
    water = speed[~obstacle]
    c_max = float(water.max()) if water.size else 0.0
    if c_max <= 0:
        return math.inf
    return 1.0 / (c_max * math.sqrt(1.0 / dx ** 2 + 1.0 / dy ** 2))


def build_grid(height: np.ndarray, velocity: np.ndarray, speed: np.ndarray, obstacle: np.ndarray, *,
               dx: float, dy: float, dt: float, damping: float = 0.0, sponge: int = 0,
               sources: list[WaveSource] | None = None) -> WaveGrid:
    """Discretise a problem given on the image grid (all H×W; ``obstacle`` bool)."""
    sources = list(sources or [])
    rows, cols = height.shape
    obstacle = np.asarray(obstacle, dtype=bool)
    speed = np.where(obstacle, 0.0, np.asarray(speed, dtype=np.float64))
    pad = int(sponge)
    # The sponge continues the image's edges outward (depth and rocks alike).
    c_ext = np.pad(speed, pad, mode="edge") if pad else speed
    wall = np.pad(obstacle, pad, mode="edge") if pad else obstacle
    c_pad = np.pad(c_ext, 1)  # ghost ring: speed 0, i.e. a wall
    wall = np.pad(wall, 1, constant_values=True)
    c2 = c_pad ** 2
    kx = np.zeros_like(c2)
    ky = np.zeros_like(c2)
    open_x = ~(wall[:, :-1] | wall[:, 1:])
    open_y = ~(wall[:-1, :] | wall[1:, :])
    kx[:, :-1] = np.where(open_x, 0.5 * (c2[:, :-1] + c2[:, 1:]), 0.0) * (dt / dx) ** 2
    ky[:-1, :] = np.where(open_y, 0.5 * (c2[:-1, :] + c2[1:, :]), 0.0) * (dt / dy) ** 2

    beta_row = np.zeros(c_pad.shape[0])
    beta_col = np.zeros(c_pad.shape[1])
    if pad:
        edge = np.concatenate([speed[0], speed[-1], speed[:, 0], speed[:, -1]])
        c_edge = float(edge.max()) if edge.max() > 0 else float(speed.max())
        sigma_max = 3.0 * c_edge * math.log(1.0 / SPONGE_ROUND_TRIP) / (pad * min(dx, dy))
        beta_row[1:-1] = 0.5 * dt * sigma_max * _ramp(rows, pad) ** 2
        beta_col[1:-1] = 0.5 * dt * sigma_max * _ramp(cols, pad) ** 2
    beta0 = damping * dt

    grid = WaveGrid(np.zeros_like(c2), np.zeros_like(c2), kx, ky, beta_row, beta_col, beta0,
                    dt, dx, dy, pad, (rows, cols), sources=sources)
    inside = grid.interior
    water = ~obstacle
    grid.u[inside] = np.where(water, height, 0.0)
    v = np.zeros_like(c2)
    v[inside] = np.where(water, velocity, 0.0)
    # Second-order start: u(−Δt) = u − Δt v + ½Δt² u_tt, with u_tt = Lu − (2α+σ) v (sources are 0 at t=0).
    grid.u_prev[:] = grid.u - dt * (1.0 + grid.beta()) * v + 0.5 * apply_k(grid.u, kx, ky)
    _place_sources(grid, speed, obstacle)
    return grid


def _ramp(n: int, pad: int) -> np.ndarray:
    """Depth into the sponge (0 inside the image, → 1 at the outer edge) of the n + 2·pad cells."""
    index = np.arange(n + 2 * pad) + 0.5
    depth = np.maximum(pad - index, index - (pad + n))
    return np.clip(depth / pad, 0.0, 1.0)


def _place_sources(grid: WaveGrid, speed: np.ndarray, obstacle: np.ndarray) -> None:
    cells, weights, channels = [], [], []
    width = grid.u.shape[1]
    beta = grid.beta()
    pad = grid.pad
    speed_ext = np.pad(speed, pad, mode="edge") if pad else speed
    obstacle_ext = np.pad(obstacle, pad, mode="edge") if pad else obstacle
    for k, source in enumerate(grid.sources):
        placed = rasterise(source, k, speed=speed_ext, obstacle=obstacle_ext, dx=grid.dx, dy=grid.dy, pad=pad)
        flat = (placed.rows + 1) * width + placed.cols + 1
        scale = grid.dt ** 2 / (1.0 + beta.ravel()[flat])
        for channel, weight in ((2 * k, placed.sin_weight), (2 * k + 1, placed.cos_weight)):
            cells.append(flat)
            weights.append(weight * scale)
            channels.append(np.full(len(flat), channel))
    if cells:
        grid.source_cells = np.concatenate(cells).astype(np.int64)
        grid.source_weights = np.concatenate(weights)
        grid.source_channels = np.concatenate(channels).astype(np.int64)


def apply_k(u: np.ndarray, kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
    """``K u``: the flux-form Laplacian times Δt² (zero on the ghost ring)."""
    out = np.zeros_like(u)
    fx = kx[:, :-1] * (u[:, 1:] - u[:, :-1])  # flux through the face right of each cell
    fy = ky[:-1, :] * (u[1:, :] - u[:-1, :])
    out[:, :-1] += fx
    out[:, 1:] -= fx
    out[:-1, :] += fy
    out[1:, :] -= fy
    out[0, :] = out[-1, :] = out[:, 0] = out[:, -1] = 0.0
    return out


def velocity_of(grid: WaveGrid, u_prev: np.ndarray, u: np.ndarray, step: int) -> np.ndarray:
    """The scheme's centred velocity ``(u⁺ − u⁻)/(2Δt)`` at a state, padded (float64).

    Computed from ``u`` and ``u⁻`` alone by substituting the update for ``u⁺``; restarting
    from this velocity reproduces ``u⁻`` exactly (see :func:`build_grid`).
    """
    u = u.astype(np.float64)
    forcing = apply_k(u, grid.kx, grid.ky)
    if len(grid.source_cells):
        values = grid.source_values(step, 1)[0]
        # source_weights hold Δt² s / (1+β); the formula wants Δt² s
        np.add.at(forcing.ravel(), grid.source_cells,
                  grid.source_weights * values[grid.source_channels] * (1.0 + grid.beta().ravel()[grid.source_cells]))
    return ((u - u_prev) + 0.5 * forcing) / (grid.dt * (1.0 + grid.beta()))


def energy(grid: WaveGrid, u_prev: np.ndarray, u: np.ndarray, region: np.ndarray | None = None) -> float:
    """The scheme's conserved energy of the state (``u_prev`` one step before ``u``), in m⁴/s²
    per unit density; ``region`` (bool, padded shape) restricts it to some cells."""
    a = u_prev.astype(np.float64)
    b = u.astype(np.float64)
    kinetic = (b - a) ** 2
    potential = np.zeros_like(b)
    potential[:, :-1] += 0.5 * grid.kx[:, :-1] * (b[:, 1:] - b[:, :-1]) * (a[:, 1:] - a[:, :-1])
    potential[:, 1:] += 0.5 * grid.kx[:, :-1] * (b[:, 1:] - b[:, :-1]) * (a[:, 1:] - a[:, :-1])
    potential[:-1, :] += 0.5 * grid.ky[:-1, :] * (b[1:, :] - b[:-1, :]) * (a[1:, :] - a[:-1, :])
    potential[1:, :] += 0.5 * grid.ky[:-1, :] * (b[1:, :] - b[:-1, :]) * (a[1:, :] - a[:-1, :])
    density = kinetic + potential
    if region is not None:
        density = density[region]
    return float(density.sum() * grid.dx * grid.dy / (2.0 * grid.dt ** 2))
