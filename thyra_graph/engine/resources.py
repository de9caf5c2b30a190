"""The resource cache: heavy objects (models) loaded once per process and shared by nodes.

Keyed by whatever identifies the object (model id + device + dtype). Entries are released on
request (``release``), when the byte budget is exceeded (least recently used first), or all at
once (``clear``), e.g. to free GPU memory as the seed scripts do.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable


class ResourceCache:
    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.RLock()
        self._loading: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, loader: Callable[[], Any], *, nbytes: int = 0) -> Any:
        """Return the object for ``key``, calling ``loader()`` once per process to make it."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            key_lock = self._loading.setdefault(key, threading.Lock())
        # One loader per key at a time; other keys load concurrently.
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key][0]
            value = loader()
            with self._lock:
                self._items[key] = (value, nbytes)
                self._evict()
            return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def release(self, key: Hashable) -> bool:
        with self._lock:
            return self._items.pop(key, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._items)

    def _evict(self) -> None:
        if self.max_bytes is None:
            return
        total = sum(size for _, size in self._items.values())
        while total > self.max_bytes and len(self._items) > 1:
            _, (_, size) = self._items.popitem(last=False)
            total -= size
