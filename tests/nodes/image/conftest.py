"""Fixtures for the image node tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import thyra_graph
from thyra_graph.types import Image

SAMPLES = Path(thyra_graph.__file__).parent / "samples"


@pytest.fixture(scope="session")
def coins() -> Image:
    """scikit-image's coins sample (24 coins, unevenly lit), as io.load_image reads it."""
    from thyra_graph.nodes.io.image_files import load_image

    return load_image(path=str(SAMPLES / "coins.png"))
