"""Answers of labelling models, kept so asking the same thing twice costs nothing.

An answer is keyed by what determines it: the crop's PNG bytes (by hash), the full prompt, the
model, and the generation settings that change the text (temperature, token limit, JSON mode).
The server's address is recorded but not part of the key, so ``localhost`` and ``127.0.0.1``
share answers; API keys are never part of it. Answers live in memory and, when the run has a
store, in it (``ctx.memo``, namespace ``vlm-answers``: checksummed, shared like every cached
result). Only successful answers are stored: a failed request is asked again next time.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any, Mapping

from thyra_graph.engine.store import Memo

NAMESPACE = "vlm-answers"


def crop_digest(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


def answer_key(png: bytes, prompt: str, model: str, settings: Mapping[str, Any] | None = None) -> str:
    """The cache key of one question (hex sha256)."""
    parts = {"crop": crop_digest(png), "prompt": prompt, "model": model, "settings": dict(settings or {})}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


class AnswerCache:
    """Answer records by key, in memory and (with a store behind ``memo``) between runs;
    safe across threads."""

    def __init__(self, memo: Memo | None = None) -> None:
        self.memo = memo if memo is not None else Memo(None)
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_context(cls, ctx) -> "AnswerCache":
        """The cache for a run, kept in its resource cache so the memory layer lives as long
        as the executor (a standalone call gets a fresh one)."""
        store = getattr(ctx.memo, "store", None)
        root = None if store is None else str(store.root)
        return ctx.resources.get(("label.answer_cache", root), lambda: cls(ctx.memo))

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        found = self.memo.get(NAMESPACE, key)
        if found is None:
            return None
        record = found[0]
        if record.get("key") != key or not isinstance(record.get("text"), str):
            return None
        with self._lock:
            self._memory[key] = record
        return record

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Store an answer record (``text`` plus provenance)."""
        record = {**record, "key": key}
        with self._lock:
            self._memory[key] = record
        self.memo.put(NAMESPACE, key, record)

    def __len__(self) -> int:
        with self._lock:
            return len(self._memory)
