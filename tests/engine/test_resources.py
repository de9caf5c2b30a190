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
