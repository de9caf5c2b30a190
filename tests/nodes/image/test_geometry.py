"""image.resize: by factor or to a size, keeping the aspect ratio when one side is given."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.image.geometry import resize
from thyra_graph.types import Image


def image(height=40, width=60, channels=3):
    shape = (height, width, channels) if channels else (height, width)
    return Image(np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8))


def test_resize_by_scale():
    assert resize(image(), scale=0.5).data.shape == (20, 30, 3)


def test_resize_to_a_width_keeps_the_aspect_ratio():
    assert resize(image(), width=30).data.shape == (20, 30, 3)
    assert resize(image(), height=80).data.shape == (80, 120, 3)


def test_resize_to_width_and_height_ignores_scale():
    assert resize(image(), width=10, height=10, scale=3.0).data.shape == (10, 10, 3)


def test_nearest_interpolation_keeps_only_original_values():
    small = Image(np.array([[0, 255], [255, 0]], np.uint8))
    big = resize(small, scale=4, interpolation="nearest").data
    assert set(np.unique(big)) == {0, 255}
    assert set(np.unique(resize(small, scale=4, interpolation="linear").data)) != {0, 255}


def test_resize_keeps_grey_and_single_channel_layouts():
    assert resize(image(channels=0), scale=2).data.shape == (80, 120)
    assert resize(image(channels=1), scale=2).data.shape == (80, 120, 1)


def test_resize_to_nothing_is_refused():
    with pytest.raises(NodeError, match="empty image"):
        resize(image(), scale=0.001)
