"""The Taichi wave solver: the scheme of :mod:`.wave_grid` as Taichi kernels, CPU or GPU.

Design choices, all for speed on a memory-bound stencil:

- The grid is stored strip-folded (:mod:`.strip_layout`): 8 (float32) or 4 (float64) strips
  of rows side by side in the lanes of ``ti.Vector`` elements, so the update runs in SIMD
  registers (Taichi does not vectorise scalar loops itself; the scalar version of this kernel
  ran at about a third of the speed).
- Arrays are Taichi ndarrays (device memory on a GPU), not fields, so one compiled kernel
  serves every grid size and every solve in the process (fields would recompile per solve).
- The update overwrites ``u⁻`` with ``u⁺`` in place (each cell's new value needs only its own
  old value of ``u⁻``), so two state arrays suffice; buffers swap roles each step.
- One kernel launch advances 8 steps (statically unrolled; each unrolled step is its own
  parallel loop, so steps see each other's results), because a launch costs tens of
  microseconds, as much as a whole step of a small grid.
- The sponge enters as per-row and per-column β (cached 1-D arrays) instead of a per-cell
  array, saving one stream of memory traffic; rows outside it need no division.
- On a CPU, runs of 16 or 8 steps are temporally blocked (:mod:`.wave_blocked`): each pass
  over memory advances a cache-sized tile that many steps, about 1.5–1.8× the single-step
  kernel's speed here; the single-step kernel below serves GPUs and the remainders.
- On a CPU each task sweeps a folded row (caches stay warm, a row's sources are added by the
  task that updated it); on a GPU every folded cell gets its own thread.

Per cell and step the kernel moves 5 numbers (reads u, u⁻, kx, ky; writes u⁺): 20 bytes in
float32, 40 in float64; the benchmark (benchmarks/wave_speed.py) relates its speed to that.
"""

# No `from __future__ import annotations` here: Taichi reads kernel annotations as objects.

import os
import threading
from typing import Any

import numpy as np

from .strip_layout import fold, fold_rows, locate, strip_rows, unfold
from .taichi_runtime import TAICHI_LOCK, TaichiRuntime, taichi_runtime, taichi_thread
from .wave_grid import WaveGrid, velocity_of

UNROLL = 8
# Temporal blocking, tried in this order: steps per pass (also the halo width) and the tile in
# folded rows × columns, sized so a worker's four scratch arrays stay in its L2 cache. 16 steps
# a pass measured ~1.8× the single-step kernel, 8 steps ~1.5× (2-core CPU, 1024² and 2048²); the
# 8-step blocks catch runs shorter than 16 (snapshot spacings).
BLOCK_SHAPES = ((16, 48, 128), (8, 24, 192))
BLOCK_STEPS = min(shape[0] for shape in BLOCK_SHAPES)  # the fewest steps a blocked pass takes
PRECISIONS = ("float32", "float64")
LANES = {"float32": 8, "float64": 4}  # one AVX register
_KERNELS: dict[tuple[str, int], Any] = {}
_CHECKS: dict[str, Any] = {}


def _step_kernel(ti: Any, precision: str, steps: int, per_cell: bool) -> Any:
    """A kernel advancing ``steps`` steps (an even count keeps the buffers' roles).

    ``per_cell``: one thread per folded cell (GPUs, which need many thousands of threads) rather
    than one task per folded row sweeping along it (CPUs, where rows keep caches warm).
    """
    key = (precision, steps, per_cell)
    if key in _KERNELS:
        return _KERNELS[key]
    real = ti.f32 if precision == "float32" else ti.f64
    lanes = LANES[precision]
    vec = ti.types.vector(lanes, real)
    field2 = ti.types.ndarray(dtype=vec, ndim=2)
    per_row = ti.types.ndarray(dtype=vec, ndim=1)
    scalars = ti.types.ndarray(dtype=real, ndim=1)
    index = ti.types.ndarray(dtype=ti.i32, ndim=1)

    # The coefficient and source arrays travel together through every function: ``k`` is the
    # tuple (kx, ky, brow, sponge_row, bcol, keep_col, scale_col), ``q`` the tuple
    # (row_start, src_rows, src_cols, src_lane, weights, channels, values), both unpacked at
    # compile time.
    @ti.func
    def lap_of(a: ti.template(), s: ti.i32, j: ti.i32, kx: ti.template(), ky: ti.template()):
        here = a[s, j]
        return (kx[s, j] * (a[s, j + 1] - here) - kx[s, j - 1] * (here - a[s, j - 1])
                + ky[s, j] * (a[s + 1, j] - here) - ky[s - 1, j] * (here - a[s - 1, j]))

    @ti.func
    def row_update(a: ti.template(), b: ti.template(), s: ti.i32, k: ti.template(), q: ti.template(),
                   beta0: real, offset: ti.i32):
        """Row ``s`` of ``b`` one step on: from rows s−1…s+1 of ``a`` (now) and ``b`` (before)."""
        kx, ky, brow, sponge_row, bcol, keep_col, scale_col = ti.static(*k)
        cols = a.shape[1]
        if sponge_row[s] == 0:
            # No lane of this row is in the top or bottom sponge: β depends on the column
            # only, and its factors are precomputed (no division per cell).
            for j in range(1, cols - 1):
                b[s, j] = (2.0 * a[s, j] - keep_col[j] * b[s, j] + lap_of(a, s, j, kx, ky)) * scale_col[j]
        else:
            beta_s = brow[s] + beta0
            for j in range(1, cols - 1):
                beta = beta_s + bcol[j]
                b[s, j] = (2.0 * a[s, j] - (1.0 - beta) * b[s, j] + lap_of(a, s, j, kx, ky)) / (1.0 + beta)
        row_start, src_rows, src_cols, src_lane, weights, channels, values = ti.static(*q)
        for e in range(row_start[s], row_start[s + 1]):  # this row's sources (usually none)
            b[s, src_cols[e]][src_lane[e]] += weights[e] * values[offset + channels[e]]

    @ti.func
    def cell_update(a: ti.template(), b: ti.template(), s: ti.i32, j: ti.i32, k: ti.template(), beta0: real):
        kx, ky, brow, sponge_row, bcol, keep_col, scale_col = ti.static(*k)
        beta = brow[s] + beta0 + bcol[j]
        b[s, j] = (2.0 * a[s, j] - (1.0 - beta) * b[s, j] + lap_of(a, s, j, kx, ky)) / (1.0 + beta)

    @ti.func
    def refresh_ghosts(b: ti.template()):
        strips = b.shape[0] - 2
        for j in range(b.shape[1]):
            last, first = b[strips, j], b[1, j]
            above, below = vec(0.0), vec(0.0)
            for lane in ti.static(range(1, lanes)):
                above[lane] = last[lane - 1]
                below[lane - 1] = first[lane]
            b[0, j] = above
            b[strips + 1, j] = below

    @ti.func
    def single_step(a: ti.template(), b: ti.template(), k: ti.template(), q: ti.template(), beta0: real,
                    offset: ti.i32):
        """``b`` one step on (from ``a``, now, and ``b``, before), then its ghost rows."""
        if ti.static(per_cell):
            for s, j in ti.ndrange((1, a.shape[0] - 1), (1, a.shape[1] - 1)):
                cell_update(a, b, s, j, k, beta0)
            row_start, src_rows, src_cols, src_lane, weights, channels, values = ti.static(*q)
            for e in range(row_start[a.shape[0]]):  # every source entry (adds are atomic)
                b[src_rows[e], src_cols[e]][src_lane[e]] += weights[e] * values[offset + channels[e]]
        else:
            ti.loop_config(block_dim=4)  # a 1024² grid has only ~130 folded rows to share out
            for s in range(1, a.shape[0] - 1):
                row_update(a, b, s, k, q, beta0, offset)
        refresh_ghosts(b)

    @ti.kernel
    def advance(u: field2, u_prev: field2, kx: field2, ky: field2, brow: per_row, sponge_row: index,
                bcol: scalars, keep_col: scalars, scale_col: scalars, beta0: real,
                row_start: index, src_rows: index, src_cols: index, src_lane: index, weights: scalars,
                channels: index, values: scalars, nchannels: ti.i32):
        k = ti.static(kx, ky, brow, sponge_row, bcol, keep_col, scale_col)
        q = ti.static(row_start, src_rows, src_cols, src_lane, weights, channels, values)
        for step in ti.static(range(steps)):
            if ti.static(step % 2 == 0):
                single_step(u, u_prev, k, q, beta0, step * nchannels)
            else:
                single_step(u_prev, u, k, q, beta0, step * nchannels)

    _KERNELS[key] = advance
    return advance


def _check_kernel(ti: Any, precision: str) -> Any:
    """A kernel returning the first flat grid index holding NaN or ±inf (or −1: none).

    Tests the exponent bits rather than comparing values: Taichi compiles with fast-math, under
    which ``x != x`` may be folded away.
    """
    if precision in _CHECKS:
        return _CHECKS[precision]
    lanes = LANES[precision]
    if precision == "float32":
        real, bits, mask = ti.f32, ti.i32, 0x7F800000
    else:
        real, bits, mask = ti.f64, ti.i64, 0x7FF0000000000000
    field2 = ti.types.ndarray(dtype=ti.types.vector(lanes, real), ndim=2)

    @ti.kernel
    def first_nonfinite(u: field2) -> ti.i64:
        strips, cols = u.shape[0] - 2, u.shape[1]
        first = ti.i64(-1)
        found = ti.i64(strips) * lanes * cols
        for s, j in ti.ndrange((1, strips + 1), cols):
            v = u[s, j]
            for lane in ti.static(range(lanes)):
                if ti.bit_cast(v[lane], bits) & bits(mask) == bits(mask):
                    ti.atomic_min(found, (ti.i64(lane) * strips + s - 1) * cols + j)
        if found < ti.i64(strips) * lanes * cols:
            first = found
        return first

    _CHECKS[precision] = first_nonfinite
    return first_nonfinite


class TaichiWaveSolver:
    """Steps a :class:`WaveGrid` with Taichi kernels.

    Example::

        solver = TaichiWaveSolver(grid)          # starts Taichi if needed (GPU when available)
        solver.advance(100)
        height = solver.height()                 # the image part, as a NumPy array
    """

    @taichi_thread
    def __init__(self, grid: WaveGrid, *, precision: str = "float32", device: str = "auto",
                 runtime: TaichiRuntime | None = None, per_cell_threads: bool | None = None,
                 temporal_blocking: bool | None = None) -> None:
        """``per_cell_threads``: how the update is spread over threads; None = what suits the
        backend (one thread per cell on a GPU, one task per row on a CPU).
        ``temporal_blocking``: advance runs of 16 or 8 steps (BLOCK_SHAPES) tile by tile in cache
        (:mod:`.wave_blocked`; two more state arrays); None = on a CPU. Grids with fewer folded
        rows than BLOCK_STEPS, and step counts' remainders, take the single-step kernel."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        if runtime is None:
            runtime, self.device_note = taichi_runtime(device)
        else:
            self.device_note = None
        self.runtime = runtime
        self.grid = grid
        self.precision = precision
        self.np_dtype = np.dtype(precision)
        self.lanes = LANES[precision]
        ti = runtime.ti
        real = ti.f32 if precision == "float32" else ti.f64
        self.rows, self.cols = grid.padded_shape
        self.strips = strip_rows(self.rows, self.lanes)
        with TAICHI_LOCK:
            def vectors(array: np.ndarray, *, folded: bool = False) -> Any:
                folded = array if folded else fold(array.astype(self.np_dtype), self.lanes)
                target = ti.Vector.ndarray(self.lanes, real, folded.shape[:-1])
                target.from_numpy(np.ascontiguousarray(folded, dtype=self.np_dtype))
                return target

            def scalars(array: np.ndarray, dtype: Any = real) -> Any:
                flat = np.ascontiguousarray(array, dtype=np.int32 if dtype is ti.i32 else self.np_dtype)
                target = ti.ndarray(dtype, flat.shape)
                target.from_numpy(flat)
                return target

            self._u = vectors(grid.u)
            self._u_prev = vectors(grid.u_prev)
            self._kx = vectors(grid.kx)
            self._ky = vectors(grid.ky)
            beta_rows = fold_rows(grid.beta_row.astype(self.np_dtype), self.lanes)
            self._brow = vectors(beta_rows, folded=True)
            self._sponge_row = scalars((beta_rows != 0).any(axis=1), ti.i32)
            self._bcol = scalars(grid.beta_col)
            beta_cols = grid.beta0 + grid.beta_col
            self._keep_col = scalars(1.0 - beta_cols)
            self._scale_col = scalars(1.0 / (1.0 + beta_cols))
            self._has_sources = len(grid.source_cells) > 0
            # Sources sorted by folded row, with each row's range in row_start (CSR), so a row's
            # sources are added by the task that has just updated it.
            src_rows, src_cols, src_lane = locate(grid.source_cells, self.cols, self.strips)
            order = np.argsort(src_rows, kind="stable")
            row_start = np.searchsorted(src_rows[order], np.arange(self.strips + 3))
            weights, channels = grid.source_weights[order], grid.source_channels[order]
            if not self._has_sources:  # Taichi ndarrays cannot be empty: one entry, never reached
                src_rows, src_cols, src_lane = np.ones(1), np.zeros(1), np.zeros(1)
                weights, channels, order = np.zeros(1), np.zeros(1), [0]
            self._row_start = scalars(row_start, ti.i32)
            self._src_rows = scalars(np.asarray(src_rows)[order], ti.i32)
            self._src_cols = scalars(np.asarray(src_cols)[order], ti.i32)
            self._src_lane = scalars(np.asarray(src_lane)[order], ti.i32)
            self._weights = scalars(weights)
            self._channels = scalars(channels, ti.i32)
            self._nchannels = max(1, grid.channel_count)
            counts = {1, UNROLL, *(shape[0] for shape in BLOCK_SHAPES)}
            self._values = {n: ti.ndarray(real, (n * self._nchannels,)) for n in counts}
            for values in self._values.values():
                values.fill(0.0)
            per_cell = runtime.on_gpu if per_cell_threads is None else per_cell_threads
            self._kernels = {n: _step_kernel(ti, precision, n, per_cell) for n in (1, UNROLL)}
            self._check = _check_kernel(ti, precision)
            if temporal_blocking is None:
                temporal_blocking = not runtime.on_gpu
            if temporal_blocking and threading.get_ident() != runtime.thread:
                # Its scratch is Taichi fields, which only the thread that started Taichi may
                # allocate (an editor run on a new worker thread, say): step one at a time.
                temporal_blocking = False
            self._blocked: dict[int, Any] = {}
            if temporal_blocking:
                self._setup_blocked(ti, real)
        self.step_count = 0

    def _setup_blocked(self, ti: Any, real: Any) -> None:
        from .wave_blocked import blocked_kernel

        workers = max(1, os.cpu_count() or 1)
        for steps, rows, cols in BLOCK_SHAPES:
            if self.strips >= steps:  # the halo may wrap once round the strips, not more
                self._blocked[steps] = blocked_kernel(ti, self.precision, self.lanes, steps, workers, rows, cols)
        if self._blocked:
            self._u_out = ti.Vector.ndarray(self.lanes, real, self._u.shape)
            self._u_prev_out = ti.Vector.ndarray(self.lanes, real, self._u.shape)

    def _advance_blocked(self, steps: int) -> None:
        values = self._values[steps]
        if self._has_sources:
            values.from_numpy(self.grid.source_values(self.step_count, steps).ravel().astype(self.np_dtype))
        self._blocked[steps](self._u, self._u_prev, self._u_out, self._u_prev_out, self._kx, self._ky, self._brow,
                      self._sponge_row, self._bcol, self._keep_col, self._scale_col, float(self.grid.beta0),
                      self._row_start, self._src_cols, self._src_lane, self._weights, self._channels, values,
                      self._nchannels)
        self._u, self._u_out = self._u_out, self._u
        self._u_prev, self._u_prev_out = self._u_prev_out, self._u_prev
        self.step_count += steps

    @property
    def uses_temporal_blocking(self) -> bool:
        return bool(self._blocked)

    @property
    def time(self) -> float:
        return self.step_count * self.grid.dt

    @taichi_thread
    def advance(self, steps: int) -> None:
        """Advance ``steps`` time steps."""
        with TAICHI_LOCK:
            for block in self._blocked:  # largest first
                while steps >= block:
                    self._advance_blocked(block)
                    steps -= block
            while steps > 0:
                n = UNROLL if steps >= UNROLL else 1
                values = self._values[n]
                if self._has_sources:
                    values.from_numpy(self.grid.source_values(self.step_count, n).ravel().astype(self.np_dtype))
                self._kernels[n](self._u, self._u_prev, self._kx, self._ky, self._brow, self._sponge_row,
                                 self._bcol, self._keep_col, self._scale_col, float(self.grid.beta0),
                                 self._row_start, self._src_rows, self._src_cols, self._src_lane, self._weights,
                                 self._channels, values, self._nchannels)
                if n % 2:  # an odd count leaves u⁺ in the u⁻ buffer
                    self._u, self._u_prev = self._u_prev, self._u
                self.step_count += n
                steps -= n

    @taichi_thread
    def first_nonfinite(self) -> int | None:
        """Flat padded index (``row·cols + col``) of the first NaN/inf cell now, or None."""
        with TAICHI_LOCK:
            first = int(self._check(self._u))
        return None if first < 0 else first

    @taichi_thread
    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """``(u_prev, u)`` as padded 2-D float64 arrays."""
        with TAICHI_LOCK:
            u_prev, u = self._u_prev.to_numpy(), self._u.to_numpy()
        return unfold(u_prev, self.rows).astype(np.float64), unfold(u, self.rows).astype(np.float64)

    @taichi_thread
    def height(self) -> np.ndarray:
        """Surface height over the image (H×W, float64)."""
        with TAICHI_LOCK:
            u = self._u.to_numpy()
        return unfold(u, self.rows)[self.grid.interior].astype(np.float64)

    @taichi_thread
    def velocity(self) -> np.ndarray:
        """Vertical surface velocity over the image (H×W, float64), the scheme's centred one."""
        u_prev, u = self.state()
        return velocity_of(self.grid, u_prev, u, self.step_count)[self.grid.interior]
