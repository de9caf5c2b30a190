"""image.morphology: open, close, erode, dilate and fill_holes with a disc."""

from __future__ import annotations

import numpy as np

from thyra_graph.nodes.image.mask_morphology import morphology
from thyra_graph.types import Mask


def square_and_speck() -> Mask:
    data = np.zeros((40, 40), bool)
    data[10:30, 10:30] = True
    data[2, 2] = True
    return Mask(data)


def test_open_removes_specks_and_keeps_objects():
    opened = morphology(square_and_speck(), operation="open", radius=2).data
    assert not opened[2, 2]
    # Only the square's corners are rounded off by the disc.
    assert opened[12:28, 12:28].all() and 390 <= opened.sum() <= 400


def test_close_bridges_a_thin_gap():
    data = np.zeros((20, 40), bool)
    data[5:15, 5:19] = data[5:15, 21:35] = True  # a 2-pixel gap at x = 19, 20
    closed = morphology(Mask(data), operation="close", radius=2).data
    assert closed[7:13, 19:21].all()


def test_erode_shrinks_and_dilate_grows_by_the_radius():
    eroded = morphology(square_and_speck(), operation="erode", radius=3).data
    dilated = morphology(square_and_speck(), operation="dilate", radius=3).data
    assert eroded.sum() == 14 * 14
    assert dilated[10:30, 7].all() and not dilated[20, 6]


def test_the_image_edge_does_not_erode_objects_touching_it():
    full = Mask(np.ones((10, 10), bool))
    assert morphology(full, operation="erode", radius=2).data.all()


def test_fill_holes_fills_enclosed_background_only():
    data = np.zeros((30, 30), bool)
    data[5:25, 5:25] = True
    data[10:20, 10:20] = False  # a hole
    data[0:3, 10:20] = True
    filled = morphology(Mask(data), operation="fill_holes").data
    assert filled[10:20, 10:20].all()
    assert not filled[3:5, 10:20].any()  # open background stays background
