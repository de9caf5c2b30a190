"""The one content-addressed store under Thyra's cache folder.

Every record the engine or a node keeps between runs lives here: node results (the disk
cache), node memos (SAM 2 embeddings, model answers: :class:`Memo`, reached as ``ctx.memo``)
and chunks of streamed values (``ctx.chunk_folder``). One file per record::

    <root>/v2/<kind>/<key[:2]>/<key>.thyra
    b"THYRA2\\n" | 8-byte big-endian header length | header JSON | 16-byte header digest | body

The header holds the record's kind and key, the body's digest, and the caller's
fields. The header digest covers the header, and the header names the body's digest, so a
flipped bit anywhere, a truncated file or a valid record copied over another key's file is
detected, logged, removed and treated as a miss: never returned. Writes are atomic
(:mod:`.atomic`) and made with the user's umask, so a group-shared folder works
(``chmod g+ws`` on the folder, umask 002). A record another user made unreadable is a miss,
never deleted. Reading a record marks it used (its mtime), which :meth:`Store.prune` reads to
evict the least recently used first when the store is over its size limit. Chunk files,
content-addressed by their writers directly in a kind's folder, are counted, evicted and
cleared like records.

>>> import tempfile
>>> store = Store(tempfile.mkdtemp())
>>> store.put("memo-demo", "ab12cd34", {"answer": 42}, b"body")
True
>>> record = store.get("memo-demo", "ab12cd34")
>>> record.header["answer"], record.body
(42, b'body')
>>> store.get("memo-demo", "cd34ef56") is None
True
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from . import atomic
from .sizes import parse_size

MAGIC = b"THYRA2\n"
LAYOUT = "v2"
_DIGEST = 16
_FIRST_READ = 64 << 10  # most records (header and a small body) fit in one read
#: Default size limit of the store; ``THYRA_CACHE_MAX_SIZE`` changes it (``0`` or ``none``: no limit).
DEFAULT_MAX_SIZE = "20G"
#: A record's last use is recorded at most this often (seconds): eviction needs no finer grain,
#: and a cached re-run then costs no extra system call per record.
USE_RESOLUTION = 60

log = logging.getLogger("thyra.cache")


def default_cache_dir() -> Path:
    """``THYRA_CACHE_DIR`` or the user cache folder (platformdirs)."""
    env = os.environ.get("THYRA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("thyra", appauthor=False))


def parse_limit(text: str) -> int | None:
    """The store's size limit from ``text`` (a size, see :mod:`.sizes`); None for no limit
    (``0``, ``none``, ``off``, ``unlimited``).

    >>> parse_limit("20G"), parse_limit("512MiB"), parse_limit("none")
    (20000000000, 536870912, None)
    """
    if str(text).strip().lower() in ("", "none", "off", "unlimited"):
        return None
    return parse_size(text) or None


@dataclass
class Record:
    header: dict[str, Any]
    body: bytes


@dataclass
class Usage:
    """What the store holds: per kind, and per node type for results."""

    root: Path
    entries: int = 0
    bytes: int = 0
    kinds: dict[str, list[int]] = field(default_factory=dict)  # kind → [entries, bytes]
    node_types: dict[str, list[int]] = field(default_factory=dict)  # node type → [entries, bytes]


class Store:
    """Records by (kind, key) under ``root``; see the module docstring."""

    def __init__(self, root: str | Path | None = None, *, max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.base = self.root / LAYOUT
        self.max_bytes = max_bytes
        _sweep_once(self.base)

    # -- paths ------------------------------------------------------------------------------
    def path_for(self, kind: str, key: str) -> Path:
        return self.base / kind / key[:2] / f"{key}.thyra"

    def folder(self, kind: str) -> Path:
        """A folder of this store for content-addressed files (chunks of streamed values),
        made by the first atomic write into it."""
        _check(kind)
        return self.base / kind

    # -- writing ----------------------------------------------------------------------------
    def put(self, kind: str, key: str, header: dict[str, Any], body: bytes = b"") -> bool:
        """Store a record; returns False (and logs) when it cannot be stored."""
        _check(kind, key)
        try:
            head = json.dumps({**header, "kind": kind, "key": key, "body_digest": content_digest(body)}).encode()
        except (TypeError, ValueError) as exc:
            log.warning("a %s record cannot be stored: %s", kind, exc)
            return False
        target = self.path_for(kind, key)
        chunks = (MAGIC, len(head).to_bytes(8, "big"), head, hashlib.blake2b(head, digest_size=_DIGEST).digest(), body)
        try:
            try:
                atomic.write_bytes(target, *chunks, make_parents=False)
            except FileNotFoundError:  # a new shard, or the store cleared meanwhile by another process
                atomic.write_bytes(target, *chunks)
        except OSError as exc:
            log.warning("cannot write the cache record %s (%s); the run goes on without it", target, exc)
            return False
        return True

    # -- reading ----------------------------------------------------------------------------
    def get(self, kind: str, key: str, *, body: bool = True) -> Record | None:
        """The record, checked, or None; without ``body`` only its header is read (cheap)."""
        # A string path and one read for a small record: a cached re-run reads a record per
        # node, and pathlib plus five small reads were a sixth of that time.
        path = os.path.join(self.base, kind, key[:2], key + ".thyra")
        try:
            with open(path, "rb") as stream:
                last_used = os.fstat(stream.fileno()).st_mtime
                header, rest = _parse_header(stream.read(_FIRST_READ), kind, key, stream)
                data = rest + stream.read() if body else b""
                if body and content_digest(data) != header.get("body_digest"):
                    raise ValueError("its body does not match its checksum (truncated or altered)")
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            # Another user's record we may not read: a miss, and not ours to delete.
            log.warning("cache record %s is not readable (%s): make the shared cache folder group-readable "
                        "(chmod -R g+rwX, umask 002); the node will be recomputed", path, exc)
            return None
        except (OSError, ValueError) as exc:  # corrupt: truncated, altered, or of another key
            self.discard(kind, key, exc)
            return None
        if time.time() - last_used > USE_RESOLUTION:
            with contextlib.suppress(OSError):
                os.utime(path)  # used now: what least-recently-used eviction reads
        return Record(header, data)

    def discard(self, kind: str, key: str, corrupt: Exception | str) -> None:
        """Remove a record found corrupt, logging the reason."""
        log.warning("cache record %s is corrupt (%s): removed, it will be recomputed", self.path_for(kind, key), corrupt)
        atomic.unlink(self.path_for(kind, key))

    # -- maintenance ------------------------------------------------------------------------
    def usage(self) -> Usage:
        usage = Usage(self.root)
        for kind, path, size, _ in self._units():
            usage.entries += 1
            usage.bytes += size
            _tally(usage.kinds, kind, size)
            if kind == "results":
                _tally(usage.node_types, _node_type(path) or "?", size)
        return usage

    def prune(self, max_bytes: int | None = None) -> tuple[int, int]:
        """Evict least-recently-used records until the store holds at most ``max_bytes``
        (default: its own limit). Returns (records removed, bytes freed)."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        if limit is None:
            return 0, 0
        units = sorted(self._units(), key=lambda unit: unit[3])
        excess = sum(size for _, _, size, _ in units) - limit
        removed = freed = 0
        for _, path, size, _ in units:
            if freed >= excess:
                break
            if atomic.unlink(path):
                freed += size
                removed += 1
        return removed, freed

    def _units(self) -> Iterator[tuple[str, str, int, float]]:
        """(kind, file, bytes, last used) for every record and chunk stored."""
        for folder, _, names in os.walk(self.base):
            kind = os.path.relpath(folder, self.base).split(os.sep)[0]
            for name in names:
                path = os.path.join(folder, name)
                try:
                    stat = os.lstat(path)
                except OSError:  # removed meanwhile
                    continue
                if not name.startswith("."):  # a temporary file, not yet (or never) stored
                    yield kind, path, stat.st_size, stat.st_mtime

    def clear(self) -> int:
        """Remove every record (and what earlier versions kept here: the disk cache's v1, the
        nodes' own files); returns how many records there were."""
        count = sum(1 for _ in self._units())
        for folder in (LAYOUT, "v1", "node-data"):
            shutil.rmtree(self.root / folder, ignore_errors=True)
        return count


class Memo:
    """Small things a node keeps between runs under its own keys (``ctx.memo``): SAM 2 image
    embeddings, labelling answers. Each namespace is a kind of the store (``memo-<namespace>``);
    values are JSON fields plus optional NumPy arrays, never pickles. Without a store (a run
    with ``--no-cache``) nothing is kept and nothing is written."""

    def __init__(self, store: Store | None) -> None:
        self.store = store

    def get(self, namespace: str, key: str) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        record = None if self.store is None else self.store.get(f"memo-{namespace}", key)
        if record is None:
            return None
        try:
            return dict(record.header.get("value", {})), unpack_arrays(record.body)
        except Exception as exc:  # noqa: BLE001 - a body that passed its checksum but is no NPZ
            self.store.discard(f"memo-{namespace}", key, exc)
            return None

    def put(self, namespace: str, key: str, value: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> bool:
        return self.store is not None and self.store.put(f"memo-{namespace}", key, {"value": value},
                                                         pack_arrays(arrays or {}))


def pack_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed NPZ of ``arrays`` (empty bytes for none)."""
    if not arrays:
        return b""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack_arrays(body: bytes) -> dict[str, np.ndarray]:
    """The arrays of a body written by :func:`pack_arrays`, read without pickle."""
    if not body:
        return {}
    with np.load(io.BytesIO(body), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def _parse_header(start: bytes, kind: str, key: str, stream) -> tuple[dict[str, Any], bytes]:
    """The checked header of a record whose first bytes are ``start``, and the bytes of
    ``start`` after it (a header longer than ``start`` is read on from ``stream``)."""
    offset = len(MAGIC) + 8  # the header's length: 8 bytes, big-endian
    if len(start) < offset or not start.startswith(MAGIC):
        raise ValueError("not a Thyra cache record, or truncated")
    length = int.from_bytes(start[len(MAGIC):offset], "big")
    if length > 64 << 20:  # a flipped bit in the length must not make us read gigabytes
        raise ValueError("header too large")
    end = offset + length + _DIGEST
    start += stream.read(max(0, end - len(start)))  # the rest of a header longer than the first read
    if len(start) < end:
        raise ValueError("truncated header")
    head, digest = start[offset:offset + length], start[offset + length:end]
    if hashlib.blake2b(head, digest_size=_DIGEST).digest() != digest:
        raise ValueError("its header does not match its checksum (altered)")
    header = json.loads(head)
    if not isinstance(header, dict) or (header.get("kind"), header.get("key")) != (kind, key):
        raise ValueError("it holds the record of another key (or of none)")
    return header, start[end:]


@functools.cache
def _sweep_once(base: Path) -> None:
    """Remove what writers killed mid-write left behind (once per process and store)."""
    for folder, _, names in os.walk(base):
        atomic.sweep(folder, names)


def _node_type(path: str) -> str | None:
    """The node type in a result record's checked header (the body is not read)."""
    try:
        with open(path, "rb") as stream:
            key = os.path.basename(path).removesuffix(".thyra")
            header, _ = _parse_header(stream.read(_FIRST_READ), "results", key, stream)
        return header.get("node_type") or None
    except (OSError, ValueError):
        return None


def _tally(table: dict[str, list[int]], name: str, size: int) -> None:
    counts = table.setdefault(name, [0, 0])
    counts[0] += 1
    counts[1] += size


def content_digest(data: bytes) -> str:
    """The hex digest that names and checks stored bytes (record bodies, chunk files)."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _check(kind: str, key: str | None = None) -> None:
    """Kinds and keys name folders and files: nothing else may reach the file system."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", kind):
        raise ValueError(f"store kind {kind!r} must be lowercase letters, digits and dashes")
    if key is not None and not re.fullmatch(r"[0-9a-zA-Z_-]{8,128}", key):
        raise ValueError(f"store key {key!r} must be 8-128 letters, digits, '-' or '_' (a hash)")
