"""Cache keys: a Merkle hash of what a node computes, never of the data flowing in.

key(node) = H(type id, declared version + code version, canonical params that affect the
result, key of each input's producer + output name, fingerprints of the files it reads[, its
declared external state][, a per-run nonce for unseeded random nodes]).
Node ids are not part of the key, so identical work under different ids is shared, and the
cost of a key does not grow with the size of the data.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any, Iterable, Mapping

# Content hashes already computed, by what stat says about the file. The inode and ctime are
# part of it because a rewrite can keep size and mtime (cp -p, rsync -t, os.utime), but
# cannot keep the ctime: the hash is never reused for content it was not computed from.
_CONTENT_HASHES: dict[tuple[str, int, int, int, int], str] = {}


# One encoder for every key: json.dumps with these options builds a new encoder per call,
# which costs more than encoding a node's few params.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, so equal params give equal bytes."""
    return _CANONICAL.encode(value)


@functools.lru_cache(maxsize=4096)
def static_part(type_id: str, version: int | str, params_json: str) -> bytes:
    """What a node is (type, version, canonical params), as the first bytes its key hashes.

    It changes only when the graph is edited, so planners keep it between runs. Equal parts
    are one object (memoised): a graph of many nodes of one type with one set of params holds
    a single copy, which keeps big graphs small in memory.
    """
    return f"{type_id}@{version}\0{params_json}\0".encode()


def finish_key(static: bytes, inputs: Iterable[tuple[str, str, str]], keys: Mapping[str, str],
               extras: Iterable[str] = ()) -> str:
    """A node's key from its :func:`static_part` and what feeds it.

    ``inputs`` are ``(port, producer node id, producer output)`` sorted by port, ``keys`` the
    producers' keys (only the keys enter the hash, never the node ids), ``extras`` the
    fingerprints of files read and the run nonce.
    """
    h = hashlib.blake2b(static, digest_size=20)
    for port, src, out in inputs:
        h.update(f"{port}={keys[src]}.{out}\0".encode())
    for extra in extras:
        h.update(f"{extra}\0".encode())
    return h.hexdigest()


def file_fingerprint(path: Path, *, content: bool = False) -> str:
    """What a source node read: path, size and mtime (or the content hash when asked).

    Folders are fingerprinted by their listing (names, sizes, mtimes) one level deep, and a
    glob pattern (``views/*.jpg``, for nodes that read a set of files) by the same facts of
    the files it matches. A missing file gives a fingerprint too; the node itself reports it
    missing.
    """
    try:
        st = path.stat()
    except OSError:
        if any(c in str(path) for c in "*?["):
            return _glob_fingerprint(path)
        return f"missing:{path}"
    if stat.S_ISDIR(st.st_mode):  # from the stat already taken: one system call per file
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
    memo = (str(path), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    digest = _CONTENT_HASHES.get(memo)
    if digest is None:
        h = hashlib.blake2b(digest_size=20)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        digest = _CONTENT_HASHES[memo] = h.hexdigest()
    # Content-addressed: the path does not matter, so caches can be shared between machines.
    return f"content:{st.st_size}:{digest}"


def _glob_fingerprint(pattern: Path) -> str:
    import glob

    h = hashlib.blake2b(digest_size=20)
    for match in sorted(glob.glob(str(pattern), recursive=True)):
        try:
            st = os.stat(match)
        except OSError:
            continue
        h.update(f"{match}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return f"glob:{pattern}:{h.hexdigest()}"


def written_file_state(path: str) -> list[Any] | None:
    """Size and mtime of a file a sink wrote, or None when it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]
