"""Where new nodes go and how a file is first shown: never on top of another node, and at a
size whose titles and ports can be read."""

from __future__ import annotations

from pathlib import Path

from thyra_graph.editor.canvas import READABLE_SCALE
from thyra_graph.editor.placement import bounds, free_spot, overlaps

QUICKSTART = Path(__file__).resolve().parents[2] / "graphs" / "quickstart.yaml"


def test_a_free_spot_is_the_wanted_one_when_nothing_is_there():
    assert free_spot((10.0, 20.0), (100.0, 50.0), []) == (10.0, 20.0)


def test_an_occupied_spot_gives_the_nearest_one_that_overlaps_nothing():
    taken = [(0.0, 0.0, 170.0, 72.0)]
    spot = free_spot((0.0, 0.0), (170.0, 72.0), taken)
    assert not overlaps((*spot, 170.0, 72.0), taken[0])
    assert abs(spot[0]) + abs(spot[1]) <= 240.0


def test_bounds_hold_every_box():
    assert bounds([(0.0, 0.0, 10.0, 10.0), (20.0, 5.0, 10.0, 30.0)]) == (0.0, 0.0, 30.0, 35.0)


def test_the_quickstart_opens_at_a_readable_size(window, qtbot):
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_file(QUICKSTART)
    # framed whole it would be about 0.4, where titles cannot be read (Qt's fitInView keeps
    # a few pixels of margin, hence the tolerance)
    assert window.canvas.view.viewer().transform().m11() >= 0.95 * READABLE_SCALE
