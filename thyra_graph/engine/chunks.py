"""Writing a :class:`~thyra_graph.types.FieldSequence`: snapshots buffered into ``.npz`` chunk
files in a content-addressed folder of the store (``ctx.chunk_folder("fields")``).

The folder is filled under a temporary name that :func:`.atomic.sweep` can attribute to its
writer, then renamed to the hash of everything written, so identical results share one folder
and a crash leaves nothing that looks complete.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.types.field_sequence import CHUNK_BYTES, FieldSequence

from . import atomic


class FieldSequenceWriter:
    """Write snapshots into a new content-addressed folder under ``root``; :meth:`finish`
    returns the :class:`FieldSequence` handle.

    Snapshots are buffered up to ``chunk_bytes`` and written as one ``.npz`` chunk. The folder
    is built under a temporary name and moved to ``root/<hash>`` when finished, so a crash
    leaves no folder that looks complete; :meth:`abort` (or leaving a ``with`` block by an
    exception) removes it.

    Example::

        with FieldSequenceWriter(root, (H, W), ["height"], dx=0.5, dy=0.5) as writer:
            for step, t, height in solve():
                writer.append(t, step, {"height": height})
            sequence = writer.finish()
    """

    def __init__(self, root: str | os.PathLike[str], shape: tuple[int, int], names: list[str], *,
                 dx: float, dy: float, dtype: Any = np.float32, static: dict[str, np.ndarray] | None = None,
                 meta: dict[str, Any] | None = None, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.root = FsPath(root)
        self.shape = (int(shape[0]), int(shape[1]))
        self.names = list(names)
        self.dx, self.dy = float(dx), float(dy)
        self.dtype = np.dtype(dtype)
        self.static = {name: np.ascontiguousarray(layer) for name, layer in (static or {}).items()}
        self.meta = dict(meta or {})
        frame_bytes = self.shape[0] * self.shape[1] * self.dtype.itemsize * max(1, len(self.names))
        self.frames_per_chunk = max(1, chunk_bytes // frame_bytes)
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = atomic.temporary_name(self.root / "fields")
        self._tmp.mkdir()
        self._buffer: list[dict[str, np.ndarray]] = []
        self._times: list[float] = []
        self._steps: list[int] = []
        self._chunks: list[dict[str, Any]] = []
        self._finished = False

    def __enter__(self) -> "FieldSequenceWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self._finished:
            self.abort()

    def append(self, t: float, step: int, layers: dict[str, np.ndarray]) -> None:
        """Add one snapshot (layers named as in ``names``, each of ``shape``)."""
        if set(layers) != set(self.names):
            raise ValueError(f"snapshot layers {sorted(layers)} differ from the sequence's {sorted(self.names)}")
        for name, layer in layers.items():
            if layer.shape != self.shape:
                raise ValueError(f"snapshot layer {name!r} has shape {layer.shape}, the sequence {self.shape}")
        self._buffer.append({name: np.asarray(layers[name], dtype=self.dtype) for name in self.names})
        self._times.append(float(t))
        self._steps.append(int(step))
        if len(self._buffer) >= self.frames_per_chunk:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        name = f"chunk-{len(self._chunks):05d}.npz"
        arrays = {f"layer{i}": np.stack([frame[n] for frame in self._buffer]) for i, n in enumerate(self.names)}
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        data = buffer.getvalue()
        atomic.write_bytes(self._tmp / name, data, make_parents=False)
        self._chunks.append({"file": name, "frames": len(self._buffer),
                             "digest": hashlib.blake2b(data, digest_size=20).hexdigest()})
        self._buffer = []

    def finish(self) -> FieldSequence:
        """Write the last chunk, move the folder to its content address, return the handle."""
        self._flush()
        if not self._chunks:
            self.abort()
            raise ValueError("a FieldSequence needs at least one snapshot")
        times = np.array(self._times, dtype=np.float64)
        steps = np.array(self._steps, dtype=np.int64)
        h = hashlib.blake2b(digest_size=16)
        h.update(json.dumps({"chunks": self._chunks, "names": self.names, "shape": self.shape, "dx": self.dx,
                             "dy": self.dy, "meta": self.meta, "static": list(self.static)}, sort_keys=True).encode())
        h.update(times.tobytes())
        h.update(steps.tobytes())
        for layer in self.static.values():
            h.update(str(layer.dtype).encode())
            h.update(layer.tobytes())
        digest = h.hexdigest()
        folder = self.root / digest
        try:
            atomic.move_into_place(self._tmp, folder)
        except OSError:
            # The folder exists: the same result was written before (here or by another
            # process). Put back any chunk that went missing from it, keep the rest untouched
            # (their size and time are what cached entries remember).
            folder.mkdir(parents=True, exist_ok=True)
            for chunk in self._chunks:
                target, fresh = folder / chunk["file"], self._tmp / chunk["file"]
                if not (target.is_file() and target.stat().st_size == fresh.stat().st_size):
                    atomic.move_into_place(fresh, target)
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._finished = True
        return FieldSequence(str(folder), self._chunks, self.names, self.shape, times, steps, self.dx, self.dy,
                             self.static, self.meta, digest)

    def abort(self) -> None:
        """Remove what was written (the temporary folder)."""
        self._finished = True
        shutil.rmtree(self._tmp, ignore_errors=True)
