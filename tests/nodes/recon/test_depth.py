"""recon.depth: monocular depth through transformers, with tiny random Depth Anything models
loaded through the real loading path (no mocks, no download)."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.recon.depth import depth
from thyra_graph.types import Field, FrameSeries, Image

METRIC = "depth-anything/Depth-Anything-V2-Metric-Indoor-Small-hf"


def photo(seed: int, height: int = 45, width: int = 61) -> Image:
    return Image(np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8))


def test_relative_model_gives_inverse_depth_at_the_image_size(use_tiny_models):
    result = depth(photo(0))
    field = result["depth"]
    assert isinstance(field, Field) and field.names == ["inverse_depth"]
    assert field.meta["units"] == "relative"
    assert field.shape == (45, 61)
    values = field["inverse_depth"]
    assert values.dtype == np.float32 and np.isfinite(values).all() and values.std() > 0


def test_metric_model_gives_depth_in_metres(use_tiny_models):
    field = depth(photo(0), model=METRIC)["depth"]
    assert field.names == ["depth"] and field.meta["units"] == "metres"
    # Depth Anything's metric head is a sigmoid times max_depth (10 m in the tiny config).
    assert ((field["depth"] >= 0) & (field["depth"] <= 10)).all()


def test_frames_are_estimated_one_by_one_and_keep_their_frame_numbers(use_tiny_models):
    views = [photo(1), photo(2, 30, 40)]
    frames = FrameSeries.from_items([(3, 0.1, views[0]), (7, 0.3, views[1])])
    result = depth(frames=frames)
    series = result["depths"]
    assert series.frames.tolist() == [3, 7]
    assert [item.shape for item in series.items] == [(45, 61), (30, 40)]
    single = depth(views[1])["depth"]["inverse_depth"]
    np.testing.assert_allclose(series.items[1]["inverse_depth"], single, rtol=1e-5, atol=1e-6)
    assert not np.allclose(series.items[0]["inverse_depth"][:30, :40], single)


def test_missing_weights_name_the_model_and_how_to_get_them(use_tiny_models):
    with pytest.raises(NodeError, match=r"(?s)the depth model 'someone/no-such-depth-model'.*hf download"):
        depth(photo(0), model="someone/no-such-depth-model")


def test_exactly_one_input_is_needed(use_tiny_models):
    with pytest.raises(NodeError, match="exactly one"):
        depth()
    with pytest.raises(NodeError, match="exactly one"):
        depth(photo(0), frames=FrameSeries.from_items([(0, 0.0, photo(1))]))


def test_the_map_is_what_transformers_own_depth_pipeline_gives(use_tiny_models):
    from PIL import Image as PILImage
    from transformers import pipeline

    image = photo(3)
    folder = use_tiny_models / "depth-anything--Depth-Anything-V2-Small-hf"
    expected = pipeline("depth-estimation", model=str(folder))(PILImage.fromarray(image.data))["predicted_depth"]
    np.testing.assert_allclose(depth(image)["depth"]["inverse_depth"], expected.numpy(), rtol=1e-4, atol=1e-5)
