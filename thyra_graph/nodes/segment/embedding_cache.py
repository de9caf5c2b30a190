"""SAM 2 image embeddings, computed once per image and model and reused across prompts.

The image encoder is the expensive half of SAM 2 (seconds on a CPU); the prompt decoder takes
milliseconds. So a changed click must not re-encode the image: :func:`embed_cached` keeps
recent embeddings in memory (a small LRU that lives in the run's resource cache) and in the
run's store (``ctx.memo``, namespace ``sam2-embeddings``), which survives restarts and is
checksummed there. The key is the SHA-256 of the image's pixels and shape plus the segmenter's
key (model, weights, device, dtype), so another model or another image never reuses an
embedding; a stored embedding of another model is refused and recomputed.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from .segmenter import ImageEmbedding, Segmenter

NAMESPACE = "sam2-embeddings"
MEMORY_ITEMS = 8
MEMORY_BYTES = 1 << 30  # a hiera-large 1024² embedding is ~25 MB; 8 of them fit comfortably


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
    found = read_embedding(ctx, key, model_key=segmenter.key)
    if found is None:
        found = segmenter.embed(rgb)
        write_embedding(ctx, key, found)
    memory.put(key, found)
    return found


def write_embedding(ctx, key: str, embedding: ImageEmbedding) -> None:
    """Keep the embedding in the run's store (nothing happens without one)."""
    value = {"height": embedding.height, "width": embedding.width, "model_key": embedding.model_key,
             "meta": embedding.meta}
    ctx.memo.put(NAMESPACE, key, value, embedding.arrays)


def read_embedding(ctx, key: str, *, model_key: str) -> ImageEmbedding | None:
    """The stored embedding, or None when there is none or it was made by another model."""
    found = ctx.memo.get(NAMESPACE, key)
    if found is None:
        return None
    value, arrays = found
    try:
        if value["model_key"] != model_key:
            return None
        return ImageEmbedding(arrays, int(value["height"]), int(value["width"]), value["model_key"], dict(value["meta"]))
    except (KeyError, TypeError, ValueError):
        return None
