"""FieldSequence: a time series of Fields kept on disk in chunks, streamed on demand.

A wave solve produces hundreds of H×W snapshots; holding them in memory (or in one cache
entry, which the disk cache would have to build in memory) does not scale. So the value that
flows along the edge is a *handle*:

- the snapshots live in ``.npz`` chunk files (a few tens of MB each) in one folder, written by
  :class:`thyra_graph.engine.chunks.FieldSequenceWriter` into the run's store;
- the folder is content-addressed: its name is a hash of everything written, so identical
  results share one folder and a re-run that produces the same snapshots finds them in place;
- the handle's record (what the disk cache stores) holds only the folder, the chunk names and
  their content hashes, the snapshot times, and the small static layers (obstacles, wave
  speed) that do not change over time;
- :meth:`FieldSequence.files` lists the chunk files, so the engine treats the entry like a
  sink's output: when a chunk is deleted or changed, the cached entry is stale and the solver
  runs again, re-creating the folder.

Reading verifies each chunk against its hash, so an altered file is reported, never returned.
Only one chunk is in memory at a time while iterating.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, ClassVar, Iterator

import numpy as np

from .base import PortType, check_array, check_json
from .field import Field

#: Chunks are cut at about this size: big enough to amortise file overhead, small enough that
#: one chunk in memory never matters.
CHUNK_BYTES = 32 << 20
_STATIC_PREFIX = "static"


class ChunkError(RuntimeError):
    """A chunk file of a FieldSequence is missing or was changed after it was written."""


@dataclass(eq=False)
class FieldSequence(PortType):
    """Snapshots of a Field over time (e.g. a wave solve every N steps), stored as chunk
    files in ``folder``; iterate with :meth:`fields`, pick one with :meth:`at`.

    ``names`` are the layers every snapshot holds (e.g. ``height``), ``static`` the layers that
    are the same for all of them (e.g. ``obstacle``, ``speed``), ``times`` the simulation time
    of each snapshot in seconds and ``steps`` the solver step it was taken at.

    Example::

        for field in sequence.fields():      # one chunk in memory at a time
            show(field["height"], field.t)
    """

    folder: str
    chunks: list[dict[str, Any]]  # each {"file": name, "frames": n, "digest": hex}
    names: list[str]
    shape: tuple[int, int]
    times: np.ndarray
    steps: np.ndarray
    dx: float = 1.0
    dy: float = 1.0
    static: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    digest: str = ""

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

    def chunk_paths(self) -> list[FsPath]:
        return [FsPath(self.folder) / chunk["file"] for chunk in self.chunks]

    def fields(self, names: list[str] | None = None) -> Iterator[Field]:
        """Yield every snapshot as a Field (its layers plus the static ones), in time order.

        ``names`` picks layers (default all). Reads one chunk at a time.
        """
        index = 0
        for chunk, path in zip(self.chunks, self.chunk_paths()):
            layers = self._read_chunk(chunk, path, names)
            for k in range(int(chunk["frames"])):
                yield self._field(index, {name: stack[k] for name, stack in layers.items()})
                index += 1

    def at(self, index: int, names: list[str] | None = None) -> Field:
        """Snapshot ``index`` (negative counts from the end) as a Field."""
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"snapshot {index} does not exist: the sequence has {count} (0 to {count - 1})")
        index %= count
        first = 0
        for chunk, path in zip(self.chunks, self.chunk_paths()):
            frames = int(chunk["frames"])
            if index < first + frames:
                layers = self._read_chunk(chunk, path, names)
                return self._field(index, {name: stack[index - first] for name, stack in layers.items()})
            first += frames
        raise IndexError(f"snapshot {index} is not in any chunk")  # validate() prevents this

    def _field(self, index: int, layers: dict[str, np.ndarray]) -> Field:
        layers = {**layers, **self.static}
        meta = {**self.meta, "step": int(self.steps[index]), "snapshot": index}
        return Field(layers, self.dx, self.dy, float(self.times[index]), meta)

    def _read_chunk(self, chunk: dict[str, Any], path: FsPath, names: list[str] | None) -> dict[str, np.ndarray]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ChunkError(
                f"snapshot chunk {str(path)!r} cannot be read ({exc.strerror or exc}): it was deleted "
                "or moved after the solve; run the graph again to recompute it") from None
        if hashlib.blake2b(data, digest_size=20).hexdigest() != chunk["digest"]:
            raise ChunkError(
                f"snapshot chunk {str(path)!r} changed after it was written (its content hash does "
                "not match): delete the folder and run the graph again")
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
        counted = 0
        for chunk in self.chunks:
            if not (isinstance(chunk, dict) and isinstance(chunk.get("file"), str) and isinstance(chunk.get("digest"), str)
                    and isinstance(chunk.get("frames"), int) and chunk["frames"] > 0):
                raise ValueError(f"FieldSequence chunk entry {chunk!r} must be {{'file': name, 'frames': n > 0, 'digest': hex}}")
            if os.sep in chunk["file"] or "/" in chunk["file"]:
                raise ValueError(f"FieldSequence chunk {chunk['file']!r} must be a file name inside the folder")
            counted += chunk["frames"]
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
                "dx": self.dx, "dy": self.dy, "meta": self.meta, "digest": self.digest,
                "static": list(self.static)}
        arrays = {"times": self.times, "steps": self.steps}
        arrays.update({f"{_STATIC_PREFIX}{i}": layer for i, layer in enumerate(self.static.values())})
        return meta, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        static = {name: arrays[f"{_STATIC_PREFIX}{i}"] for i, name in enumerate(meta.get("static", []))}
        return cls(meta["folder"], meta["chunks"], meta["names"], tuple(meta["shape"]), arrays["times"],
                   arrays["steps"], meta["dx"], meta["dy"], static, dict(meta.get("meta", {})), meta.get("digest", ""))

    def summary(self) -> Any:
        return {"snapshots": len(self), "layers": self.names, "static": list(self.static),
                "shape": list(self.shape), "dx": self.dx, "dy": self.dy,
                "seconds": [round(float(self.times[0]), 4), round(float(self.times[-1]), 4)] if len(self) else None,
                "folder": self.folder}

    def files(self) -> list[str]:
        return [str(path) for path in self.chunk_paths()]
