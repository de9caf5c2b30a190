"""The resource cache: heavy objects (models) loaded once per process, shared, evicted under a budget.

Design
------
A loaded model is a value the engine schedules, not a node's private global. Every model
node asks this one cache for it, under a key that identifies the model completely (weights +
backend + device + dtype, built by ``thyra_graph.nodes.models.loading``); nodes that name the
same model therefore share one copy, and a Ray actor or a ``--jobs`` worker, each holding one
executor, loads it once for all the inputs it runs.

Memory is accounted per *pool*: the machine's RAM (``ram``) and each accelerator (``cuda:0``,
``cuda:1``, …). An entry records its size in every pool it occupies: the loader's estimate
(bytes of the weight files) before loading, then what was measured on the loaded object (torch
parameters and buffers, by the device each tensor lives on). Each pool has a budget:

- RAM: ``max_bytes``, else ``THYRA_MODEL_RAM_BUDGET``, else half of the machine's memory;
- each GPU: ``gpu_max_bytes``, else ``THYRA_MODEL_GPU_BUDGET``, else 90 % of the device's
  memory once the loading code has told the cache how big it is (:meth:`set_capacity`).

Budgets are sizes (``8GB``, ``512MiB``, ``1.5G``, a byte count: :mod:`.sizes`) or a share of
the pool (``60%``). Before a load, least-recently-used entries of the target pool are freed until the
estimate fits; after the load, again by the measured size. An entry a running node still holds
(``holder``, normally its run context) is never evicted; when only held entries are left the
budget is exceeded and a warning is logged, since failing a run for a soft budget would be worse.
Freeing drops the cache's reference, runs the garbage collector and the entry's ``on_free``
hook (``torch.cuda.empty_cache`` for a GPU model), so the memory really returns.

Counters (:attr:`stats`) say how many loads, hits, frees and evictions happened: tests and the
batch runner count loads through them.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Mapping

from .declaration import NodeError
from .devices import RAM, memory_pool
from .sizes import parse_size

log = logging.getLogger("thyra.resources")

RAM_BUDGET_ENV = "THYRA_MODEL_RAM_BUDGET"
GPU_BUDGET_ENV = "THYRA_MODEL_GPU_BUDGET"
#: Share of the machine's memory that models may hold when no budget is set.
DEFAULT_RAM_SHARE = 0.5
#: Share of a GPU's memory that models may hold when no budget is set (the rest: activations).
DEFAULT_GPU_SHARE = 0.9

_SHARE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")


@dataclass
class ResourceStats:
    """What the cache did since it was made: loader calls, cache hits, entries freed (of them,
    by budget eviction)."""

    loads: int = 0
    hits: int = 0
    frees: int = 0
    evictions: int = 0


@dataclass
class _Entry:
    value: Any
    sizes: dict[str, int]
    on_free: Callable[[], None] | None = None
    holders: weakref.WeakSet = field(default_factory=weakref.WeakSet)


def parse_budget(text: str, *, total: int | None, source: str) -> int | None:
    """Bytes from ``8GB`` / ``512MiB`` / ``1.5g`` / ``123456`` / ``60%`` (of ``total``).

    ``None`` when the share cannot be computed yet (``total`` unknown). A value that is neither
    raises a NodeError naming ``source`` (the variable) and the accepted forms.
    """
    share = _SHARE.match(text)
    if share:
        return None if total is None else int(total * float(share.group(1)) / 100)
    try:
        return parse_size(text)
    except ValueError:
        raise NodeError(f"{source}={text!r} is not a memory budget: write a size such as 8GB, 512MiB or 2000000000 "
                        "(bytes), or a share such as 60%; unset it for the default") from None


def physical_memory() -> int | None:
    """The machine's RAM in bytes, where the OS tells it through ``sysconf`` (Linux, macOS)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None  # Windows: no sysconf; without a budget set, models are not evicted there


class ResourceCache:
    """Heavy objects by key, loaded once per process, freed least-recently-used under budgets.

    ``max_bytes`` is the RAM budget and ``gpu_max_bytes`` the budget of each GPU; ``None``
    takes the environment's or the default (module docstring).
    """

    def __init__(self, max_bytes: int | None = None, *, gpu_max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.gpu_max_bytes = gpu_max_bytes
        self.stats = ResourceStats()
        self._items: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.RLock()
        self._loading: dict[Hashable, threading.Lock] = {}
        self._capacity: dict[str, int] = {}
        self._budgets: dict[str, int | None] = {}
        self._reserved: dict[str, int] = {}  # estimates of loads in progress, per pool

    # -- getting ------------------------------------------------------------------------------
    def get(self, key: Hashable, loader: Callable[[], Any], *, nbytes: int = 0, device: str = "cpu",
            measure: Callable[[Any], Mapping[str, int]] | None = None, on_free: Callable[[], None] | None = None,
            holder: object | None = None) -> Any:
        """Return the object for ``key``, calling ``loader()`` once per process to make it.

        ``nbytes`` estimates its size on ``device`` before it is loaded; ``measure(value)``, when
        given, returns its real size per pool afterwards. ``on_free`` runs after it was freed.
        While ``holder`` (weakly referenced) holds it, it is not evicted (see :meth:`let_go`).
        """
        with self._lock:
            entry = self._hit(key, holder)
            if entry is not None:
                return entry.value
            key_lock = self._loading.setdefault(key, threading.Lock())
        # One loader per key at a time; other keys load concurrently.
        with key_lock:
            pool = memory_pool(device)
            with self._lock:
                entry = self._hit(key, holder)
                if entry is not None:
                    return entry.value
                freed = self._evict({pool: nbytes}, keep=key)
                self._reserved[pool] = self._reserved.get(pool, 0) + nbytes
            self._finish_freeing(freed)
            try:
                value = loader()
            finally:
                with self._lock:
                    self._reserved[pool] -= nbytes
            sizes = {p: int(n) for p, n in (measure(value) if measure is not None else {}).items() if n}
            with self._lock:
                entry = _Entry(value, sizes or ({pool: int(nbytes)} if nbytes else {}), on_free)
                if holder is not None:
                    entry.holders.add(holder)
                self._items[key] = entry
                self.stats.loads += 1
                freed = self._evict({}, keep=key)
            self._finish_freeing(freed)
            return value

    def let_go(self, key: Hashable, holder: object) -> None:
        """``holder`` no longer uses ``key``: it may be evicted again."""
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                entry.holders.discard(holder)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._items)

    # -- freeing ------------------------------------------------------------------------------
    def release(self, key: Hashable) -> bool:
        """Free ``key`` now (a node's ``unload``), even while held. False when it was not loaded."""
        with self._lock:
            entry = self._items.pop(key, None)
            if entry is not None:
                self.stats.frees += 1
        if entry is None:
            return False
        freed = [entry]
        del entry  # _finish_freeing must hold the last reference the cache had
        self._finish_freeing(freed)
        return True

    def clear(self) -> None:
        """Free everything."""
        with self._lock:
            freed = list(self._items.values())
            self._items.clear()
            self.stats.frees += len(freed)
        self._finish_freeing(freed)

    # -- memory -------------------------------------------------------------------------------
    def set_capacity(self, pool: str, nbytes: int) -> None:
        """The total memory of a device pool (told by the code that loads onto it)."""
        with self._lock:
            if self._capacity.get(pool) != nbytes:
                self._capacity[pool] = int(nbytes)
                self._budgets.pop(pool, None)

    def usage(self, pool: str = RAM) -> int:
        """Bytes the loaded entries occupy in ``pool``."""
        with self._lock:
            return sum(entry.sizes.get(pool, 0) for entry in self._items.values())

    def budget(self, pool: str = RAM) -> int | None:
        """The budget of ``pool`` in bytes; ``None``: unbounded (or not known yet)."""
        with self._lock:
            if pool not in self._budgets:
                budget = self._resolve_budget(pool)
                if budget is None and pool != RAM and pool not in self._capacity:
                    return None  # ask again once the device's size is known
                self._budgets[pool] = budget
            return self._budgets[pool]

    def _resolve_budget(self, pool: str) -> int | None:
        explicit, variable = (self.max_bytes, RAM_BUDGET_ENV) if pool == RAM else (self.gpu_max_bytes, GPU_BUDGET_ENV)
        if explicit is not None:
            return int(explicit)
        total = physical_memory() if pool == RAM else self._capacity.get(pool)
        text = os.environ.get(variable, "").strip()
        if text:
            return parse_budget(text, total=total, source=variable)
        if total is None:
            return None
        return int(total * (DEFAULT_RAM_SHARE if pool == RAM else DEFAULT_GPU_SHARE))

    def _hit(self, key: Hashable, holder: object | None) -> _Entry | None:
        entry = self._items.get(key)
        if entry is not None:
            self._items.move_to_end(key)
            self.stats.hits += 1
            if holder is not None:
                entry.holders.add(holder)
        return entry

    def _evict(self, incoming: Mapping[str, int], *, keep: Hashable) -> list[_Entry]:
        """Pop least-recently-used entries until every pool fits its budget with ``incoming``
        added; held entries and ``keep`` stay. Returns what was popped (freed by the caller
        outside the lock: the garbage collector can take a while)."""
        pools = set(incoming) | {pool for entry in self._items.values() for pool in entry.sizes}
        freed: list[_Entry] = []
        for pool in sorted(pools):
            budget = self.budget(pool)
            if budget is None:
                continue
            used = self.usage(pool) + self._reserved.get(pool, 0) + incoming.get(pool, 0)
            for key in [k for k, e in self._items.items() if k != keep and e.sizes.get(pool) and not e.holders]:
                if used <= budget:
                    break
                entry = self._items.pop(key)
                used -= entry.sizes[pool]
                freed.append(entry)
                self.stats.frees += 1
                self.stats.evictions += 1
                log.info("freed model %s (least recently used; %s over its budget)", _short(key), pool)
            if used > budget:
                log.warning("models in use hold %s of %s's %s budget: nothing more can be freed until "
                            "they finish (set %s to change the budget)", _size(used), pool, _size(budget),
                            RAM_BUDGET_ENV if pool == RAM else GPU_BUDGET_ENV)
        return freed

    def _finish_freeing(self, freed: list[_Entry]) -> None:
        if not freed:
            return
        hooks = list({id(e.on_free): e.on_free for e in freed if e.on_free is not None}.values())
        freed.clear()  # the last references: the garbage collector can now take the models
        gc.collect()
        for hook in hooks:
            try:
                hook()
            except Exception:  # a failing cleanup must not fail the node that needed room
                log.exception("freeing device memory failed")


def _short(key: Hashable) -> str:
    text = str(key)
    return text if len(text) <= 120 else text[:117] + "..."


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**20:.0f} MiB"
