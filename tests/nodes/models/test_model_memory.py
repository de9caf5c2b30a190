"""Loaded models are values the engine schedules: one copy per identity, measured, freed least
recently used under a memory budget, on per-device locks. Real tiny torch models throughout."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from thyra_graph.engine.context import Context  # noqa: E402
from thyra_graph.engine.resources import ResourceCache  # noqa: E402
from thyra_graph.nodes.models.loading import ModelIdentity, model_memory  # noqa: E402
from thyra_graph.nodes.recon.depth import depth  # noqa: E402
from thyra_graph.types import Image  # noqa: E402

RELATIVE = "depth-anything--Depth-Anything-V2-Small-hf"


@pytest.fixture
def three_models(tiny_models_dir, tmp_path, monkeypatch):
    """Three copies of the tiny depth model: three distinct models of one size."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folders = []
    for name in "abc":
        folder = tmp_path / f"depth-{name}"
        shutil.copytree(tiny_models_dir / RELATIVE, folder)
        folders.append(str(folder))
    return folders


def photo() -> Image:
    return Image(np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8))


def run_depth(cache: ResourceCache, model: str, *, unload: bool = False) -> None:
    ctx = Context("depth", "recon.depth", resources=cache)
    try:
        depth(photo(), model=model, device="cpu", precision="auto", unload=unload, ctx=ctx)
    finally:
        ctx.finish()


def loaded_sources(cache: ResourceCache) -> list[str]:
    return [key.source.rsplit("/", 1)[-1] for key in cache.keys() if isinstance(key, ModelIdentity)]


def model_size(cache: ResourceCache) -> int:
    return cache.usage("ram") // max(1, len(loaded_sources(cache)))


def test_a_budget_below_three_models_evicts_the_least_recently_used(three_models):
    probe = ResourceCache(max_bytes=10**12)
    run_depth(probe, three_models[0])
    size = model_size(probe)
    assert size > 0  # measured from the loaded torch parameters, not guessed

    cache = ResourceCache(max_bytes=int(2.5 * size))
    a, b, c = three_models
    run_depth(cache, a)
    run_depth(cache, b)
    assert (cache.stats.loads, cache.stats.evictions) == (2, 0)
    run_depth(cache, c)  # a is the least recently used
    assert loaded_sources(cache) == ["depth-b", "depth-c"]
    assert (cache.stats.loads, cache.stats.frees, cache.stats.evictions) == (3, 1, 1)
    run_depth(cache, b)  # a hit: b becomes the most recently used
    run_depth(cache, a)  # so c goes
    assert loaded_sources(cache) == ["depth-b", "depth-a"]
    assert (cache.stats.loads, cache.stats.hits, cache.stats.evictions) == (4, 1, 2)
    assert cache.usage("ram") <= cache.budget("ram")


def test_nodes_naming_the_same_model_share_one_load(three_models):
    cache = ResourceCache()
    for _ in range(3):
        run_depth(cache, three_models[0])
    assert cache.stats.loads == 1 and cache.stats.hits == 2
    assert len(loaded_sources(cache)) == 1


def test_unload_frees_the_model_and_counts_it(three_models):
    cache = ResourceCache()
    run_depth(cache, three_models[0], unload=True)
    assert loaded_sources(cache) == [] and cache.stats.frees == 1
    assert cache.usage("ram") == 0


def test_a_model_in_use_is_never_evicted_under_it(three_models):
    cache = ResourceCache(max_bytes=1)  # smaller than any model
    holder = Context("long", "recon.depth", resources=cache)
    from thyra_graph.nodes.recon.depth import load_depth_model

    held = load_depth_model(holder, model=three_models[0], device="cpu", precision="auto")
    run_depth(cache, three_models[1])  # needs room, but the held model stays
    assert "depth-a" in loaded_sources(cache)
    holder.finish()
    run_depth(cache, three_models[2])  # now it may go
    assert "depth-a" not in loaded_sources(cache)
    del held


def test_model_memory_counts_parameters_and_buffers_once():
    import torch

    shared = torch.nn.Linear(10, 10)  # 110 float32 values
    holder = type("Holder", (), {})()
    holder.encoder, holder.decoder = shared, shared
    holder.extra = torch.nn.BatchNorm1d(4)  # 8 parameters, 8 running stats + a step counter
    assert model_memory(holder) == {"ram": 110 * 4 + 16 * 4 + 8}


# -- devices --------------------------------------------------------------------------------------
def test_a_cpu_node_never_waits_for_a_busy_gpu():
    gpu_user, cpu_user = Context("g", "t"), Context("c", "t")
    gpu_user.claim_device("cuda:0")
    try:
        done = threading.Event()
        threading.Thread(target=lambda: (cpu_user.claim_device("cpu"), done.set())).start()
        assert done.wait(2)
    finally:
        gpu_user.finish()


def test_two_gpus_serve_two_nodes_and_cuda_means_cuda_0():
    first, second, third = Context("a", "t"), Context("b", "t"), Context("c", "t")
    first.claim_device("cuda:0")
    try:
        other = threading.Event()
        threading.Thread(target=lambda: (second.claim_device("cuda:1"), other.set())).start()
        assert other.wait(2)  # cuda:1 is free while cuda:0 is held
        same = threading.Event()
        waiter = threading.Thread(target=lambda: (third.claim_device("cuda"), same.set()))
        waiter.start()
        assert not same.wait(0.3)  # "cuda" is cuda:0, which is taken
    finally:
        first.finish()
        second.finish()
    assert same.wait(2)
    waiter.join()
    third.finish()


def test_a_context_dropped_without_finish_still_releases_its_device():
    import gc

    ctx = Context("a", "t")
    ctx.claim_device("cuda:3")
    del ctx
    gc.collect()
    again = Context("b", "t")
    done = threading.Event()
    threading.Thread(target=lambda: (again.claim_device("cuda:3"), done.set())).start()
    assert done.wait(2)
    again.finish()
