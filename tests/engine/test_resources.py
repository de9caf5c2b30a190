"""The resource cache: heavy objects load once per process and can be released."""

import threading

from thyra_graph.engine.resources import ResourceCache


def test_resource_is_loaded_once_per_key():
    cache = ResourceCache()
    calls = []
    loader = lambda: calls.append(1) or object()  # noqa: E731
    first = cache.get(("model", "cpu", "fp32"), loader)
    second = cache.get(("model", "cpu", "fp32"), loader)
    assert first is second
    assert len(calls) == 1


def test_different_device_or_dtype_is_a_different_resource():
    cache = ResourceCache()
    a = cache.get(("model", "cpu", "fp32"), object)
    b = cache.get(("model", "cuda", "fp16"), object)
    assert a is not b


def test_concurrent_requests_share_one_load():
    cache = ResourceCache()
    calls = []
    barrier = threading.Barrier(4)

    def load():
        calls.append(1)
        return object()

    results = []

    def worker():
        barrier.wait()
        results.append(cache.get("model", load))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_release_unloads_and_next_get_reloads():
    cache = ResourceCache()
    first = cache.get("model", object)
    assert cache.release("model")
    assert "model" not in cache
    assert cache.get("model", object) is not first


def test_byte_budget_evicts_least_recently_used():
    cache = ResourceCache(max_bytes=100)
    cache.get("a", object, nbytes=60)
    cache.get("b", object, nbytes=30)
    cache.get("a", object)  # touch a: b is now the oldest
    cache.get("c", object, nbytes=30)
    assert "a" in cache and "c" in cache
    assert "b" not in cache


def test_clear_releases_everything():
    cache = ResourceCache()
    cache.get("a", object)
    cache.get("b", object)
    cache.clear()
    assert cache.keys() == []


# -- budgets: least recently used first, per memory pool ----------------------------------------
import pytest  # noqa: E402

from thyra_graph.engine.declaration import NodeError  # noqa: E402
from thyra_graph.engine.resources import parse_budget  # noqa: E402


def test_budget_sizes_and_shares():
    assert parse_budget("8GB", total=None, source="X") == 8 * 10**9
    assert parse_budget("512MiB", total=None, source="X") == 512 * 2**20
    assert parse_budget("1.5g", total=None, source="X") == 1_500_000_000
    assert parse_budget("60%", total=1000, source="X") == 600
    assert parse_budget("60%", total=None, source="X") is None
    with pytest.raises(NodeError, match="THYRA_MODEL_RAM_BUDGET='lots' is not a memory budget"):
        parse_budget("lots", total=None, source="THYRA_MODEL_RAM_BUDGET")


def test_the_environment_sets_the_ram_budget(monkeypatch):
    monkeypatch.setenv("THYRA_MODEL_RAM_BUDGET", "25")
    cache = ResourceCache()
    for name in "abc":
        cache.get(name, object, nbytes=10)
    assert cache.keys() == ["b", "c"] and cache.stats.evictions == 1


def test_gpu_models_count_against_their_gpu_not_the_ram():
    freed = []
    cache = ResourceCache(max_bytes=100, gpu_max_bytes=15)
    cache.set_capacity("cuda:0", 16)
    cache.get("ram-model", object, nbytes=50)
    cache.get("gpu-a", object, nbytes=10, device="cuda:0", on_free=lambda: freed.append("a"))
    cache.get("gpu-b", object, nbytes=10, device="cuda:0")
    assert cache.keys() == ["ram-model", "gpu-b"]  # only the GPU pool was over its budget
    assert freed == ["a"]  # the device's memory is handed back (torch.cuda.empty_cache there)
    assert cache.usage("cuda:0") == 10 and cache.usage("ram") == 50


def test_measured_size_replaces_the_estimate():
    cache = ResourceCache(max_bytes=100)
    cache.get("big", object, nbytes=1, measure=lambda _: {"ram": 90})
    cache.get("small", object, nbytes=20)  # 90 + 20 > 100: the big one goes
    assert cache.keys() == ["small"]


def test_eviction_under_concurrent_loads_keeps_the_budget_and_loses_nothing():
    cache = ResourceCache(max_bytes=50)
    barrier = threading.Barrier(8)
    errors = []

    def worker(i):
        try:
            barrier.wait()
            for round_ in range(20):
                value = cache.get((i, round_ % 3), lambda: [i], nbytes=10)
                assert value == [i]
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.usage("ram") <= 50
    assert cache.stats.loads - cache.stats.frees == len(cache.keys())
