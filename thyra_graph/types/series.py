"""FrameSeries: per-frame results of a video (one port value per processed frame)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Iterator

import numpy as np

from .annotations import Instances
from .base import PortType, check_array
from .compact_instances import CompactInstanceFrames
from .scalar import Any as AnyType

# Item arrays are stored as "items.<i>.<name>": dots are safe in NPZ member names and in file
# names on every platform, and an item's own names may contain dots (nested series).
_ITEM_PREFIX = "items."
_COMPACT_PREFIX = "compact."


@dataclass(eq=False)
class FrameSeries(PortType):
    """Results for a sequence of video frames: source frame indices, their times in seconds,
    and one value per frame, all of the same port type (``item_type``).

    Build it as frames are processed::

        FrameSeries.from_items((index, video.time_of(index), Mask(m)) for index, m in results)
    """

    frames: np.ndarray
    times: np.ndarray
    items: list[PortType] = field(default_factory=list)
    item_type: type[PortType] | None = None  # derived from the first item when not given

    type_name: ClassVar[str] = "FrameSeries"
    color: ClassVar[tuple[int, int, int]] = (110, 200, 210)
    doc: ClassVar[str] = "per-frame results of a video (frame index, time, one value per frame)"

    def __post_init__(self) -> None:
        frames = np.asarray(self.frames)
        # Only lossless conversions: float frame numbers are refused by validate, not truncated.
        self.frames = frames.astype(np.int64) if frames.dtype.kind in "iu" or frames.size == 0 else frames
        times = np.asarray(self.times)
        self.times = times.astype(np.float64) if times.dtype.kind in "iuf" or times.size == 0 else times
        # Compact items stay compact (decoded one frame at a time); anything else becomes a list.
        if not isinstance(self.items, CompactInstanceFrames):
            self.items = list(self.items)
        elif self.item_type is None:
            self.item_type = Instances
        if self.item_type is None:
            self.item_type = type(self.items[0]) if self.items else AnyType

    @classmethod
    def from_items(cls, items: Iterable[tuple[int, float, PortType]],
                   item_type: type[PortType] | None = None) -> "FrameSeries":
        """A series from ``(frame, time, value)`` triples."""
        triples = list(items)
        return cls(
            np.array([int(frame) for frame, _, _ in triples], dtype=np.int64),
            np.array([float(time) for _, time, _ in triples], dtype=np.float64),
            [item for _, _, item in triples],
            item_type,
        )

    @classmethod
    def coerce(cls, value: Any) -> "FrameSeries":
        if isinstance(value, FrameSeries):
            return value
        if isinstance(value, (list, tuple)) and all(isinstance(v, (list, tuple)) and len(v) == 3 for v in value):
            return cls.from_items(value)
        raise TypeError(f"expected a FrameSeries or a list of (frame, time, value) triples, got {type(value).__name__}")

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[tuple[int, float, PortType]]:
        for frame, time, item in zip(self.frames, self.times, self.items):
            yield int(frame), float(time), item

    def select(self, positions) -> "FrameSeries":
        """The entries at ``positions`` (indices into this series, in order); compact items stay compact."""
        positions = [int(p) for p in positions]
        items = (self.items.select(positions) if isinstance(self.items, CompactInstanceFrames)
                 else [self.items[p] for p in positions])
        return FrameSeries(self.frames[positions] if positions else self.frames[:0],
                           self.times[positions] if positions else self.times[:0], items, self.item_type)

    def at(self, frame: int) -> PortType:
        """The value computed for source frame ``frame``."""
        hits = np.flatnonzero(self.frames == frame)
        if not len(hits):
            raise KeyError(f"frame {frame} is not in this series (it covers {self._range_text()})")
        return self.items[int(hits[0])]

    def validate(self) -> None:
        frames = check_array(self.frames, name="FrameSeries.frames", shape=("N",), kind="iu")
        times = check_array(self.times, name="FrameSeries.times", shape=("N",), kind="f")
        if not (len(frames) == len(times) == len(self.items)):
            raise ValueError(f"FrameSeries has {len(frames)} frame indices, {len(times)} times and "
                             f"{len(self.items)} items; all three must have one entry per frame")
        if len(frames) > 1 and (np.diff(frames) <= 0).any():
            raise ValueError("FrameSeries.frames must be strictly increasing (one result per frame, in "
                             "video order); sort the triples and drop duplicates before building the series")
        if not np.isfinite(times).all():
            raise ValueError("FrameSeries.times must be finite (seconds from the start of the video)")
        if not (isinstance(self.item_type, type) and issubclass(self.item_type, PortType)):
            raise TypeError(f"FrameSeries.item_type must be a port type class, got {self.item_type!r}")
        if isinstance(self.items, CompactInstanceFrames):
            # Checked without decoding every frame: a long video's masks stay encoded.
            if self.item_type is not Instances:
                raise TypeError("a FrameSeries with compact instance frames must have item_type Instances")
            self.items.check()
            return
        for frame, item in zip(frames, self.items):
            # Exactly one type: the record names it once and decodes every item with it.
            if type(item) is not self.item_type:
                raise TypeError(f"FrameSeries of {self.item_type.type_name} holds a {type(item).__name__} at "
                                f"frame {int(frame)}; every item must be a {self.item_type.type_name}")
            try:
                item.validate()
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"FrameSeries item at frame {int(frame)}: {exc}") from None

    def nbytes(self) -> int:
        if isinstance(self.items, CompactInstanceFrames):
            return int(self.frames.nbytes + self.times.nbytes) + self.items.nbytes() + 64
        return int(self.frames.nbytes + self.times.nbytes) + sum(item.nbytes() for item in self.items) + 64

    def to_record(self):
        if isinstance(self.items, CompactInstanceFrames):
            meta, compact = self.items.to_record()
            arrays = {"frames": self.frames, "times": self.times}
            arrays.update({f"{_COMPACT_PREFIX}{name}": array for name, array in compact.items()})
            return {"item_type": self.item_type.type_name, "compact": meta}, arrays
        item_metas = []
        arrays: dict[str, np.ndarray] = {"frames": self.frames, "times": self.times}
        for i, item in enumerate(self.items):
            item_meta, item_arrays = item.to_record()
            item_metas.append(item_meta)
            for name, array in item_arrays.items():
                arrays[f"{_ITEM_PREFIX}{i}.{name}"] = array
        return {"item_type": self.item_type.type_name, "items": item_metas}, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        # Imported here: the registry module imports this one.
        from . import type_by_name

        item_type = type_by_name(meta["item_type"])
        if "compact" in meta:
            compact = {key[len(_COMPACT_PREFIX):]: array for key, array in arrays.items() if key.startswith(_COMPACT_PREFIX)}
            return cls(arrays["frames"], arrays["times"], CompactInstanceFrames.from_record(meta["compact"], compact),
                       item_type)
        per_item: list[dict[str, np.ndarray]] = [{} for _ in meta["items"]]
        for key, array in arrays.items():
            if key.startswith(_ITEM_PREFIX):
                index, name = key[len(_ITEM_PREFIX):].split(".", 1)
                per_item[int(index)][name] = array
        items = [item_type.from_record(item_meta, item_arrays)
                 for item_meta, item_arrays in zip(meta["items"], per_item)]
        return cls(arrays["frames"], arrays["times"], items, item_type)

    def summary(self) -> Any:
        return {"frames": len(self), "item_type": self.item_type.type_name,
                "range": [int(self.frames[0]), int(self.frames[-1])] if len(self.frames) else None,
                "seconds": [round(float(self.times[0]), 3), round(float(self.times[-1]), 3)] if len(self.times) else None}

    def _range_text(self) -> str:
        return f"frames {int(self.frames[0])}–{int(self.frames[-1])}" if len(self.frames) else "no frames"


class InstancesSeriesBuilder:
    """Builds a FrameSeries of Instances for a long video in bounded memory: each frame's masks
    are run-length encoded as they arrive and decoded again only when read.

    Example::

        builder = InstancesSeriesBuilder(height, width)
        for index, time, instances in results:
            builder.append(index, time, instances)
        series = builder.finish()
    """

    def __init__(self, height: int, width: int, *, classes: dict[int, str] | None = None) -> None:
        self._items = CompactInstanceFrames(height, width, classes=classes)
        self._frames: list[int] = []
        self._times: list[float] = []

    def append(self, frame: int, time: float, instances: Instances) -> None:
        if self._frames and int(frame) <= self._frames[-1]:
            raise ValueError(f"frame {int(frame)} comes after frame {self._frames[-1]}: append frames in video order")
        self._items.append(instances)
        self._frames.append(int(frame))
        self._times.append(float(time))

    def __len__(self) -> int:
        return len(self._frames)

    def finish(self) -> FrameSeries:
        return FrameSeries(np.array(self._frames, dtype=np.int64), np.array(self._times, dtype=np.float64),
                           self._items, Instances)
