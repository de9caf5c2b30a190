"""The strip-folded layout: every stencil neighbour is the same lane of a neighbouring element."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.nodes.sim.strip_layout import fold, locate, unfold


@pytest.mark.parametrize("rows", [1, 7, 8, 13, 64])
def test_folding_and_unfolding_gives_the_grid_back(rows):
    grid = np.arange(rows * 5, dtype=np.float32).reshape(rows, 5)
    np.testing.assert_array_equal(unfold(fold(grid, 8), rows), grid)


def test_the_rows_above_and_below_every_element_are_the_grid_neighbours():
    rows, lanes = 21, 4
    grid = np.arange(rows * 3, dtype=float).reshape(rows, 3) + 1
    folded = fold(grid, lanes)
    padded = np.zeros((rows + 2, 3))
    padded[1:-1] = grid  # zeros beyond the first and last row
    s = folded.shape[0] - 2
    for lane in range(lanes):
        for r in range(1, s + 1):
            row = lane * s + r - 1
            if row >= rows:
                continue
            np.testing.assert_array_equal(folded[r - 1, :, lane], padded[row])  # the row above
            np.testing.assert_array_equal(folded[r + 1, :, lane], padded[row + 2])  # the row below


def test_flat_indices_are_located_in_the_folded_array():
    rows, cols, lanes = 19, 6, 8
    grid = np.arange(rows * cols).reshape(rows, cols)
    folded = fold(grid, lanes)
    s = folded.shape[0] - 2
    flat = np.array([0, 7, 55, rows * cols - 1])
    r, c, lane = locate(flat, cols, s)
    np.testing.assert_array_equal(folded[r, c, lane], flat)
