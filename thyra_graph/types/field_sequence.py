"""FieldSequence: a time series of Fields kept on disk in chunks, streamed on demand.

A wave solve produces hundreds of H×W snapshots; holding them in memory (or in one cache
entry, which the disk cache would have to build in memory) does not scale. So the value that
flows along the edge is a *handle*:

- the snapshots live in ``.npz`` chunk files (a few tens of MB each), written by
  :class:`thyra_graph.engine.chunks.FieldSequenceWriter` into the run's store;
- each chunk file is content-addressed: it is named by the hash of its bytes, so identical
  chunks are stored once and a re-run that produces the same snapshots finds them in place;
- the handle's record (what the disk cache stores) holds only the folder, the chunks' hashes,
  the snapshot times, and the small static layers (obstacles, wave speed) that do not change
  over time;
- :meth:`FieldSequence.files` lists the chunk files, so the engine treats the entry like a
  sink's output: when a chunk is deleted or changed, the cached entry is stale and the solver
  runs again, re-creating it.

Reading verifies each chunk against its hash, so an altered file is reported, never returned.
Only one chunk is in memory at a time while iterating.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, ClassVar, Iterator

import numpy as np

from .base import PortType, check_array, check_json
from .field import Field

#: Chunks are cut at about this size: big enough to amortise file overhead, small enough that
#: one chunk in memory never matters.
CHUNK_BYTES = 32 << 20


class ChunkError(RuntimeError):
    """A chunk file of a FieldSequence is missing or was changed after it was written."""


@dataclass(eq=False)
class FieldSequence(PortType):
    """Snapshots of a Field over time (e.g. a wave solve every N steps), stored as chunk
    files ``<digest>.npz`` in ``folder``; iterate with :meth:`fields`, pick one with :meth:`at`.

    ``names`` are the layers every snapshot holds (e.g. ``height``), ``static`` the layers that
    are the same for all of them (e.g. ``obstacle``, ``speed``), ``times`` the simulation time
    of each snapshot in seconds and ``steps`` the solver step it was taken at.

    Example::

        for field in sequence.fields():      # one chunk in memory at a time
            show(field["height"], field.t)
    """

    folder: str
    chunks: list[dict[str, Any]]  # each {"digest": hex of the file's bytes, "frames": n}
    names: list[str]
    shape: tuple[int, int]
    times: np.ndarray
    steps: np.ndarray
    dx: float = 1.0
    dy: float = 1.0
    static: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    type_name: ClassVar[str] = "FieldSequence"
    color: ClassVar[tuple[int, int, int]] = (60, 100, 190)
    doc: ClassVar[str] = "Field snapshots over time, streamed from chunk files on disk"

    def __post_init__(self) -> None:
        self.chunks = [dict(c) for c in self.chunks]
        self.names = list(self.names)
        self.shape = (int(self.shape[0]), int(self.shape[1]))
        self.times = np.asarray(self.times, dtype=np.float64)
        self.steps = np.asarray(self.steps, dtype=np.int64)
        self.static = dict(self.static)
        self.dx, self.dy = float(self.dx), float(self.dy)

    # -- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(len(self.times))

    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0]) if len(self.times) else 0.0

    def chunk_path(self, digest: str) -> FsPath:
        """Where the chunk of this content hash lives: named by it, so equal chunks are one file."""
        return FsPath(self.folder) / f"{digest}.npz"

    def chunk_paths(self) -> list[FsPath]:
        return [self.chunk_path(chunk["digest"]) for chunk in self.chunks]

    def fields(self, names: list[str] | None = None) -> Iterator[Field]:
        """Yield every snapshot as a Field (its layers plus the static ones), in time order.

        ``names`` picks layers (default all). Reads one chunk at a time.
        """
        index = 0
        for which, chunk in enumerate(self.chunks):
            layers = self._read_chunk(which, names)
            for row in range(chunk["frames"]):
                yield self._field(index, layers, row)
                index += 1

    def at(self, index: int, names: list[str] | None = None) -> Field:
        """Snapshot ``index`` (negative counts from the end) as a Field."""
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"snapshot {index} does not exist: the sequence has {count} (0 to {count - 1})")
        index %= count
        ends = np.cumsum([chunk["frames"] for chunk in self.chunks])
        which = int(np.searchsorted(ends, index, side="right"))
        first = ends[which] - self.chunks[which]["frames"]
        return self._field(index, self._read_chunk(which, names), index - first)

    def _field(self, index: int, chunk: dict[str, np.ndarray], row: int) -> Field:
        """Snapshot ``index``: row ``row`` of the layers of its ``chunk``, and the static layers."""
        layers = {**{name: stack[row] for name, stack in chunk.items()}, **self.static}
        meta = {**self.meta, "step": int(self.steps[index]), "snapshot": index}
        return Field(layers, self.dx, self.dy, float(self.times[index]), meta)

    def _read_chunk(self, which: int, names: list[str] | None) -> dict[str, np.ndarray]:
        """The layers ``names`` (default all) of chunk number ``which``, checked against its hash."""
        digest = self.chunks[which]["digest"]
        path = self.chunk_path(digest)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ChunkError(
                f"snapshot chunk {str(path)!r} cannot be read ({exc.strerror or exc}): it was deleted "
                "or moved after the solve; run the graph again to recompute it") from None
        if hashlib.blake2b(data, digest_size=20).hexdigest() != digest:
            raise ChunkError(
                f"snapshot chunk {str(path)!r} changed after it was written (its content hash does "
                "not match): delete it and run the graph again")
        wanted = self.names if names is None else names
        unknown = [n for n in wanted if n not in self.names]
        if unknown:
            raise KeyError(f"the sequence has no layer {unknown[0]!r}; its layers are {', '.join(self.names)}")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[f"layer{self.names.index(name)}"] for name in wanted}

    # -- contract ---------------------------------------------------------------------------
    def validate(self) -> None:
        if not self.names or not all(isinstance(n, str) and n for n in self.names):
            raise ValueError("FieldSequence.names must list at least one non-empty layer name")
        times = check_array(self.times, name="FieldSequence.times", shape=("N",), kind="f")
        steps = check_array(self.steps, name="FieldSequence.steps", shape=("N",), kind="iu")
        if len(times) != len(steps):
            raise ValueError(f"FieldSequence has {len(times)} times but {len(steps)} steps; one of each per snapshot")
        if not np.isfinite(times).all() or (np.diff(times) < 0).any():
            raise ValueError("FieldSequence.times must be finite and in increasing order")
        for chunk in self.chunks:
            # The hash is also the file's name: hex only, so a record cannot name another path.
            if not (re.fullmatch(r"[0-9a-f]{40}", str(chunk.get("digest")))
                    and isinstance(chunk.get("frames"), int) and chunk["frames"] > 0):
                raise ValueError(f"FieldSequence chunk entry {chunk!r} must be {{'digest': 40 hex digits, 'frames': n > 0}}")
        counted = sum(chunk["frames"] for chunk in self.chunks)
        if counted != len(times):
            raise ValueError(f"FieldSequence chunks hold {counted} snapshots but {len(times)} times are listed")
        if min(self.shape) < 1:
            raise ValueError(f"FieldSequence.shape must be positive, got {self.shape}")
        for name, layer in self.static.items():
            check_array(layer, name=f"FieldSequence static layer {name!r}", shape=self.shape, kind="f")
        for name in ("dx", "dy"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"FieldSequence.{name} must be a positive grid spacing in metres, got {value!r}")
        check_json(self.meta, name="FieldSequence.meta")

    def nbytes(self) -> int:
        return int(self.times.nbytes + self.steps.nbytes) + sum(int(a.nbytes) for a in self.static.values()) + 256

    def to_record(self):
        meta = {"folder": self.folder, "chunks": self.chunks, "names": self.names, "shape": list(self.shape),
                "dx": self.dx, "dy": self.dy, "meta": self.meta, "static": list(self.static)}
        static = {f"static{i}": layer for i, layer in enumerate(self.static.values())}
        return meta, {"times": self.times, "steps": self.steps, **static}

    @classmethod
    def from_record(cls, meta, arrays):
        static = {name: arrays[f"static{i}"] for i, name in enumerate(meta.get("static", []))}
        return cls(meta["folder"], meta["chunks"], meta["names"], tuple(meta["shape"]), arrays["times"],
                   arrays["steps"], meta["dx"], meta["dy"], static, dict(meta.get("meta", {})))

    def summary(self) -> Any:
        return {"snapshots": len(self), "layers": self.names, "static": list(self.static),
                "shape": list(self.shape), "dx": self.dx, "dy": self.dy,
                "seconds": [round(float(self.times[0]), 4), round(float(self.times[-1]), 4)] if len(self) else None,
                "folder": self.folder}

    def files(self) -> list[str]:
        return [str(path) for path in self.chunk_paths()]
