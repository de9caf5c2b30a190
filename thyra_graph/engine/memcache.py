"""The in-process memory cache: LRU bounded in bytes."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from thyra_graph.types import PortType


@dataclass
class CacheEntry:
    """A node's outputs, plus the state of the files it wrote (sinks)."""

    outputs: dict[str, PortType]
    files: dict[str, Any] = field(default_factory=dict)  # path -> [size, mtime_ns]
    nbytes: int = 0


def default_memory_budget() -> int:
    """``THYRA_MEMORY_CACHE_MB`` (megabytes), else 2 GiB."""
    raw = os.environ.get("THYRA_MEMORY_CACHE_MB", "").strip()
    if raw:
        try:
            return max(0, int(float(raw) * (1 << 20)))
        except ValueError:
            raise ValueError(f"THYRA_MEMORY_CACHE_MB={raw!r} is not a number of megabytes") from None
    return 2 << 30


class MemoryCache:
    """LRU over node results, bounded by the bytes the values report (``nbytes()``)."""

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = default_memory_budget() if max_bytes is None else max_bytes
        self._items: OrderedDict[str, CacheEntry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
            return entry

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def put(self, key: str, entry: CacheEntry) -> None:
        if entry.nbytes > self.max_bytes:
            return  # larger than the whole budget: keeping it would evict everything else
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = entry
            self._bytes += entry.nbytes
            while self._bytes > self.max_bytes and self._items:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes

    def discard(self, key: str) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
