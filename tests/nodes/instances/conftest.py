"""A small street scene for the instance tools: cars, a truck, a person, unlabelled blobs."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.types import Instances


@pytest.fixture
def street() -> Instances:
    masks = np.zeros((6, 20, 20), bool)
    areas = [40, 12, 100, 30, 5, 60]
    for i, area in enumerate(areas):
        masks[i].flat[:area] = True
    return Instances(
        masks, class_ids=[1, 1, 2, 3, 0, 1], scores=[0.9, 0.4, 0.7, 0.95, 0.2, 0.7],
        labels=["car", "car", "truck", "Person", "", "car"], descriptions=["a", "b", "c", "d", "e", "f"],
        classes={1: "car", 2: "truck", 3: "person", 7: "tree"}, extra=[{"n": i} for i in range(6)])


@pytest.fixture
def ctx() -> Context:
    """A standalone run context; ``ctx.warnings`` holds what the node warned about."""
    return Context.standalone("test")
