"""The strip-folded layout that lets the Taichi stencil run in SIMD registers.

Taichi's CPU backend does not vectorise a scalar loop, but it does compile arithmetic on
``ti.Vector`` elements to SIMD instructions. So the grid is cut into ``lanes`` horizontal
strips of ``S`` rows, stacked as the lanes of vectors: element ``[s + 1, j]`` holds, in lane
``l``, grid cell ``(l·S + s, j)``. Every stencil neighbour is then the same lane of a
neighbouring element (left/right: ``j ± 1``; up/down: ``s ± 1``) — except across a strip
boundary, which ghost rows handle: element row 0 holds, in lane ``l``, the last row of strip
``l − 1``; row ``S + 1`` the first row of strip ``l + 1`` (zeros beyond the first and last
strip). The solver refreshes those two ghost rows after every step.

Grid rows past the last real one (``lanes·S ≥ rows``) are dead: zero values and coefficients,
so they stay zero.
"""

from __future__ import annotations

import numpy as np


def strip_rows(rows: int, lanes: int) -> int:
    """Rows per strip for a grid of ``rows`` rows."""
    return -(-rows // lanes)


def fold(grid: np.ndarray, lanes: int) -> np.ndarray:
    """A rows×cols array as the (S + 2)×cols×lanes folded array, ghost rows filled."""
    rows, cols = grid.shape
    s = strip_rows(rows, lanes)
    padded = np.zeros((lanes * s, cols), dtype=grid.dtype)
    padded[:rows] = grid
    strips = padded.reshape(lanes, s, cols).transpose(1, 2, 0)  # (S, cols, lanes)
    folded = np.zeros((s + 2, cols, lanes), dtype=grid.dtype)
    folded[1:-1] = strips
    folded[0, :, 1:] = strips[-1, :, :-1]  # row above strip l: the last row of strip l − 1
    folded[-1, :, :-1] = strips[0, :, 1:]  # row below strip l: the first row of strip l + 1
    return np.ascontiguousarray(folded)


def unfold(folded: np.ndarray, rows: int) -> np.ndarray:
    """The rows×cols grid held by a folded array."""
    strips = folded[1:-1]  # (S, cols, lanes)
    s, cols, lanes = strips.shape
    return strips.transpose(2, 0, 1).reshape(lanes * s, cols)[:rows]


def fold_rows(values: np.ndarray, lanes: int) -> np.ndarray:
    """A per-row quantity (length rows) as one vector per folded row: (S + 2)×lanes."""
    return fold(values[:, None], lanes)[:, 0, :]


def locate(flat_index: np.ndarray, cols: int, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Folded row, column and lane of flat grid indices ``row·cols + col``."""
    row, col = np.divmod(np.asarray(flat_index, dtype=np.int64), cols)
    lane, within = np.divmod(row, s)
    return within + 1, col, lane
