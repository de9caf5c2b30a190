"""The disk cache: node results as records of the one store (:mod:`.store`), kind ``results``.

A record's header names each output's port type, its JSON metadata and array names, and the
state of files a sink wrote; its body is an uncompressed NPZ read with ``allow_pickle=False``.
The store checks header and body against their checksums and the key inside, so an entry
that is truncated, altered or copied over another key's file is removed and recomputed,
never returned.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from thyra_graph.types import PortType, UnknownPortType, builtin_type, port_types

from .memcache import CacheEntry
from .store import DEFAULT_MAX_SIZE, Store, pack_arrays, parse_limit, unpack_arrays

KIND = "results"

log = logging.getLogger("thyra.cache")


class DiskCache:
    """Node results by cache key, in the store under ``root`` (default: the user cache folder),
    holding at most ``max_bytes`` (None: no limit; default: ``THYRA_CACHE_MAX_SIZE``)."""

    def __init__(self, root: str | Path | None = None, *, max_bytes: int | None | str = "env") -> None:
        if max_bytes == "env":
            max_bytes = parse_limit(os.environ.get("THYRA_CACHE_MAX_SIZE", DEFAULT_MAX_SIZE))
        self.store = Store(root, max_bytes=max_bytes)
        self.root = self.store.root

    # -- writing ----------------------------------------------------------------------------
    def put(self, key: str, entry: CacheEntry, *, node_type: str = "") -> bool:
        """Store an entry; returns False (and logs) when it cannot be stored."""
        arrays: dict[str, np.ndarray] = {}
        ports: dict[str, Any] = {}
        try:
            for port, value in entry.outputs.items():
                meta, port_arrays = value.to_record()
                ports[port] = {"type": value.type_name, "meta": meta, "arrays": sorted(port_arrays)}
                arrays.update({f"{port}/{name}": array for name, array in port_arrays.items()})
            body = pack_arrays(arrays)  # values without arrays (numbers, text, paths) need no NPZ
        except (NotImplementedError, TypeError, ValueError) as exc:
            log.warning("result of %s cannot be stored in the disk cache: %s", node_type or key, exc)
            return False
        header = {"node_type": node_type, "ports": ports, "files": entry.files, "nbytes": entry.nbytes}
        return self.store.put(KIND, key, header, body)

    # -- reading ----------------------------------------------------------------------------
    def read_header(self, key: str) -> dict[str, Any] | None:
        """The entry's checked header (cheap: the body is not read), or None if absent/corrupt."""
        record = self.store.get(KIND, key, body=False)
        return None if record is None else record.header

    def get(self, key: str, *, port_type: Callable[[str], type[PortType]] = builtin_type) -> CacheEntry | None:
        """The entry stored under ``key``, or None (absent, corrupt, or of an unknown type).

        ``port_type`` looks types up by name (the run's registry, so plugin types read back).
        An entry whose type is not known here is a miss but is kept: another process, with
        the plugin that owns the type installed, may still use it.
        """
        record = self.store.get(KIND, key)
        if record is None:
            return None
        try:
            stored = unpack_arrays(record.body)
            outputs: dict[str, PortType] = {}
            with port_types(port_type):  # item types inside a value resolve the same way
                for port, info in record.header["ports"].items():
                    arrays = {name: stored[f"{port}/{name}"] for name in info["arrays"]}
                    outputs[port] = port_type(info["type"]).from_record(info["meta"], arrays)
                    outputs[port].validate()
            return CacheEntry(outputs, dict(record.header.get("files", {})), int(record.header.get("nbytes", 0)))
        except UnknownPortType as exc:
            log.info("disk cache entry %s is kept but not used: %s; the plugin that registers the type "
                     "is not loaded in this process", self.store.path_for(KIND, key), exc.args[0])
            return None
        except Exception as exc:  # any decoding failure means the entry cannot be trusted
            self.store.discard(KIND, key, exc)
            return None
