"""The disk cache: content-addressed, checksummed, atomic, safe codecs only.

One file per node result, ``<root>/v1/<key[:2]>/<key>.thyra``::

    b"THYRA1\\n" | 8-byte big-endian header length | header JSON | body (NPZ, or empty)

The header names each output's port type, its JSON metadata and array names, the state of
files a sink wrote, and the SHA-256 of the body. The body is an uncompressed NPZ read with
``allow_pickle=False``. Files are written to a temporary name in the same folder and moved
into place with ``os.replace``, so readers never see half a file and two processes sharing
the folder corrupt nothing (the last identical result wins). A truncated or altered entry
fails its checksum, is logged, removed and recomputed: it is never returned.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from thyra_graph.types import PortType, UnknownPortType, builtin_type, port_types

from .memcache import CacheEntry

MAGIC = b"THYRA1\n"
LAYOUT = "v1"
_HEADER_LEN = struct.Struct(">Q")
MAX_HEADER = 64 << 20

log = logging.getLogger("thyra.cache")


class CorruptEntry(Exception):
    pass


def default_cache_dir() -> Path:
    """``THYRA_CACHE_DIR`` or the user cache folder (platformdirs)."""
    env = os.environ.get("THYRA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("thyra", appauthor=False))


@dataclass
class CacheStats:
    root: Path
    entries: int
    bytes: int


class DiskCache:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self._dir = self.root / LAYOUT
        #: Large results nodes write themselves (ctx.cache_dir); counted and cleared with the rest.
        self.node_data_dir = self.root / "node-data"
        # Shard folders known to exist: saves a mkdir system call on every write.
        self._folders: set[Path] = set()

    def path_for(self, key: str) -> Path:
        return self._dir / key[:2] / f"{key}.thyra"

    def __contains__(self, key: str) -> bool:
        return self.path_for(key).is_file()

    # -- writing ----------------------------------------------------------------------------
    def put(self, key: str, entry: CacheEntry, *, node_type: str = "") -> bool:
        """Store an entry; returns False (and logs) when it cannot be stored."""
        arrays: dict[str, np.ndarray] = {}
        ports: dict[str, Any] = {}
        try:
            for port, value in entry.outputs.items():
                meta, port_arrays = value.to_record()
                ports[port] = {"type": value.type_name, "meta": meta, "arrays": sorted(port_arrays)}
                for name, array in port_arrays.items():
                    arrays[f"{port}/{name}"] = np.asarray(array)
            body = b""  # values without arrays (numbers, text, paths) need no NPZ at all
            if arrays:
                body_buffer = io.BytesIO()
                np.savez(body_buffer, **arrays)
                body = body_buffer.getvalue()
            header = json.dumps({
                "key": key, "node_type": node_type, "created": time.time(), "ports": ports,
                "files": entry.files, "nbytes": entry.nbytes,
                "body_sha256": hashlib.sha256(body).hexdigest(), "body_len": len(body),
            }, allow_nan=True).encode()
        except (NotImplementedError, TypeError, ValueError) as exc:
            log.warning("result of %s cannot be stored in the disk cache: %s", node_type or key, exc)
            return False
        final = self.path_for(key)
        try:
            fd, tmp = self._temporary_file(key, final.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(MAGIC)
                    f.write(_HEADER_LEN.pack(len(header)))
                    f.write(header)
                    f.write(body)
                os.replace(tmp, final)
            except BaseException:
                _unlink(Path(tmp))
                raise
        except OSError as exc:
            log.warning("cannot write the disk cache entry %s (%s); the run goes on without it", final, exc)
            return False
        return True

    def _temporary_file(self, key: str, folder: Path) -> tuple[int, str]:
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        try:
            return tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=folder)
        except FileNotFoundError:  # the cache was cleared meanwhile (another process)
            folder.mkdir(parents=True, exist_ok=True)
            return tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=folder)

    # -- reading ----------------------------------------------------------------------------
    def read_header(self, key: str) -> dict[str, Any] | None:
        """The entry's header (cheap: the body is not read), or None if absent/corrupt."""
        path = self.path_for(key)
        try:
            with open(path, "rb") as f:
                return _read_header(f)
        except FileNotFoundError:
            return None
        except (OSError, CorruptEntry, ValueError) as exc:
            self._discard(path, exc)
            return None

    def get(self, key: str, *, port_type: Callable[[str], type[PortType]] = builtin_type) -> CacheEntry | None:
        """The entry stored under ``key``, or None (absent, corrupt, or of an unknown type).

        ``port_type`` looks types up by name (the run's registry, so plugin types read back).
        An entry whose type is not known here is a miss but is kept: another process, with
        the plugin that owns the type installed, may still use it.
        """
        path = self.path_for(key)
        try:
            with open(path, "rb") as f:
                header = _read_header(f)
                body = f.read()
            if len(body) != header.get("body_len") or hashlib.sha256(body).hexdigest() != header.get("body_sha256"):
                raise CorruptEntry("checksum mismatch (truncated or altered)")
            stored: dict[str, np.ndarray] = {}
            if body:
                with np.load(io.BytesIO(body), allow_pickle=False) as npz:
                    stored = {name: npz[name] for name in npz.files}
            outputs: dict[str, PortType] = {}
            for port, info in header["ports"].items():
                arrays = {name: stored[f"{port}/{name}"] for name in info["arrays"]}
                try:
                    with port_types(port_type):  # item types inside a value resolve the same way
                        value = port_type(info["type"]).from_record(info["meta"], arrays)
                except UnknownPortType as exc:
                    log.info("disk cache entry %s is kept but not used: %s; the plugin that registers the type "
                             "is not loaded in this process", path, exc.args[0])
                    return None
                value.validate()
                outputs[port] = value
            return CacheEntry(outputs, dict(header.get("files", {})), int(header.get("nbytes", 0)))
        except FileNotFoundError:
            return None
        except Exception as exc:  # any decoding failure means the entry cannot be trusted
            self._discard(path, exc)
            return None

    def _discard(self, path: Path, reason: Exception) -> None:
        log.warning("disk cache entry %s is corrupt (%s): removed, the node will be recomputed", path, reason)
        _unlink(path)

    # -- maintenance -------------------------------------------------------------------------
    def stats(self) -> CacheStats:
        entries = size = 0
        if self._dir.is_dir():
            for path in self._dir.rglob("*.thyra"):
                try:
                    size += path.stat().st_size
                    entries += 1
                except OSError:
                    pass
        if self.node_data_dir.is_dir():
            for path in self.node_data_dir.rglob("*"):
                try:
                    size += path.stat().st_size if path.is_file() else 0
                except OSError:
                    pass
        return CacheStats(self.root, entries, size)

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        count = self.stats().entries
        for folder in (self._dir, self.node_data_dir):
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
        self._folders.clear()
        return count

    def discard(self, key: str) -> None:
        _unlink(self.path_for(key))


def _read_header(f) -> dict[str, Any]:
    if f.read(len(MAGIC)) != MAGIC:
        raise CorruptEntry("not a Thyra cache entry")
    raw = f.read(_HEADER_LEN.size)
    if len(raw) != _HEADER_LEN.size:
        raise CorruptEntry("truncated header")
    (length,) = _HEADER_LEN.unpack(raw)
    if length > MAX_HEADER:
        raise CorruptEntry("header too large")
    data = f.read(length)
    if len(data) != length:
        raise CorruptEntry("truncated header")
    header = json.loads(data)
    if not isinstance(header, dict) or not isinstance(header.get("ports"), dict):
        raise CorruptEntry("malformed header")
    return header


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
