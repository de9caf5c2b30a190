"""Writing a :class:`~thyra_graph.types.FieldSequence`: snapshots buffered into ``.npz`` chunk
files in a folder of the store (``ctx.chunk_folder("fields")``).

Each chunk is a plain content-addressed file, ``<digest>.npz``, written atomically; a chunk
already there is left untouched, so a cached entry that lists it stays valid. A crash leaves
only complete chunks (counted and evicted like any record) or a temporary file that the
store's sweep removes.
"""

from __future__ import annotations

import os
from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.types.field_sequence import CHUNK_BYTES, FieldSequence

from . import atomic
from .store import content_digest, pack_arrays


class FieldSequenceWriter:
    """Write snapshots as chunk files into ``root``; :meth:`finish` returns the
    :class:`FieldSequence` handle.

    Snapshots are stored as float32, buffered up to ``chunk_bytes`` and written as one ``.npz``
    chunk. Leaving a ``with`` block by an exception removes the chunks this writer created.

    Example::

        with FieldSequenceWriter(root, (H, W), ["height"], dx=0.5, dy=0.5) as writer:
            for step, t, height in solve():
                writer.append(t, step, {"height": height})
            sequence = writer.finish()
    """

    def __init__(self, root: str | os.PathLike[str], shape: tuple[int, int], names: list[str], *,
                 dx: float, dy: float, static: dict[str, np.ndarray] | None = None,
                 meta: dict[str, Any] | None = None, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.sequence = FieldSequence(str(root), [], names, shape, [], [], dx, dy, static or {}, meta or {})
        self.sequence.validate()  # names, grid, static layers and meta are refused now, not after the solve
        rows, cols = self.sequence.shape
        self.frames_per_chunk = max(1, chunk_bytes // (rows * cols * 4 * len(self.sequence.names)))
        self._buffer: list[dict[str, np.ndarray]] = []
        self._created: list[FsPath] = []

    def __enter__(self) -> "FieldSequenceWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            for path in self._created:
                atomic.unlink(path)

    def append(self, t: float, step: int, layers: dict[str, np.ndarray]) -> None:
        """Add one snapshot (layers named as in ``names``, each of ``shape``)."""
        names, shape = self.sequence.names, self.sequence.shape
        if set(layers) != set(names):
            raise ValueError(f"snapshot layers {sorted(layers)} differ from the sequence's {sorted(names)}")
        for name, layer in layers.items():
            if layer.shape != shape:
                raise ValueError(f"snapshot layer {name!r} has shape {layer.shape}, the sequence {shape}")
        self._buffer.append({name: np.asarray(layers[name], dtype=np.float32) for name in names})
        self.sequence.times = np.append(self.sequence.times, float(t))  # a few hundred snapshots: cheap
        self.sequence.steps = np.append(self.sequence.steps, int(step))
        if len(self._buffer) >= self.frames_per_chunk:
            self._flush()

    def _flush(self) -> None:
        """Write the buffered snapshots as one chunk, unless a chunk of the same bytes is there."""
        if not self._buffer:
            return
        names = self.sequence.names
        data = pack_arrays({f"layer{i}": np.stack([frame[n] for frame in self._buffer]) for i, n in enumerate(names)})
        digest = content_digest(data)
        path = self.sequence.chunk_path(digest)
        # Rewriting an existing chunk would change its time, which the cached entries that
        # list it remember; the same name and size is the same content.
        if not (path.is_file() and path.stat().st_size == len(data)):
            atomic.write_bytes(path, data)
            self._created.append(path)
        self.sequence.chunks.append({"digest": digest, "frames": len(self._buffer)})
        self._buffer = []

    def finish(self) -> FieldSequence:
        """Write the last chunk and return the handle."""
        self._flush()
        if not self.sequence.chunks:
            raise ValueError("a FieldSequence needs at least one snapshot")
        return self.sequence
