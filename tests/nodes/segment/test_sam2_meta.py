"""The sam2 backend: Meta's package with a .pt checkpoint and a hydra config (tiny model, CPU)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sam2")

from thyra_graph.engine.declaration import NodeError  # noqa: E402
from thyra_graph.nodes.segment.embedding_cache import embed_cached, memory_of  # noqa: E402
from thyra_graph.nodes.segment.sam2_loading import load_segmenter  # noqa: E402


def test_a_local_config_and_checkpoint_embed_and_decode_at_the_image_size(discs, sam2_ctx, meta_params):
    segmenter = load_segmenter(sam2_ctx, **meta_params)
    embedding = segmenter.embed(discs)
    assert (embedding.height, embedding.width) == (96, 128)
    assert set(embedding.arrays) == {"high_res_0", "high_res_1", "image_embed"}
    single = segmenter.decode(embedding, points=np.array([[35.0, 40.0]]), point_labels=np.array([1]))
    several = segmenter.decode(embedding, box=np.array([15.0, 20.0, 55.0, 60.0]), multimask=True)
    assert single.masks.shape == (1, 96, 128) and single.masks.dtype == bool
    assert several.masks.shape == (3, 96, 128) and list(several.scores) == sorted(several.scores, reverse=True)


def test_decoding_a_restored_embedding_matches_decoding_right_after_set_image(discs, sam2_ctx, meta_params):
    segmenter = load_segmenter(sam2_ctx, **meta_params)
    predictor = segmenter.predictor
    predictor.set_image(discs)
    direct, direct_scores, _ = predictor.predict(point_coords=np.array([[35.0, 40.0]]), point_labels=np.array([1]),
                                                 multimask_output=True)
    predictor.reset_predictor()
    restored = segmenter.decode(segmenter.embed(discs), points=np.array([[35.0, 40.0]]), multimask=True)
    order = np.argsort(-direct_scores, kind="stable")
    np.testing.assert_allclose(restored.scores, direct_scores[order], rtol=1e-5)
    np.testing.assert_array_equal(restored.masks, direct[order] > 0.5)


def test_new_prompts_reuse_the_cached_embedding_also_after_a_restart(discs, sam2_ctx, meta_params):
    segmenter = load_segmenter(sam2_ctx, **meta_params)
    calls = []
    real_embed = segmenter.embed
    segmenter.embed = lambda rgb: calls.append(1) or real_embed(rgb)
    embed_cached(sam2_ctx, segmenter, discs)
    embed_cached(sam2_ctx, segmenter, discs)
    memory_of(sam2_ctx).clear()  # memory gone, disk cache stays
    restored = embed_cached(sam2_ctx, segmenter, discs)
    assert calls == [1]
    assert segmenter.decode(restored, points=np.array([[90.0, 55.0]])).masks.shape == (1, 96, 128)


def test_a_checkpoint_that_does_not_fit_the_config_says_to_pick_the_matching_config(sam2_ctx, meta_params):
    with pytest.raises(NodeError, match="does not fit config 'configs/sam2.1/sam2.1_hiera_s.yaml'.*same size"):
        load_segmenter(sam2_ctx, **{**meta_params, "config": "configs/sam2.1/sam2.1_hiera_s.yaml"})


def test_a_config_that_would_build_foreign_classes_is_refused(sam2_ctx, meta_params, tmp_path):
    from pathlib import Path

    text = Path(meta_params["config"]).read_text(encoding="utf-8")
    evil = tmp_path / "evil.yaml"
    evil.write_text(text.replace("sam2.modeling.position_encoding.PositionEmbeddingSine", "os.system", 1),
                    encoding="utf-8")
    with pytest.raises(NodeError, match="names 'os.system'; only sam2"):
        load_segmenter(sam2_ctx, **{**meta_params, "config": str(evil)})


def test_a_file_that_is_not_a_meta_checkpoint_is_refused_clearly(sam2_ctx, meta_params, tmp_path):
    import torch

    bad = tmp_path / "weights.pt"
    torch.save({"state_dict": {}}, bad)
    with pytest.raises(NodeError, match="is not a SAM 2 checkpoint"):
        load_segmenter(sam2_ctx, **{**meta_params, "model": str(bad)})


def test_a_hub_id_finds_meta_checkpoint_in_the_models_dir(sam2_ctx, meta_params, monkeypatch, sam2_models):
    # facebook/sam2.1-hiera-tiny → sam2.1_hiera_tiny.pt; a local config replaces the package one.
    segmenter = load_segmenter(sam2_ctx, **{**meta_params, "model": "facebook/sam2.1-hiera-tiny"})
    assert segmenter.key.startswith("sam2-sam2-sam2.1_hiera_tiny.pt")


def test_a_transformers_id_that_is_not_a_checkpoint_asks_for_a_pt_file(sam2_ctx, meta_params):
    with pytest.raises(NodeError, match="model must be a .pt checkpoint"):
        load_segmenter(sam2_ctx, **{**meta_params, "model": "someone/my-sam"})
