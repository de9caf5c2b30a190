"""Fixtures for the counting node tests: drawn scenes with known answers, and real samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import thyra_graph
from thyra_graph.types import Image

SAMPLES = Path(thyra_graph.__file__).parent / "samples"


def disc_image(centres, *, size=(120, 160), radius=3.0, contrast=120, background=40, noise=0.0, seed=0) -> np.ndarray:
    """An 8-bit grey image with bright anti-aliased discs at ``centres`` (x, y)."""
    import cv2

    height, width = size
    canvas = np.zeros((height, width), np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    for x, y in centres:
        canvas = np.maximum(canvas, np.clip(radius + 0.5 - np.hypot(xs - x, ys - y), 0, 1))
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.6)
    image = background + contrast * canvas
    if noise:
        image = image + np.random.default_rng(seed).normal(0, noise, image.shape)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def sparse_scene():
    """600 isolated objects of 2-6 px on a sky gradient with noise (no clumps)."""
    from thyra_graph.nodes.count.synthetic import make_scene

    return make_scene(width=512, height=512, count=600, clump_fraction=0.0, seed=11)


@pytest.fixture(scope="session")
def clumpy_scene():
    """1200 objects of 2-6 px, 30 % of them in clumps of touching objects."""
    from thyra_graph.nodes.count.synthetic import make_scene

    return make_scene(width=640, height=640, count=1200, clump_fraction=0.3, seed=12)


@pytest.fixture(scope="session")
def coins() -> Image:
    from thyra_graph.nodes.io.image_files import load_image

    return load_image(path=str(SAMPLES / "coins.png"))


@pytest.fixture(scope="session")
def hubble() -> Image:
    from thyra_graph.nodes.io.image_files import load_image

    return load_image(path=str(SAMPLES / "hubble_deep_field.jpg"))
