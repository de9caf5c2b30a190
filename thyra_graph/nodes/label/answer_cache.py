"""Answers of labelling models, kept so asking the same thing twice costs nothing.

An answer is keyed by what determines it: the crop's PNG bytes (by hash), the full prompt, the
model, and the generation settings that change the text (temperature, token limit, JSON mode).
The server's address is recorded but not part of the key, so ``localhost`` and ``127.0.0.1``
share answers; API keys are never part of it. Answers live in memory and, when the run has a
disk cache, as one JSON file each under ``<cache>/node-data/vlm-answers`` (atomic writes; a
damaged file reads as a miss). Only successful answers are stored: a failed request is asked
again next time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Mapping

FOLDER_NAME = "vlm-answers"


def crop_digest(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


def answer_key(png: bytes, prompt: str, model: str, settings: Mapping[str, Any] | None = None) -> str:
    """The cache key of one question (hex sha256)."""
    parts = {"crop": crop_digest(png), "prompt": prompt, "model": model, "settings": dict(settings or {})}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


class AnswerCache:
    """Answer records by key, in memory and (with ``folder``) on disk; safe across threads."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_context(cls, ctx) -> "AnswerCache":
        """The cache for a run: under the run's disk cache, kept in its resource cache so the
        memory layer lives as long as the executor (a standalone call gets a fresh one)."""
        folder = Path(ctx.cache_dir) / FOLDER_NAME if getattr(ctx, "cache_dir", None) else None
        return ctx.resources.get(("label.answer_cache", str(folder)), lambda: cls(folder))

    def path_for(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        path = self.path_for(key)
        if path is None or not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("key") != key or not isinstance(record.get("text"), str):
            return None
        with self._lock:
            self._memory[key] = record
        return record

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Store an answer record (``text`` plus provenance); written atomically."""
        record = {**record, "key": key}
        with self._lock:
            self._memory[key] = record
        path = self.path_for(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(record, stream, ensure_ascii=False, indent=1)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        with self._lock:
            return len(self._memory)
