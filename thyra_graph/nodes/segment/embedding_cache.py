"""SAM 2 image embeddings, computed once per image and model and reused across prompts.

The image encoder is the expensive half of SAM 2 (seconds on a CPU); the prompt decoder takes
milliseconds. So a changed click must not re-encode the image: :func:`embed_cached` keeps
recent embeddings in memory (the engine's byte-bounded LRU, held by the run's resource cache)
and in the run's store (``ctx.memo``, namespace ``sam2-embeddings``), which survives restarts
and is checksummed there. The key is the SHA-256 of the image's pixels and shape plus the
segmenter's key (model, weights, device, dtype), so another model or another image never reuses
an embedding; a stored embedding of another model is refused and recomputed.
"""

from __future__ import annotations

import hashlib

import numpy as np

from thyra_graph.engine.memcache import CacheEntry, MemoryCache

from .segmenter import ImageEmbedding, Segmenter

NAMESPACE = "sam2-embeddings"
#: Every SAM 2 size encodes an image (resized to 1024²) into the same 16 MiB of float32
#: features, so this keeps the eight most recently used embeddings.
MEMORY_BYTES = 128 << 20


def embedding_key(segmenter: Segmenter, rgb: np.ndarray) -> str:
    """SHA-256 over the pixels, shape and dtype of ``rgb`` and the segmenter's key."""
    digest = hashlib.sha256()
    digest.update(f"{rgb.shape}|{rgb.dtype}|{segmenter.key}|".encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()


def memory_of(ctx) -> MemoryCache:
    """The recent embeddings of this process, least recently used out first once they hold
    ``MEMORY_BYTES`` (held by the resource cache, so freeing the models empties it too)."""
    return ctx.resources.get(("segment.sam2", "embedding-memory"), lambda: MemoryCache(MEMORY_BYTES))


def embed_cached(ctx, segmenter: Segmenter, rgb: np.ndarray) -> ImageEmbedding:
    """The embedding of ``rgb`` (H×W×3 uint8) by ``segmenter``: from memory, from the store, or computed."""
    key = embedding_key(segmenter, rgb)
    memory = memory_of(ctx)
    kept = memory.get(key)
    if kept is not None:
        return kept.outputs["embedding"]
    embedding = read_embedding(ctx, key, model_key=segmenter.key)
    if embedding is None:
        embedding = segmenter.embed(rgb)
        write_embedding(ctx, key, embedding)
    # Held as a node's result is: named values with their size, which the LRU budgets by.
    memory.put(key, CacheEntry({"embedding": embedding}, nbytes=embedding.nbytes()))
    return embedding


def write_embedding(ctx, key: str, embedding: ImageEmbedding) -> None:
    """Keep the embedding in the run's store (nothing happens without one): its arrays, and
    its other fields as the JSON value that :func:`read_embedding` builds it from again."""
    value = {name: getattr(embedding, name) for name in ("height", "width", "model_key", "meta")}
    ctx.memo.put(NAMESPACE, key, value, embedding.arrays)


def read_embedding(ctx, key: str, *, model_key: str) -> ImageEmbedding | None:
    """The stored embedding, or None when there is none or it was made by another model."""
    found = ctx.memo.get(NAMESPACE, key)
    if found is None or found[0].get("model_key") != model_key:
        return None
    value, arrays = found
    try:
        return ImageEmbedding(arrays, **value)
    except TypeError:  # fields of another layout: recomputed and written anew
        return None
