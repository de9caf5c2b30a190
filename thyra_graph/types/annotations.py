"""Annotation types: Points (prompt clicks or detections), Boxes and Instances."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .base import PortType, array_summary, as_array, check_json


def _as_float_xy(value: Any, width: int, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, width), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != width:
        raise ValueError(f"{name} must be an N×{width} array, got shape {array.shape}")
    return array


@dataclass(eq=False)
class Points(PortType):
    """N points in pixel coordinates (x, y); ``labels`` 1 = positive click, 0 = negative.

    ``scales`` optionally holds a radius per point (blob detectors), NaN where unknown.
    """

    xy: np.ndarray
    labels: np.ndarray | None = None
    scales: np.ndarray | None = None

    type_name: ClassVar[str] = "Points"
    color: ClassVar[tuple[int, int, int]] = (230, 110, 110)
    doc: ClassVar[str] = "N points (x, y) with positive/negative labels"

    def __post_init__(self) -> None:
        self.xy = _as_float_xy(self.xy, 2, "Points.xy")
        n = len(self.xy)
        self.labels = np.ones(n, dtype=np.int8) if self.labels is None else np.asarray(self.labels, dtype=np.int8).reshape(-1)
        if self.scales is not None:
            self.scales = np.asarray(self.scales, dtype=np.float64).reshape(-1)

    @classmethod
    def coerce(cls, value: Any) -> "Points":
        if isinstance(value, Points):
            return value
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"expected Points: N×2 (x, y) or N×3 (x, y, label) numbers, got {type(value).__name__}") from None
        if array.ndim == 2 and array.shape[1] == 3:
            # [x, y, label] rows, the form a "points" parameter holds (clicks from the editor).
            return cls(array[:, :2], array[:, 2])
        return cls(array)

    def __len__(self) -> int:
        return len(self.xy)

    def validate(self) -> None:
        if self.xy.ndim != 2 or self.xy.shape[1] != 2:
            raise ValueError(f"Points.xy must be an N×2 array, got shape {self.xy.shape}")
        if len(self.labels) != len(self.xy):
            raise ValueError(f"Points has {len(self.xy)} points but {len(self.labels)} labels")
        if not np.isin(self.labels, (0, 1)).all():
            raise ValueError("Points.labels must be 1 (positive) or 0 (negative)")
        if self.scales is not None and len(self.scales) != len(self.xy):
            raise ValueError(f"Points has {len(self.xy)} points but {len(self.scales)} scales")

    def nbytes(self) -> int:
        return int(self.xy.nbytes + self.labels.nbytes + (0 if self.scales is None else self.scales.nbytes)) + 64

    def to_record(self):
        arrays = {"xy": self.xy, "labels": self.labels}
        if self.scales is not None:
            arrays["scales"] = self.scales
        return {}, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["xy"], arrays["labels"], arrays.get("scales"))

    def summary(self) -> Any:
        return {"count": len(self), "positive": int((self.labels == 1).sum())}


@dataclass(eq=False)
class Boxes(PortType):
    """N axis-aligned boxes as (x0, y0, x1, y1) pixels, with optional scores and classes."""

    xyxy: np.ndarray
    scores: np.ndarray | None = None
    class_ids: np.ndarray | None = None
    labels: list[str] = field(default_factory=list)

    type_name: ClassVar[str] = "Boxes"
    color: ClassVar[tuple[int, int, int]] = (240, 160, 60)
    doc: ClassVar[str] = "N boxes (x0, y0, x1, y1) with optional scores and classes"

    def __post_init__(self) -> None:
        self.xyxy = _as_float_xy(self.xyxy, 4, "Boxes.xyxy")
        # The record stores float32 scores and int32 ids; holding the same dtypes here makes a
        # cached value identical to a fresh one.
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        if self.class_ids is not None:
            self.class_ids = np.asarray(self.class_ids, dtype=np.int32).reshape(-1)
        self.labels = list(self.labels)

    @classmethod
    def coerce(cls, value: Any) -> "Boxes":
        if isinstance(value, Boxes):
            return value
        return cls(value)

    def __len__(self) -> int:
        return len(self.xyxy)

    def validate(self) -> None:
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise ValueError(f"Boxes.xyxy must be an N×4 array, got shape {self.xyxy.shape}")
        n = len(self.xyxy)
        if n and ((self.xyxy[:, 2] < self.xyxy[:, 0]).any() or (self.xyxy[:, 3] < self.xyxy[:, 1]).any()):
            raise ValueError("Boxes must have x1 >= x0 and y1 >= y0")
        for name in ("scores", "class_ids"):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ValueError(f"Boxes has {n} boxes but {len(values)} {name}")
        if self.labels and len(self.labels) != n:
            raise ValueError(f"Boxes has {n} boxes but {len(self.labels)} labels")

    def nbytes(self) -> int:
        extras = sum(int(a.nbytes) for a in (self.scores, self.class_ids) if a is not None)
        return int(self.xyxy.nbytes) + extras + sum(len(label) + 8 for label in self.labels) + 64

    def to_record(self):
        arrays = {"xyxy": self.xyxy}
        if self.scores is not None:
            arrays["scores"] = np.asarray(self.scores, dtype=np.float32)
        if self.class_ids is not None:
            arrays["class_ids"] = np.asarray(self.class_ids, dtype=np.int32)
        return {"labels": list(self.labels)}, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["xyxy"], arrays.get("scores"), arrays.get("class_ids"), list(meta.get("labels", [])))

    def summary(self) -> Any:
        return {"count": len(self)}


@dataclass(eq=False)
class Instances(PortType):
    """N object masks over one H×W image, with class ids, scores and optional labels.

    ``masks`` is N×H×W bool. ``classes`` maps class id → name. ``labels`` and
    ``descriptions`` are per instance (empty list = none). ``extra`` holds one JSON-friendly
    dict per instance for node-specific facts (the prompt point, the source, an order).
    """

    masks: np.ndarray
    class_ids: np.ndarray | None = None
    scores: np.ndarray | None = None
    labels: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    classes: dict[int, str] = field(default_factory=dict)
    extra: list[dict[str, Any]] = field(default_factory=list)

    type_name: ClassVar[str] = "Instances"
    color: ClassVar[tuple[int, int, int]] = (120, 200, 120)
    doc: ClassVar[str] = "N object masks with class ids, scores and labels"

    def __post_init__(self) -> None:
        masks = as_array(self.masks, name="Instances.masks")
        if masks.dtype != bool:
            masks = masks != 0
        self.masks = masks
        n = len(masks)
        self.class_ids = np.zeros(n, dtype=np.int32) if self.class_ids is None else np.asarray(self.class_ids, dtype=np.int32).reshape(-1)
        self.scores = np.ones(n, dtype=np.float32) if self.scores is None else np.asarray(self.scores, dtype=np.float32).reshape(-1)

    @classmethod
    def empty(cls, height: int, width: int) -> "Instances":
        return cls(np.zeros((0, height, width), dtype=bool))

    @classmethod
    def coerce(cls, value: Any) -> "Instances":
        if isinstance(value, Instances):
            return value
        return cls(as_array(value, name="Instances masks"))

    def __len__(self) -> int:
        return len(self.masks)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.masks.shape[1]), int(self.masks.shape[2])

    def areas(self) -> np.ndarray:
        return self.masks.sum(axis=(1, 2))

    def boxes(self) -> Boxes:
        """Tight (x0, y0, x1, y1) boxes around each mask (x1, y1 exclusive)."""
        xyxy = np.zeros((len(self), 4))
        for i, mask in enumerate(self.masks):
            ys = np.flatnonzero(mask.any(axis=1))
            xs = np.flatnonzero(mask.any(axis=0))
            if len(xs):
                xyxy[i] = (xs[0], ys[0], xs[-1] + 1, ys[-1] + 1)
        return Boxes(xyxy, self.scores.copy(), self.class_ids.copy(), list(self.labels))

    def validate(self) -> None:
        if self.masks.ndim != 3:
            raise ValueError(f"Instances.masks must be N×H×W, got shape {self.masks.shape}")
        n = len(self.masks)
        for name in ("class_ids", "scores"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Instances has {n} masks but {len(getattr(self, name))} {name}")
        if self.masks.dtype != bool:
            raise ValueError(f"Instances.masks must be bool, got {self.masks.dtype}")
        for name in ("labels", "descriptions", "extra"):
            values = getattr(self, name)
            if values and len(values) != n:
                raise ValueError(f"Instances has {n} masks but {len(values)} {name}")
        check_json({"extra": self.extra, "classes": {str(k): v for k, v in self.classes.items()}},
                   name="Instances.extra and Instances.classes")

    def nbytes(self) -> int:
        return int(self.masks.nbytes + self.class_ids.nbytes + self.scores.nbytes) + 256 * len(self) + 64

    def to_record(self):
        meta = {
            "shape": list(self.masks.shape),
            "labels": list(self.labels),
            "descriptions": list(self.descriptions),
            "classes": {str(k): v for k, v in self.classes.items()},
            "extra": list(self.extra),
        }
        arrays = {
            "bits": np.packbits(self.masks, axis=None),
            "class_ids": self.class_ids,
            "scores": self.scores,
        }
        return meta, arrays

    @classmethod
    def from_record(cls, meta, arrays):
        shape = tuple(meta["shape"])
        masks = np.unpackbits(arrays["bits"], count=int(np.prod(shape))).astype(bool).reshape(shape)
        return cls(
            masks,
            arrays["class_ids"],
            arrays["scores"],
            list(meta.get("labels", [])),
            list(meta.get("descriptions", [])),
            {int(k): v for k, v in meta.get("classes", {}).items()},
            list(meta.get("extra", [])),
        )

    def summary(self) -> Any:
        return {"count": len(self), "masks": array_summary(self.masks)}
