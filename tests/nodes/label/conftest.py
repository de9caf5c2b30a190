"""Generic fixtures for the labelling tests: a small scene and its instances."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.types import Image, Instances


def scene() -> tuple[np.ndarray, np.ndarray]:
    """A 96×128 grey scene with a red disc, a green square and a blue bar, and their masks."""
    rgb = np.full((96, 128, 3), 200, np.uint8)
    yy, xx = np.mgrid[:96, :128]
    disc = (yy - 30) ** 2 + (xx - 30) ** 2 <= 15 ** 2
    square = (yy >= 50) & (yy < 80) & (xx >= 60) & (xx < 90)
    bar = (yy >= 10) & (yy < 25) & (xx >= 85) & (xx < 120)
    for mask, colour in ((disc, (220, 30, 30)), (square, (30, 180, 40)), (bar, (40, 60, 220))):
        rgb[mask] = colour
    return rgb, np.stack([disc, square, bar])


@pytest.fixture
def scene_image() -> Image:
    """The scene as an Image (red disc, green square, blue bar on grey)."""
    return Image(scene()[0])


@pytest.fixture
def scene_instances() -> Instances:
    """The three objects of ``scene_image`` as Instances, in the order disc, square, bar."""
    return Instances(scene()[1], scores=np.array([0.9, 0.8, 0.7]))
