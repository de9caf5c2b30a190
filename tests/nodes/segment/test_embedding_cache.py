"""The SAM 2 embedding cache: encode once per image and model, in memory and in the run's store."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from thyra_graph.engine.context import Context  # noqa: E402
from thyra_graph.engine.resources import ResourceCache  # noqa: E402
from thyra_graph.engine.store import Store  # noqa: E402
from thyra_graph.nodes.segment import embedding_cache  # noqa: E402
from thyra_graph.nodes.segment.embedding_cache import embed_cached  # noqa: E402
from thyra_graph.nodes.segment.sam2_loading import load_segmenter  # noqa: E402
from thyra_graph.nodes.segment.segmenter import ImageEmbedding  # noqa: E402


@pytest.fixture
def counted(sam2_ctx, transformers_params):
    """The tiny segmenter with its image encoder call counted (the real encoder still runs)."""
    segmenter = load_segmenter(sam2_ctx, **transformers_params)
    calls = []
    real_embed = segmenter.embed
    segmenter.embed = lambda rgb: calls.append(1) or real_embed(rgb)
    return segmenter, calls


def fresh_context(cache_dir, resources=None):
    store = Store(cache_dir) if cache_dir is not None else None
    return Context("sam", "segment.sam2_points", resources=resources or ResourceCache(), store=store)


def test_new_prompts_on_the_same_image_reuse_the_embedding_and_run_only_the_decoder(discs, sam2_ctx, counted):
    segmenter, calls = counted
    first = segmenter.decode(embed_cached(sam2_ctx, segmenter, discs), points=np.array([[35.0, 40.0]]))
    second = segmenter.decode(embed_cached(sam2_ctx, segmenter, discs), points=np.array([[90.0, 55.0]]))
    assert calls == [1]
    assert first.masks.shape == second.masks.shape == (1, 96, 128)


def test_another_image_is_encoded_again(discs, sam2_ctx, counted):
    segmenter, calls = counted
    embed_cached(sam2_ctx, segmenter, discs)
    embed_cached(sam2_ctx, segmenter, discs[::-1].copy())
    assert len(calls) == 2


def test_the_embedding_survives_a_restart_through_the_disk_cache(discs, sam2_ctx, counted, tmp_path):
    segmenter, calls = counted
    stored = embed_cached(sam2_ctx, segmenter, discs)
    files = list((tmp_path / "cache" / "v2" / "memo-sam2-embeddings").rglob("*.thyra"))
    assert len(files) == 1
    # A new process: empty memory, same disk cache, same model.
    restarted = fresh_context(tmp_path / "cache", resources=sam2_ctx.resources)
    embedding_cache.memory_of(restarted).clear()
    loaded = embed_cached(restarted, segmenter, discs)
    assert calls == [1]
    assert (loaded.height, loaded.width, loaded.model_key) == (96, 128, segmenter.key)
    for name, array in stored.arrays.items():
        np.testing.assert_array_equal(loaded.arrays[name], array)
    a = segmenter.decode(stored, points=np.array([[35.0, 40.0]]))
    b = segmenter.decode(loaded, points=np.array([[35.0, 40.0]]))
    np.testing.assert_array_equal(a.masks, b.masks)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_damaged_embedding_record_is_deleted_and_recomputed(discs, sam2_ctx, counted, tmp_path, damage):
    segmenter, calls = counted
    first = embed_cached(sam2_ctx, segmenter, discs)
    path = next((tmp_path / "cache" / "v2" / "memo-sam2-embeddings").rglob("*.thyra"))
    data = path.read_bytes()
    path.write_bytes({"truncate": data[: len(data) // 2], "garbage": b"\x00" * 64 + data[64:], "empty": b""}[damage])
    embedding_cache.memory_of(sam2_ctx).clear()
    again = embed_cached(sam2_ctx, segmenter, discs)
    assert len(calls) == 2
    assert again.arrays["image_embed"].shape == first.arrays["image_embed"].shape
    key = path.stem
    assert embedding_cache.read_embedding(sam2_ctx, key, model_key=segmenter.key) is not None  # rewritten whole


def test_an_embedding_stored_by_another_model_is_not_used(tmp_path):
    ctx = fresh_context(tmp_path)
    embedding_cache.write_embedding(ctx, "e" * 64, ImageEmbedding({"a": np.zeros(3, np.float32)}, 4, 5, "model-a"))
    assert embedding_cache.read_embedding(ctx, "e" * 64, model_key="model-a") is not None
    assert embedding_cache.read_embedding(ctx, "e" * 64, model_key="model-b") is None


def test_without_a_disk_cache_embeddings_stay_in_memory(discs, counted, sam2_ctx):
    segmenter, calls = counted
    ctx = fresh_context(None, resources=sam2_ctx.resources)
    embed_cached(ctx, segmenter, discs)
    embed_cached(ctx, segmenter, discs)
    assert calls == [1]


def test_the_memory_keeps_only_the_most_recently_used_embeddings_that_fit_its_budget(discs, counted, monkeypatch):
    segmenter, calls = counted
    a, b, c = discs, discs[::-1].copy(), discs[:, ::-1].copy()
    monkeypatch.setattr(embedding_cache, "MEMORY_BYTES", 2 * segmenter.embed(a).nbytes())  # room for two
    calls.clear()
    ctx = fresh_context(None)  # no store: memory only
    for image in (a, b, a, c):  # a was used after b, so c pushes b out
        embed_cached(ctx, segmenter, image)
    assert len(calls) == 3
    embed_cached(ctx, segmenter, a)
    embed_cached(ctx, segmenter, c)
    assert len(calls) == 3
    embed_cached(ctx, segmenter, b)
    assert len(calls) == 4


def test_an_embedding_from_another_model_is_never_decoded(sam2_ctx, backend_params, discs):
    from dataclasses import replace

    from thyra_graph.engine.declaration import NodeError

    segmenter = load_segmenter(sam2_ctx, **{k: v for k, v in backend_params.items() if k != "unload"})
    foreign = replace(segmenter.embed(discs), model_key="another-model")
    with pytest.raises(NodeError, match="made by 'another-model'"):
        segmenter.decode(foreign, points=np.array([[35.0, 40.0]]))
