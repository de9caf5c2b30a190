"""Instances for thousands of video frames, held as COCO run-length encodings.

A 1080p bool mask is 2 MB; a 5-minute video segmented frame by frame would need tens of GB as
plain arrays. The RLE of a typical object is a few kB, so ``CompactInstanceFrames`` keeps every
frame's masks encoded (pycocotools) and decodes one frame's :class:`Instances` when it is read.
It is the ``items`` of a :class:`~thyra_graph.types.series.FrameSeries`; build one with
:class:`~thyra_graph.types.series.InstancesSeriesBuilder`.
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Iterator, Sequence

import numpy as np

from .annotations import Instances


def encode_masks(masks: np.ndarray) -> list[bytes]:
    """The compressed COCO RLE counts of each of N×H×W bool masks."""
    from pycocotools import mask as mask_utils

    if not len(masks):
        return []
    fortran = np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8))
    return [rle["counts"] for rle in mask_utils.encode(fortran)]


def decode_masks(counts: list[bytes], height: int, width: int) -> np.ndarray:
    """N×H×W bool masks from their compressed COCO RLE counts."""
    from pycocotools import mask as mask_utils

    if not counts:
        return np.zeros((0, height, width), dtype=bool)
    with warnings.catch_warnings():
        # pycocotools' Cython arrays predate NumPy 2's copy keyword; the warning is about them.
        warnings.simplefilter("ignore", DeprecationWarning)
        stacked = mask_utils.decode([{"size": [height, width], "counts": c} for c in counts])
    return np.ascontiguousarray(stacked.transpose(2, 0, 1)).astype(bool)


class CompactInstanceFrames(Sequence[Instances]):
    """A sequence of per-frame Instances over one H×W video, stored as RLE; read-only."""

    def __init__(self, height: int, width: int, *, classes: dict[int, str] | None = None) -> None:
        self.height = int(height)
        self.width = int(width)
        self.classes = dict(classes or {})
        self._counts: list[list[bytes]] = []
        self._class_ids: list[np.ndarray] = []
        self._scores: list[np.ndarray] = []
        self._texts: list[dict[str, list]] = []  # labels, descriptions, extra per frame

    def append(self, instances: Instances) -> None:
        if instances.shape != (self.height, self.width):
            raise ValueError(f"Instances of {instances.shape[1]}×{instances.shape[0]} px in a series of "
                             f"{self.width}×{self.height} px frames; every frame must have the video's size")
        self._counts.append(encode_masks(instances.masks))
        self._class_ids.append(np.asarray(instances.class_ids, dtype=np.int32).copy())
        self._scores.append(np.asarray(instances.scores, dtype=np.float32).copy())
        self._texts.append({"labels": list(instances.labels), "descriptions": list(instances.descriptions),
                            "extra": list(instances.extra)})
        self.classes.update(instances.classes)

    def __len__(self) -> int:
        return len(self._counts)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # negative indices, IndexError past the end
        texts = self._texts[index]
        return Instances(decode_masks(self._counts[index], self.height, self.width),
                         self._class_ids[index].copy(), self._scores[index].copy(),
                         list(texts["labels"]), list(texts["descriptions"]), dict(self.classes),
                         [dict(e) for e in texts["extra"]])

    def __iter__(self) -> Iterator[Instances]:
        for index in range(len(self)):
            yield self[index]

    def counts(self, index: int) -> int:
        """How many instances frame ``index`` holds (without decoding it)."""
        return len(self._counts[index])

    def select(self, indices: Sequence[int]) -> "CompactInstanceFrames":
        """The frames at ``indices``, still encoded."""
        out = CompactInstanceFrames(self.height, self.width, classes=self.classes)
        for i in indices:
            out._counts.append(self._counts[i])
            out._class_ids.append(self._class_ids[i])
            out._scores.append(self._scores[i])
            out._texts.append(self._texts[i])
        return out

    def nbytes(self) -> int:
        return sum(sum(len(c) for c in frame) + 64 * len(frame) + 96 for frame in self._counts) + 64

    def to_record(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        flat = [c for frame in self._counts for c in frame]
        lengths = np.array([len(c) for c in flat], dtype=np.int64)
        meta = {"height": self.height, "width": self.width,
                "classes": {str(k): v for k, v in self.classes.items()}, "texts": self._texts}
        arrays = {
            "per_frame": np.array([len(frame) for frame in self._counts], dtype=np.int64),
            "rle_lengths": lengths,
            "rle_bytes": np.frombuffer(b"".join(flat), dtype=np.uint8).copy(),
            "class_ids": np.concatenate(self._class_ids) if self._class_ids else np.zeros(0, np.int32),
            "scores": np.concatenate(self._scores) if self._scores else np.zeros(0, np.float32),
        }
        return meta, arrays

    @classmethod
    def from_record(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> "CompactInstanceFrames":
        out = cls(meta["height"], meta["width"], classes={int(k): v for k, v in meta.get("classes", {}).items()})
        per_frame = arrays["per_frame"].astype(np.int64)
        lengths = arrays["rle_lengths"].astype(np.int64)
        if int(per_frame.sum()) != len(lengths) or int(lengths.sum()) != len(arrays["rle_bytes"]):
            raise ValueError("compact instance record is inconsistent (run-length table does not match its data)")
        data = arrays["rle_bytes"].tobytes()
        ends = np.cumsum(lengths)
        starts = ends - lengths
        first = 0
        for frame, n in enumerate(per_frame):
            n = int(n)
            out._counts.append([data[starts[j]:ends[j]] for j in range(first, first + n)])
            out._class_ids.append(arrays["class_ids"][first:first + n].astype(np.int32))
            out._scores.append(arrays["scores"][first:first + n].astype(np.float32))
            first += n
        out._texts = [dict(t) for t in meta["texts"]]
        if len(out._texts) != len(per_frame):
            raise ValueError("compact instance record has texts for a different number of frames")
        return out

    def check(self) -> None:
        """Structural checks without decoding every frame."""
        for frame, (counts, ids, scores, texts) in enumerate(zip(self._counts, self._class_ids, self._scores, self._texts)):
            n = len(counts)
            if len(ids) != n or len(scores) != n:
                raise ValueError(f"frame {frame}: {n} masks but {len(ids)} class ids and {len(scores)} scores")
            for name in ("labels", "descriptions", "extra"):
                if texts[name] and len(texts[name]) != n:
                    raise ValueError(f"frame {frame}: {n} masks but {len(texts[name])} {name}")
        json.dumps(self._texts)  # extra must stay JSON-friendly
