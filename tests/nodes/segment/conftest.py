"""Fixtures for the segment tests: the tiny SAM 2 models (both backends) and small test images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def sam2_models(use_tiny_models) -> Path:
    """THYRA_MODELS_DIR with the tiny SAM 2 models, offline (see tests/tiny_models/sam2.py)."""
    return use_tiny_models


@pytest.fixture
def transformers_params(sam2_models) -> dict:
    """Model params of a SAM 2 node for the tiny transformers model, found under its real hub id."""
    return {"backend": "transformers", "model": "facebook/sam2.1-hiera-tiny", "device": "cpu"}


@pytest.fixture
def meta_params(sam2_models) -> dict:
    """Model params of a SAM 2 node for the tiny Meta checkpoint and its shrunk config."""
    pytest.importorskip("sam2")
    from tiny_models.sam2 import META_CHECKPOINT, tiny_meta_config

    return {"backend": "sam2", "model": f"checkpoints/{META_CHECKPOINT}",
            "config": str(tiny_meta_config(sam2_models)), "device": "cpu"}


@pytest.fixture(params=["transformers", "sam2"])
def backend_params(request) -> dict:
    """Both backends' params, one test run each."""
    name = "transformers_params" if request.param == "transformers" else "meta_params"
    return request.getfixturevalue(name)


@pytest.fixture
def sam2_ctx(tmp_path):
    """A run context with its own resource cache and a disk cache folder."""
    from thyra_graph.engine.context import Context
    from thyra_graph.engine.store import Store
    from thyra_graph.engine.resources import ResourceCache

    return Context("sam", "segment.sam2_points", resources=ResourceCache(), store=Store(tmp_path / "cache"),
                   graph_dir=tmp_path)


def discs_image(height: int = 96, width: int = 128) -> np.ndarray:
    """Two bright discs on a dark background (H×W×3 uint8): a coin-like scene with known objects."""
    yy, xx = np.mgrid[:height, :width]
    image = np.full((height, width, 3), 30, np.uint8)
    image[(yy - 40) ** 2 + (xx - 35) ** 2 < 15 ** 2] = (220, 200, 120)
    image[(yy - 55) ** 2 + (xx - 90) ** 2 < 20 ** 2] = (200, 210, 230)
    return image


@pytest.fixture
def discs() -> np.ndarray:
    return discs_image()
