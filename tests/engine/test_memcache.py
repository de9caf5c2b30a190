"""The memory cache: least recently used entries go first, and it never exceeds its budget."""

from __future__ import annotations

import pytest

from thyra_graph.engine.memcache import CacheEntry, MemoryCache, default_memory_budget
from thyra_graph.types import Number


def entry(nbytes: int, value: float = 0.0) -> CacheEntry:
    return CacheEntry({"out": Number(value)}, nbytes=nbytes)


def test_a_stored_entry_is_returned():
    cache = MemoryCache(1000)
    stored = entry(10, 4.0)
    cache.put("k", stored)
    assert cache.get("k") is stored
    assert cache.get("other") is None


def test_the_oldest_entry_is_evicted_when_the_budget_is_exceeded():
    cache = MemoryCache(300)
    for key in ("a", "b", "c"):
        cache.put(key, entry(100))
    cache.put("d", entry(100))
    assert "a" not in cache
    assert all(key in cache for key in "bcd")
    assert cache.nbytes == 300


def test_a_recently_used_entry_is_kept():
    cache = MemoryCache(300)
    for key in ("a", "b", "c"):
        cache.put(key, entry(100))
    cache.get("a")  # now b is the least recently used
    cache.put("d", entry(100))
    assert "a" in cache and "b" not in cache


def test_a_large_entry_evicts_as_many_as_needed():
    cache = MemoryCache(300)
    for key in ("a", "b", "c"):
        cache.put(key, entry(100))
    cache.put("big", entry(250))
    assert list(k for k in "abc" if k in cache) == []
    assert "big" in cache and cache.nbytes == 250


def test_an_entry_larger_than_the_whole_budget_is_not_stored():
    cache = MemoryCache(300)
    cache.put("a", entry(100))
    cache.put("huge", entry(301))
    assert "huge" not in cache
    assert "a" in cache  # and nothing was evicted for it


def test_replacing_an_entry_counts_its_bytes_once():
    cache = MemoryCache(300)
    cache.put("a", entry(100))
    cache.put("a", entry(150))
    assert cache.nbytes == 150 and len(cache) == 1


def test_discard_and_clear_release_the_bytes():
    cache = MemoryCache(300)
    cache.put("a", entry(100))
    cache.put("b", entry(100))
    cache.discard("a")
    assert cache.nbytes == 100 and "a" not in cache
    cache.clear()
    assert cache.nbytes == 0 and len(cache) == 0


def test_the_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("THYRA_MEMORY_CACHE_MB", "1.5")
    assert default_memory_budget() == 1_572_864
    assert MemoryCache().max_bytes == 1_572_864
    monkeypatch.setenv("THYRA_MEMORY_CACHE_MB", "lots")
    with pytest.raises(ValueError, match="THYRA_MEMORY_CACHE_MB='lots'"):
        default_memory_budget()
