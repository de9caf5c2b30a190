"""count.learn_density and count.apply_density: a forest learned from dots counts images it never saw.

Small drawn scenes (≤ 256²) of the 'cars 8-14 px' family, few trees: each test runs in seconds.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import numpy as np
import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.declaration import NodeError
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.memcache import CacheEntry
from thyra_graph.nodes.count.from_dots import apply_density, learn_density
from thyra_graph.nodes.count.synthetic import family_scene
from thyra_graph.types import DensityModel, FrameSeries, Image, Points, Video

FAMILY = "cars 8-14 px"
SIDE = 256


@pytest.fixture(scope="module")
def scenes():
    """Image 0 of the family to learn from, images 1-2 to count (about 56 cars each)."""
    return [family_scene(FAMILY, seed, width=SIDE, height=SIDE) for seed in range(3)]


def central(xy: np.ndarray, count: int) -> list[list[float]]:
    """The ``count`` objects of the smallest square around the centre: a user dotting one area."""
    order = np.argsort(np.abs(xy - SIDE / 2).max(axis=1))
    return [[float(x), float(y), 1] for x, y in xy[order[:count]]]


def mean_error(model: DensityModel, held_out) -> float:
    errors = [apply_density(model, Image(s.image))["count"].value / len(s.xy) - 1 for s in held_out]
    return float(np.mean(np.abs(errors)))


@pytest.fixture(scope="module")
def learned(scenes):
    return learn_density(Image(scenes[0].image), points=central(scenes[0].xy, 30), trees=8)


def test_dots_on_one_area_count_other_images_of_the_family(scenes, learned):
    assert isinstance(learned["model"], DensityModel)
    assert mean_error(learned["model"], scenes[1:]) < 0.10
    density = apply_density(learned["model"], Image(scenes[1].image))["density"]
    assert density.shape == (SIDE, SIDE) and density.data.min() >= 0
    assert density.count == pytest.approx(apply_density(learned["model"], Image(scenes[1].image))["count"].value)


def test_more_dots_give_a_lower_error(scenes):
    few = learn_density(Image(scenes[0].image), points=central(scenes[0].xy, 5), trees=8)["model"]
    many = learn_density(Image(scenes[0].image), points=central(scenes[0].xy, 30), trees=8)["model"]
    assert mean_error(many, scenes[1:]) < mean_error(few, scenes[1:])


def test_background_clicks_teach_where_nothing_is(scenes):
    """Dots in one corner only: clicks on empty sky elsewhere stop the sky being counted."""
    scene = scenes[0]
    corner = scene.xy[(scene.xy[:, 0] < 110) & (scene.xy[:, 1] < 110)]
    dots = [[float(x), float(y), 1] for x, y in corner]
    grid = np.array([[x, y] for x in range(20, SIDE, 40) for y in range(20, SIDE, 40)], float)
    # Clicks more than a disc (as wide as the largest feature scale, here ~10 px) from any car's edge.
    empty = grid[np.linalg.norm(grid[:, None] - scene.xy[None], axis=2).min(axis=1) > 24]
    background = [[float(x), float(y), 0] for x, y in empty]
    alone = learn_density(Image(scene.image), points=dots, trees=8)["model"]
    helped = learn_density(Image(scene.image), points=dots + background, trees=8)["model"]
    assert helped.meta["background_clicks"] == len(background) >= 5
    assert mean_error(helped, scenes[1:]) < mean_error(alone, scenes[1:])


def test_the_same_seed_and_dots_give_the_same_model(scenes):
    points = central(scenes[0].xy, 20)
    first = learn_density(Image(scenes[0].image), points=points, trees=4, seed=3)["model"]
    second = learn_density(Image(scenes[0].image), points=points, trees=4, seed=3)["model"]
    assert np.array_equal(first.threshold, second.threshold) and np.array_equal(first.value, second.value)


def test_several_images_with_their_dots_train_one_model(scenes):
    halves = [family_scene(FAMILY, seed, width=128, height=128) for seed in (10, 11)]
    frames = FrameSeries.from_items([(i, 0.0, Image(s.image)) for i, s in enumerate(halves)])
    dots = FrameSeries.from_items([(i, 0.0, Points(s.xy)) for i, s in enumerate(halves)])
    model = learn_density(Image(scenes[0].image), points=central(scenes[0].xy, 10), frames=frames,
                          frame_points=dots, trees=8)["model"]
    assert model.meta["images"] == 3 and model.meta["dots"] == 10 + sum(len(s.xy) for s in halves)
    assert mean_error(model, scenes[1:]) < 0.15


def test_no_dots_is_an_error_that_says_how_to_give_them(scenes):
    with pytest.raises(NodeError, match="no dots to learn from: click on objects"):
        learn_density(Image(scenes[0].image), points=[[10.0, 10.0, 0]])


def test_a_dot_outside_the_image_is_refused_naming_it(scenes):
    with pytest.raises(NodeError, match=r"point 1 at \(x=300, y=12\) is outside the 256×256 image"):
        learn_density(Image(scenes[0].image), points=[[10.0, 10.0, 1], [300.0, 12.0, 1]])


def test_frames_without_their_dots_are_refused(scenes):
    frames = FrameSeries.from_items([(0, 0.0, Image(scenes[1].image))])
    with pytest.raises(NodeError, match="connect both 'frames'"):
        learn_density(Image(scenes[0].image), points=central(scenes[0].xy, 5), frames=frames)


def test_apply_needs_exactly_one_of_image_and_video(learned, scenes):
    with pytest.raises(NodeError, match="exactly one of its inputs 'image' and 'video'"):
        apply_density(learned["model"])


def test_every_frame_of_a_video_is_counted(learned, scenes, tmp_path):
    import cv2

    path = tmp_path / "cars.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (SIDE, SIDE))
    for scene in scenes[1:] * 2:
        writer.write(cv2.cvtColor(scene.image, cv2.COLOR_GRAY2BGR))
    writer.release()
    video = Video(str(path), fps=5.0, frame_count=4, width=SIDE, height=SIDE)
    result = apply_density(learned["model"], video=video, every_n=2)
    table = result["counts"]
    assert table["frame"].tolist() == [0, 2] and table["time"].tolist() == [0.0, 0.4]
    assert abs(table["count"][0] / len(scenes[1].xy) - 1) < 0.15
    assert result["count"].value == pytest.approx(float(np.mean(table["count"])))


def test_a_damaged_model_in_the_cache_is_refused_and_the_fault_logged(learned, tmp_path, caplog):
    cache = DiskCache(tmp_path)
    model = learned["model"]
    hostile = DensityModel(model.left.copy(), model.right.copy(), model.feature.copy(), model.threshold,
                           model.value, model.roots, model.settings, model.meta)
    hostile.left[0] = 0  # a node that is its own child: a walk that never ends
    key = "ab" + "3" * 38
    assert cache.put(key, CacheEntry({"model": hostile}, {}, 0), node_type="count.learn_density")
    with caplog.at_level(logging.WARNING, logger="thyra"):
        assert cache.get(key) is None
    assert "node 0's left child 0 does not lie after it" in caplog.text
    assert not cache.store.path_for("results", key).exists()


TARGETS = ["learn.model", "apply.count", "blobs.count"]


def graph(scenes_seed: int = 1) -> Graph:
    registry = default_registry()
    graph = Graph(registry)
    drawn = {"width": 192, "height": 192, "count": 40, "min_size": 8, "max_size": 14}
    graph.add_node("count.synthetic_scene", "train", params={**drawn, "seed": 0})
    graph.add_node("count.learn_density", "learn", params={"annotated": "whole image", "trees": 4})
    graph.add_node("count.synthetic_scene", "scene", params={**drawn, "seed": scenes_seed})
    graph.add_node("count.apply_density", "apply")
    graph.add_node("count.blobs", "blobs")
    graph.connect("train.image", "learn.image")
    graph.connect("train.points", "learn.dots")
    graph.connect("learn.model", "apply.model")
    graph.connect("scene.image", "apply.image")
    graph.connect("scene.image", "blobs.image")
    return graph


def test_one_more_dot_retrains_only_the_learner_and_what_follows(tmp_path):
    g = graph()
    executor = Executor(disk=DiskCache(tmp_path))
    first = executor.run(g, TARGETS)
    assert first.ok, {n: r.error for n, r in first.nodes.items() if r.error}
    g.set_param("learn", "points", [[5.0, 5.0, 0]])  # one more click (on background)
    second = executor.run(g, TARGETS)
    statuses = {node: result.status for node, result in second.nodes.items()}
    assert statuses == {"train": "cached", "scene": "cached", "blobs": "cached", "learn": "executed",
                        "apply": "executed"}


RUN_IN_A_NEW_PROCESS = """
import json, sys
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
sys.path.insert(0, sys.argv[2])
from test_learn_density import TARGETS, graph
result = Executor(disk=DiskCache(sys.argv[1])).run(graph(), TARGETS)
print(json.dumps({"status": {n: r.status for n, r in result.nodes.items()},
                  "count": result.outputs["apply.count"].value, "model": result.outputs["learn.model"].n_trees}))
"""


def test_the_model_survives_the_disk_cache_into_another_process(tmp_path):
    from pathlib import Path

    here = str(Path(__file__).parent)
    runs = [json.loads(subprocess.run([sys.executable, "-c", RUN_IN_A_NEW_PROCESS, str(tmp_path), here],
                                      capture_output=True, text=True, timeout=300, check=True).stdout.splitlines()[-1])
            for _ in range(2)]
    assert runs[0]["status"]["learn"] == "executed"
    assert runs[1]["status"]["learn"] == "cached" and runs[1]["status"]["apply"] == "cached"
    assert runs[1]["count"] == runs[0]["count"] and runs[1]["model"] == 4


def test_clicks_on_the_preview_edit_the_dots():
    from thyra_graph.editor.prompting import apply_click, image_input, prompt_param

    spec = default_registry()["count.learn_density"]
    assert prompt_param(spec) == "points" and image_input(spec) == "image"
    dots = apply_click(apply_click([], 10, 12), 40, 30, negative=True)
    assert dots == [[10.0, 12.0, 1], [40.0, 30.0, 0]]
    assert spec.param("points").coerce(dots) == dots


def test_the_example_graph_counts_the_unseen_image(tmp_path, monkeypatch):
    from pathlib import Path

    from thyra_graph.engine.graphfile import load_graph_file

    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    loaded = load_graph_file(Path(__file__).resolve().parents[3] / "graphs" / "count_from_dots.yaml", default_registry())
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    result = Executor(disk=DiskCache(tmp_path / "cache")).run(loaded.graph, ["apply.count", "scene.count"])
    assert result.ok, {n: r.error for n, r in result.nodes.items() if r.error}
    truth = result.outputs["scene.count"].value
    assert abs(result.outputs["apply.count"].value / truth - 1) < 0.08


def test_a_big_image_is_counted_in_bands_with_the_same_answer(learned, scenes, monkeypatch):
    from thyra_graph.nodes.count import density_forest

    whole = apply_density(learned["model"], Image(scenes[1].image))["density"].data
    monkeypatch.setattr(density_forest, "BAND_BYTES", 4 * learned["model"].n_features * SIDE * 24)  # 24 rows
    banded = apply_density(learned["model"], Image(scenes[1].image))["density"].data
    np.testing.assert_allclose(banded, whole, rtol=1e-4, atol=1e-6)


def test_a_big_image_is_learned_from_in_bands_with_the_same_features(scenes, monkeypatch):
    from thyra_graph.nodes.count import density_forest

    sigmas = [0.7, 1.4, 2.8, 5.6]
    pixels = np.random.default_rng(0).choice(SIDE * SIDE, 500, replace=False)
    grey = scenes[0].image.astype(np.float32) / 255
    whole, planes = density_forest.features_at(grey, sigmas, pixels)
    assert planes is not None
    monkeypatch.setattr(density_forest, "BAND_BYTES", 4 * len(sigmas) * 7 * SIDE * 32)  # 32 rows
    banded, planes = density_forest.features_at(grey, sigmas, pixels)
    assert planes is None
    np.testing.assert_allclose(banded, whole, rtol=1e-4, atol=1e-5)
