"""Temporal blocking of the strip-folded wave kernel: several steps per pass over memory (CPU).

The single-step kernel (:mod:`.wave_solver`) is memory-bound: every step streams the whole
grid. Here each worker thread copies a tile of folded rows × columns, with a halo of ``steps``
cells on every side, into its own scratch (small enough to stay in L2), advances it ``steps``
steps there (the valid region shrinking by one cell a step), and writes the tile's centre to a
second pair of state arrays (the inputs must stay intact: neighbouring tiles read their halos
from them). Memory traffic per step falls by about ``steps``; the halo costs some redundant
arithmetic.

Rows above folded row 1 and below row S are those of the neighbouring strip (lane-shifted
copies of rows S, S−1, … and 1, 2, …, see :mod:`.strip_layout`), so a tile at either end reads
its halo from the other end. Each cell is updated with the same formula and operation order as
in the single-step kernel, sources included, so both paths give the same numbers.
"""

# No `from __future__ import annotations` here: Taichi reads kernel annotations as objects.

from typing import Any

_KERNELS: dict[tuple, Any] = {}


def blocked_kernel(ti: Any, precision: str, lanes: int, steps: int, workers: int, tile_rows: int,
                   tile_cols: int) -> Any:
    """A kernel advancing ``steps`` (even) steps tile by tile, from (u, u⁻) into (u_out, u⁻_out).

    The scratch is Taichi fields of fixed shape, shared by every solver (launches are serialised
    by the caller): with static shapes their addresses compile to constants, which made the
    in-cache loops about twice as fast as with ndarrays.
    """
    key = (precision, lanes, steps, workers, tile_rows, tile_cols)
    if key in _KERNELS:
        return _KERNELS[key]
    assert steps % 2 == 0, "an even step count leaves u in the scratch that held it"
    real = ti.f32 if precision == "float32" else ti.f64
    vec = ti.types.vector(lanes, real)
    field2 = ti.types.ndarray(dtype=vec, ndim=2)
    per_row = ti.types.ndarray(dtype=vec, ndim=1)
    scalars = ti.types.ndarray(dtype=real, ndim=1)
    index = ti.types.ndarray(dtype=ti.i32, ndim=1)
    halo = steps
    scratch_rows, scratch_cols = tile_rows + 2 * halo, tile_cols + 2 * halo
    A, B, KX, KY = (ti.Vector.field(lanes, real, shape=(workers * scratch_rows, scratch_cols)) for _ in range(4))
    RB = ti.Vector.field(lanes, real, shape=(workers, scratch_rows))
    RF = ti.field(ti.i32, shape=(workers, scratch_rows))

    @ti.func
    def shifted(v: vec, shift: ti.i32) -> vec:
        """Lane l of the result: lane l − shift of v (zero where that lane does not exist)."""
        out = v
        if shift == 1:
            out = vec(0.0)
            for lane in ti.static(range(1, lanes)):
                out[lane] = v[lane - 1]
        elif shift == -1:
            out = vec(0.0)
            for lane in ti.static(range(lanes - 1)):
                out[lane] = v[lane + 1]
        return out

    @ti.func
    def source_row(r: ti.i32, strips: ti.i32):
        """The folded row holding virtual row ``r`` and the lane shift to apply."""
        sr, shift = r, 0
        if r < 1:
            sr, shift = r + strips, 1
        elif r > strips:
            sr, shift = r - strips, -1
        return sr, shift

    @ti.func
    def tile_step(a: ti.template(), b: ti.template(), KX: ti.template(), KY: ti.template(), w: ti.i32, o: ti.i32,
                  RB: ti.template(), RF: ti.template(), bcol: ti.template(), keep_col: ti.template(),
                  scale_col: ti.template(), beta0: real, i_lo: ti.i32, i_hi: ti.i32, j_lo: ti.i32,
                  j_hi: ti.i32, cb: ti.i32):
        """Scratch rows i_lo…i_hi−1, columns j_lo…j_hi−1 (grid columns: + cb) of ``b`` one step on."""
        for i in range(i_lo, i_hi):
            # left/here and the left kx carry over from one column to the next, in registers
            r = o + i
            left, here, kx_left = a[r, j_lo - 1], a[r, j_lo], KX[r, j_lo - 1]
            if RF[w, i] == 0:
                for jj in range(j_lo, j_hi):
                    j = jj + cb
                    right, kx_here = a[r, jj + 1], KX[r, jj]
                    lap = (kx_here * (right - here) - kx_left * (here - left)
                           + KY[r, jj] * (a[r + 1, jj] - here) - KY[r - 1, jj] * (here - a[r - 1, jj]))
                    b[r, jj] = (2.0 * here - keep_col[j] * b[r, jj] + lap) * scale_col[j]
                    left, here, kx_left = here, right, kx_here
            else:
                beta_s = RB[w, i] + beta0
                for jj in range(j_lo, j_hi):
                    j = jj + cb
                    right, kx_here = a[r, jj + 1], KX[r, jj]
                    lap = (kx_here * (right - here) - kx_left * (here - left)
                           + KY[r, jj] * (a[r + 1, jj] - here) - KY[r - 1, jj] * (here - a[r - 1, jj]))
                    beta = beta_s + bcol[j]
                    b[r, jj] = (2.0 * here - (1.0 - beta) * b[r, jj] + lap) / (1.0 + beta)
                    left, here, kx_left = here, right, kx_here

    @ti.func
    def tile_sources(b: ti.template(), w: ti.i32, o: ti.i32, rb: ti.i32, strips: ti.i32, i_lo: ti.i32, i_hi: ti.i32,
                     j_lo: ti.i32, j_hi: ti.i32, cb: ti.i32, q: ti.template(), offset: ti.i32):
        row_start, src_cols, src_lane, weights, channels, values = ti.static(*q)
        for i in range(i_lo, i_hi):
            sr, shift = source_row(rb + i, strips)
            for e in range(row_start[sr], row_start[sr + 1]):
                jj = src_cols[e] - cb
                lane = src_lane[e] + shift
                if j_lo <= jj and jj < j_hi and 0 <= lane and lane < lanes:
                    b[o + i, jj][lane] += weights[e] * values[offset + channels[e]]

    @ti.kernel
    def advance_blocked(u: field2, u_prev: field2, u_out: field2, u_prev_out: field2, kx: field2, ky: field2,
                        brow: per_row, sponge_row: index, bcol: scalars, keep_col: scalars, scale_col: scalars,
                        beta0: real, row_start: index, src_cols: index, src_lane: index, weights: scalars,
                        channels: index, values: scalars, nchannels: ti.i32):
        strips, cols = u.shape[0] - 2, u.shape[1]
        row_tiles = (strips + tile_rows - 1) // tile_rows
        col_tiles = (cols + tile_cols - 1) // tile_cols
        q = ti.static(row_start, src_cols, src_lane, weights, channels, values)
        ti.loop_config(block_dim=1)
        for w in range(workers):  # one task per worker: its scratch is its own
            tile = w
            o = w * scratch_rows
            while tile < row_tiles * col_tiles:
                s0 = 1 + (tile // col_tiles) * tile_rows
                s1 = ti.min(s0 + tile_rows, strips + 1)
                c0 = (tile % col_tiles) * tile_cols
                c1 = ti.min(c0 + tile_cols, cols)
                rb, cb = s0 - halo, c0 - halo  # grid row / column of scratch [0, 0]
                n_i, n_j = s1 - s0 + 2 * halo, c1 - c0 + 2 * halo
                jl, jh = ti.max(0, cb) - cb, ti.min(cols, c1 + halo) - cb  # loaded scratch columns
                for i in range(n_i):
                    sr, shift = source_row(rb + i, strips)
                    RB[w, i] = shifted(brow[sr], shift)
                    RF[w, i] = sponge_row[sr]
                    if shift == 0:  # most rows: a plain copy, no lane shuffling
                        for jj in range(jl, jh):
                            j = jj + cb
                            A[o + i, jj] = u[sr, j]
                            B[o + i, jj] = u_prev[sr, j]
                            KX[o + i, jj] = kx[sr, j]
                            KY[o + i, jj] = ky[sr, j]
                    else:
                        for jj in range(jl, jh):
                            j = jj + cb
                            A[o + i, jj] = shifted(u[sr, j], shift)
                            B[o + i, jj] = shifted(u_prev[sr, j], shift)
                            KX[o + i, jj] = shifted(kx[sr, j], shift)
                            KY[o + i, jj] = shifted(ky[sr, j], shift)
                for t in ti.static(range(1, steps + 1)):
                    i_lo, i_hi = t, n_i - t
                    # the halo shrinks a cell a step, but columns 0 and cols − 1 (zero) never change
                    j_lo, j_hi = ti.max(t, 1 - cb), ti.min(n_j - t, cols - 1 - cb)
                    if ti.static(t % 2 == 1):
                        tile_step(A, B, KX, KY, w, o, RB, RF, bcol, keep_col, scale_col, beta0,
                                  i_lo, i_hi, j_lo, j_hi, cb)
                        tile_sources(B, w, o, rb, strips, i_lo, i_hi, j_lo, j_hi, cb, q, (t - 1) * nchannels)
                    else:
                        tile_step(B, A, KX, KY, w, o, RB, RF, bcol, keep_col, scale_col, beta0,
                                  i_lo, i_hi, j_lo, j_hi, cb)
                        tile_sources(A, w, o, rb, strips, i_lo, i_hi, j_lo, j_hi, cb, q, (t - 1) * nchannels)
                for s in range(s0, s1):
                    for j in range(c0, c1):
                        u_out[s, j] = A[o + s - rb, j - cb]
                        u_prev_out[s, j] = B[o + s - rb, j - cb]
                tile += workers
        for j in range(cols):  # ghost rows of both outputs, as the single-step kernel keeps them
            u_out[0, j] = shifted(u_out[strips, j], 1)
            u_out[strips + 1, j] = shifted(u_out[1, j], -1)
            u_prev_out[0, j] = shifted(u_prev_out[strips, j], 1)
            u_prev_out[strips + 1, j] = shifted(u_prev_out[1, j], -1)

    _KERNELS[key] = advance_blocked
    return advance_blocked
