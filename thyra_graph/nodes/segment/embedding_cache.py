"""SAM 2 image embeddings, computed once per image and model and reused across prompts.

The image encoder is the expensive half of SAM 2 (seconds on a CPU); the prompt decoder takes
milliseconds. So a changed click must not re-encode the image: :func:`embed_cached` keeps
recent embeddings in memory (a small LRU that lives in the run's resource cache) and on disk
under ``<cache dir>/sam2-embeddings`` as NPZ files, which survive restarts. The key is the
SHA-256 of the image's pixels and shape plus the segmenter's key (model, weights, device,
dtype), so another model or another image never reuses an embedding. A damaged file is
deleted and recomputed, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .segmenter import ImageEmbedding, Segmenter

SUBDIR = "sam2-embeddings"
MEMORY_ITEMS = 8
MEMORY_BYTES = 1 << 30  # a hiera-large 1024² embedding is ~25 MB; 8 of them fit comfortably
_META = "__meta__"


class EmbeddingMemory:
    """A bounded, thread-safe LRU of embeddings (by count and bytes)."""

    def __init__(self, max_items: int = MEMORY_ITEMS, max_bytes: int = MEMORY_BYTES) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, ImageEmbedding] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> ImageEmbedding | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, embedding: ImageEmbedding) -> None:
        with self._lock:
            self._items[key] = embedding
            self._items.move_to_end(key)
            total = sum(e.nbytes() for e in self._items.values())
            while len(self._items) > 1 and (len(self._items) > self.max_items or total > self.max_bytes):
                _, dropped = self._items.popitem(last=False)
                total -= dropped.nbytes()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def embedding_key(segmenter: Segmenter, rgb: np.ndarray) -> str:
    """SHA-256 over the pixels, shape and dtype of ``rgb`` and the segmenter's key."""
    digest = hashlib.sha256()
    digest.update(f"{rgb.shape}|{rgb.dtype}|{segmenter.key}|".encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()


def memory_of(ctx) -> EmbeddingMemory:
    """The embedding LRU of this process (held by the resource cache, so ``clear`` empties it too)."""
    return ctx.resources.get(("segment.sam2", "embedding-memory"), EmbeddingMemory, nbytes=0)


def embed_cached(ctx, segmenter: Segmenter, rgb: np.ndarray) -> ImageEmbedding:
    """The embedding of ``rgb`` (H×W×3 uint8) by ``segmenter``: from memory, from disk, or computed."""
    key = embedding_key(segmenter, rgb)
    memory = memory_of(ctx)
    found = memory.get(key)
    if found is not None:
        return found
    folder = embeddings_dir(ctx)
    path = folder / f"{key}.npz" if folder is not None else None
    if path is not None:
        found = read_embedding(path, model_key=segmenter.key)
    if found is None:
        found = segmenter.embed(rgb)
        if path is not None:
            try:
                write_embedding(path, found)
            except OSError as exc:
                # A full or read-only disk only costs speed next time; the result is still right.
                ctx.warn(f"could not store the SAM 2 embedding in {str(path.parent)!r}: {exc}")
    memory.put(key, found)
    return found


def embeddings_dir(ctx) -> Path | None:
    """``<cache dir>/sam2-embeddings``, or None when the run has no disk cache."""
    root = getattr(ctx, "cache_dir", None)
    return None if root is None else Path(root) / SUBDIR


def write_embedding(path: Path, embedding: ImageEmbedding) -> None:
    """Write atomically (temp file + rename) so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"height": embedding.height, "width": embedding.width, "model_key": embedding.model_key,
            "meta": embedding.meta, "names": sorted(embedding.arrays)}
    handle, temp = tempfile.mkstemp(prefix=path.stem[:16], suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **{_META: np.array(json.dumps(meta))}, **embedding.arrays)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_embedding(path: Path, *, model_key: str) -> ImageEmbedding | None:
    """The stored embedding, or None when there is none; a damaged or foreign file is deleted."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data[_META]))
            # Reading every array checks every zip member's CRC: truncation or bit rot raises here.
            arrays = {name: np.array(data[name]) for name in meta["names"]}
        if meta["model_key"] != model_key:
            raise ValueError("made by another model")
        return ImageEmbedding(arrays, int(meta["height"]), int(meta["width"]), meta["model_key"], dict(meta["meta"]))
    except Exception:  # noqa: BLE001 - whatever is wrong with the file, the cure is to recompute it
        path.unlink(missing_ok=True)
        return None
