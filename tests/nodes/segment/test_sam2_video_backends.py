"""The video trackers of both backends, on one chunk of frames, with the tiny models."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.segment.sam2_video_backends import ObjectPrompt, load_tracker, unload_tracker


def frames(count: int = 4, height: int = 40, width: int = 56) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(count)]


def tracker_for(params: dict, ctx):
    return load_tracker(ctx, backend=params["backend"], model=params["model"], config=params.get("config", ""),
                        device="cpu", precision="auto")


def test_a_tracker_answers_every_frame_from_the_first_prompt_with_objects_from_their_own(backend_params, sam2_ctx):
    tracker = tracker_for(backend_params, sam2_ctx)
    chunk = frames(5)
    prompts = {1: [ObjectPrompt(4, points=np.array([[10.0, 10.0]]), labels=np.array([1]))],
               3: [ObjectPrompt(9, box=np.array([20.0, 5.0, 50.0, 30.0]))]}
    tracked = list(tracker.track(chunk, prompts))
    assert [t.index for t in tracked] == [1, 2, 3, 4]
    assert [t.object_ids for t in tracked] == [[4], [4], [4, 9], [4, 9]]
    for t in tracked:
        assert t.masks.shape == (len(t.object_ids), 40, 56) and t.masks.dtype == bool
        assert t.scores.dtype == np.float32 and ((t.scores >= 0) & (t.scores <= 1)).all()


def test_a_mask_prompt_is_the_objects_mask_on_its_frame(backend_params, sam2_ctx):
    tracker = tracker_for(backend_params, sam2_ctx)
    mask = np.zeros((40, 56), bool)
    mask[8:24, 16:40] = True
    first = next(iter(tracker.track(frames(2), {0: [ObjectPrompt(2, mask=mask)]})))
    assert first.object_ids == [2]
    # Both backends use a mask prompt as the output on its frame (resized to the model and back).
    overlap = (first.masks[0] & mask).sum() / (first.masks[0] | mask).sum()
    assert overlap > 0.8


def test_the_model_is_loaded_once_and_unloaded_on_request(transformers_params, sam2_ctx):
    one = tracker_for(transformers_params, sam2_ctx)
    assert tracker_for(transformers_params, sam2_ctx) is one
    unload_tracker(sam2_ctx, one)
    assert tracker_for(transformers_params, sam2_ctx) is not one


def test_a_meta_checkpoint_with_the_transformers_backend_is_refused_clearly(sam2_models, sam2_ctx):
    with pytest.raises(NodeError, match="backend: sam2"):
        load_tracker(sam2_ctx, backend="transformers", model="checkpoints/sam2.1_hiera_tiny.pt", config="",
                     device="cpu", precision="auto")


def test_missing_weights_offline_name_the_model(sam2_models, sam2_ctx):
    with pytest.raises(NodeError, match="facebook/sam2.1-hiera-large.*offline"):
        load_tracker(sam2_ctx, backend="transformers", model="facebook/sam2.1-hiera-large", config="",
                     device="cpu", precision="auto")


def test_a_video_config_that_would_build_foreign_classes_is_refused(sam2_ctx, meta_params, tmp_path):
    from pathlib import Path

    text = Path(meta_params["config"]).read_text(encoding="utf-8")
    evil = tmp_path / "evil.yaml"
    evil.write_text(text.replace("sam2.modeling.position_encoding.PositionEmbeddingSine", "os.system", 1),
                    encoding="utf-8")
    params = {k: v for k, v in meta_params.items() if k in ("backend", "model", "device")}
    with pytest.raises(NodeError, match="names 'os.system'; only sam2"):
        load_tracker(sam2_ctx, **params, config=str(evil), precision="auto")
