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
from typing import Any, Mapping

from thyra_graph.engine.store import Memo

NAMESPACE = "vlm-answers"


def crop_digest(png: bytes) -> str:
    """The hex SHA-256 of a crop's PNG bytes."""
    return hashlib.sha256(png).hexdigest()


def answer_key(png: bytes, prompt: str, model: str, settings: Mapping[str, Any] | None = None) -> str:
    """The cache key of one question (hex sha256)."""
    parts = {"crop": crop_digest(png), "prompt": prompt, "model": model, "settings": dict(settings or {})}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


class AnswerCache:
    """Answer records by key, in memory and (with a store behind ``memo``) between runs.

    Safe across threads without a lock: records are only ever added to ``memory``, and each
    dict operation is atomic.
    """

    def __init__(self, memo: Memo) -> None:
        self.memo = memo
        self.memory: dict[str, dict[str, Any]] = {}

    @classmethod
    def for_context(cls, ctx) -> AnswerCache:
        """The cache of a run's store, kept in the run's resource cache so the memory layer
        lives as long as the executor (a standalone call gets a fresh one)."""
        root = getattr(ctx.memo.store, "root", None)
        return ctx.resources.get((NAMESPACE, root), lambda: cls(ctx.memo))

    def get(self, key: str) -> dict[str, Any] | None:
        """The record of a question answered before, or None (never answered, or damaged)."""
        if key not in self.memory:
            found = self.memo.get(NAMESPACE, key)  # the store checks the key inside the record
            if found is None or not isinstance(found[0].get("text"), str):
                return None
            self.memory[key] = found[0]
        return self.memory[key]

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Keep an answer record (``text`` plus provenance) for this run and the next ones."""
        self.memory[key] = dict(record)
        self.memo.put(NAMESPACE, key, self.memory[key])
