"""Cache keys: a Merkle hash of what a node computes, never of the data flowing in.

key(node) = H(type id, version, canonical params, key of each input's producer + output
name, fingerprints of the files it reads[, a per-run nonce for unseeded random nodes]).
Node ids are not part of the key, so identical work under different ids is shared, and the
cost of a key does not grow with the size of the data.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

_CONTENT_HASHES: dict[tuple[str, int, int], str] = {}


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, so equal params give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def make_key(type_id: str, version: int, params_json: str, inputs: Iterable[tuple[str, str]], extras: Iterable[str] = ()) -> str:
    """The key of one node from its static part and its inputs' keys."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{type_id}@{version}\0{params_json}\0".encode())
    for port, upstream in inputs:
        h.update(f"{port}={upstream}\0".encode())
    for extra in extras:
        h.update(f"{extra}\0".encode())
    return h.hexdigest()


def file_fingerprint(path: Path, *, content: bool = False) -> str:
    """What a source node read: path, size and mtime (or the content hash when asked).

    Folders are fingerprinted by their listing (names, sizes, mtimes) one level deep.
    A missing file gives a fingerprint too; the node itself reports it missing.
    """
    try:
        st = path.stat()
    except OSError:
        return f"missing:{path}"
    if path.is_dir():
        h = hashlib.blake2b(digest_size=20)
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return f"unreadable:{path}"
        for entry in entries:
            try:
                est = entry.stat()
            except OSError:
                continue
            h.update(f"{entry.name}\0{est.st_size}\0{est.st_mtime_ns}\0".encode())
        return f"dir:{path}:{h.hexdigest()}"
    if not content:
        return f"file:{path}:{st.st_size}:{st.st_mtime_ns}"
    memo = (str(path), st.st_size, st.st_mtime_ns)
    digest = _CONTENT_HASHES.get(memo)
    if digest is None:
        h = hashlib.blake2b(digest_size=20)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        digest = _CONTENT_HASHES[memo] = h.hexdigest()
    # Content-addressed: the path does not matter, so caches can be shared between machines.
    return f"content:{st.st_size}:{digest}"


def written_file_state(path: str) -> list[Any] | None:
    """Size and mtime of a file a sink wrote, or None when it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]
