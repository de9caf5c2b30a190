"""DensityMap: a per-pixel density whose integral is an object count."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .base import PortType, array_summary, as_array, check_array, check_json


@dataclass(eq=False)
class DensityMap(PortType):
    """H×W float32 density; summing it over a region counts the objects there.

    ``meta`` carries provenance such as the model id or the source frame.
    """

    data: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    type_name: ClassVar[str] = "DensityMap"
    color: ClassVar[tuple[int, int, int]] = (230, 90, 170)
    doc: ClassVar[str] = "an H×W float32 density map (its sum is the count)"

    def __post_init__(self) -> None:
        # Models and filters hand back float64/float16; float32 is the documented form and
        # halves the cache footprint, so convert floats silently (other dtypes fail validate).
        if isinstance(self.data, np.ndarray) and self.data.dtype.kind == "f" and self.data.dtype != np.float32:
            self.data = self.data.astype(np.float32)

    @classmethod
    def coerce(cls, value: Any) -> "DensityMap":
        if isinstance(value, DensityMap):
            return value
        array = as_array(value, name="DensityMap data")
        if array.dtype.kind in "iub":
            array = array.astype(np.float32)
        return cls(array)

    @property
    def count(self) -> float:
        """The integral of the map: the estimated number of objects."""
        # Accumulate in float64: float32 sums over megapixel maps drift by whole objects.
        return float(self.data.sum(dtype=np.float64))

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.data.shape[0]), int(self.data.shape[1])

    def validate(self) -> None:
        data = check_array(self.data, name="DensityMap.data", shape=("H", "W"), dtype=np.float32)
        if not np.isfinite(data).all():
            raise ValueError("DensityMap.data contains NaN or infinite values, so its count is meaningless; "
                             "check the model output (e.g. np.nan_to_num) before returning it")
        check_json(self.meta, name="DensityMap.meta")

    def nbytes(self) -> int:
        return int(self.data.nbytes) + 64

    def to_record(self):
        return {"meta": self.meta}, {"data": self.data}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["data"], dict(meta.get("meta", {})))

    def summary(self) -> Any:
        return {**array_summary(self.data), "count": round(self.count, 3)}
