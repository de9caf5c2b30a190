"""Fixtures for the exporter tests: small scenes with overlapping objects, the quickstart's
coins, and a run context that keeps the warnings a node gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import thyra_graph
from thyra_graph.engine.context import Context
from thyra_graph.types import FrameSeries, Image, Instances

SAMPLES = Path(thyra_graph.__file__).parent / "samples"


def disc(height: int, width: int, cy: float, cx: float, radius: float) -> np.ndarray:
    yy, xx = np.ogrid[:height, :width]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2


@pytest.fixture
def scene() -> Instances:
    """Four objects on a 60×80 image: a car overlapping a person (car scored higher), a ring
    with a hole (a second car), and a strip of sky down the left edge."""
    h, w = 60, 80
    ring = disc(h, w, 45, 62, 11) & ~disc(h, w, 45, 62, 5)
    masks = np.stack([
        disc(h, w, 15, 20, 10),  # car, score 0.9
        disc(h, w, 22, 30, 12),  # person, score 0.6, under the car where they overlap
        ring,  # car with a hole, score 0.8
        np.pad(np.ones((h, 6), bool), ((0, 0), (0, w - 6))),  # sky, score 0.5
    ])
    return Instances(masks, [1, 2, 1, 3], [0.9, 0.6, 0.8, 0.5], labels=["car", "person", "car", "sky"],
                     classes={1: "car", 2: "person", 3: "sky"})


@pytest.fixture
def empty_scene() -> Instances:
    return Instances(np.zeros((0, 40, 50), bool), classes={1: "car"})


@pytest.fixture
def frames(scene) -> FrameSeries:
    """Three frames of a video (frames 0, 5, 10 at 25 fps): the scene, shifted, then nothing."""
    shifted = Instances(np.roll(scene.masks, 3, axis=2), scene.class_ids, scene.scores, classes=scene.classes)
    empty = Instances(np.zeros((0, *scene.shape), bool), classes=scene.classes)
    return FrameSeries.from_items([(0, 0.0, scene), (5, 0.2, shifted), (10, 0.4, empty)])


@pytest.fixture(scope="session")
def coins() -> tuple[Image, Instances]:
    """The quickstart's 24 coins (unclassified, class id 0) and the image they come from."""
    from thyra_graph.nodes.image.color import to_gray
    from thyra_graph.nodes.image.components import contours
    from thyra_graph.nodes.image.filters import blur
    from thyra_graph.nodes.image.mask_morphology import morphology
    from thyra_graph.nodes.image.thresholding import threshold
    from thyra_graph.nodes.io.image_files import load_image

    image = load_image(path=str(SAMPLES / "coins.png"))
    mask = threshold(blur(to_gray(image), sigma=2.0), method="adaptive", block_size=101, offset=15)
    mask = morphology(morphology(mask, operation="open", radius=2), operation="fill_holes")
    found = contours(mask, min_area=300)["instances"]
    assert len(found) == 24
    return image, found


@pytest.fixture
def ctx() -> Context:
    """A standalone run context; ``ctx.warnings`` holds what the node warned about."""
    return Context.standalone("test")
