"""count.synthetic_scene: test scenes with a known count."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.synthetic import make_scene, synthetic_scene


def test_the_same_seed_draws_the_same_scene_and_another_seed_another():
    a = make_scene(width=128, height=128, count=50, seed=1)
    b = make_scene(width=128, height=128, count=50, seed=1)
    c = make_scene(width=128, height=128, count=50, seed=2)
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)


def test_objects_have_the_asked_sizes_and_clumped_ones_touch_a_neighbour():
    scene = make_scene(width=256, height=256, count=200, min_size=3, max_size=5, clump_fraction=0.5, seed=3)
    assert len(scene.xy) == 200 and scene.clumped.sum() >= 90
    assert scene.sizes.min() >= 3 and scene.sizes.max() <= 5
    gaps = np.hypot(*(scene.xy[:, None] - scene.xy[None]).transpose(2, 0, 1)) - (scene.sizes[:, None] + scene.sizes[None]) / 2
    np.fill_diagonal(gaps, np.inf)
    assert (gaps[scene.clumped].min(axis=1) <= 0.05).all()
    assert (gaps[~scene.clumped].min(axis=1) > 0).all()


def test_dark_scenes_have_a_bright_sky():
    assert make_scene(width=96, height=96, count=10, polarity="dark").image.mean() > 150


def test_the_node_returns_image_truth_and_count():
    result = synthetic_scene(width=128, height=96, count=30)
    assert result["image"].data.shape == (96, 128) and result["count"].value == len(result["points"]) == 30
    with pytest.raises(NodeError, match="swap them"):
        synthetic_scene(min_size=8, max_size=3)
