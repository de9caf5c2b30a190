"""Raster types: Image and Mask."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .base import PortType, array_summary, as_array, check_json


@dataclass(eq=False)
class Image(PortType):
    """H×W×3 RGB image, uint8 (0–255) or float32 (0–1); H×W for single-channel (grey).

    ``meta`` carries provenance such as the source path or frame index.
    """

    data: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    type_name: ClassVar[str] = "Image"
    color: ClassVar[tuple[int, int, int]] = (90, 160, 230)
    doc: ClassVar[str] = "an RGB or grey image (uint8 0-255 or float 0-1)"

    @classmethod
    def coerce(cls, value: Any) -> "Image":
        if isinstance(value, Image):
            return value
        return cls(as_array(value, name="Image data"))

    def validate(self) -> None:
        data = as_array(self.data, name="Image.data")
        if data.ndim not in (2, 3) or (data.ndim == 3 and data.shape[2] not in (1, 3, 4)):
            raise ValueError(f"Image must be H×W or H×W×3 (or ×4), got shape {data.shape}")
        if data.dtype != np.uint8 and not np.issubdtype(data.dtype, np.floating):
            raise ValueError(f"Image must be uint8 or float, got {data.dtype}")
        if data.shape[0] == 0 or data.shape[1] == 0:
            raise ValueError(f"Image is empty (shape {data.shape})")
        check_json(self.meta, name="Image.meta")

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    def nbytes(self) -> int:
        return int(self.data.nbytes) + 64

    def to_record(self):
        return {"meta": self.meta}, {"data": self.data}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["data"], dict(meta.get("meta", {})))

    def summary(self) -> Any:
        return array_summary(self.data)

    def as_uint8_rgb(self) -> np.ndarray:
        """The image as H×W×3 uint8, converting grey and float images."""
        data = self.data
        if np.issubdtype(data.dtype, np.floating):
            data = (np.clip(data, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        if data.ndim == 2:
            data = np.repeat(data[:, :, None], 3, axis=2)
        elif data.shape[2] == 1:
            data = np.repeat(data, 3, axis=2)
        elif data.shape[2] == 4:
            data = data[:, :, :3]
        return np.ascontiguousarray(data)


@dataclass(eq=False)
class Mask(PortType):
    """H×W boolean mask (True = foreground)."""

    data: np.ndarray

    type_name: ClassVar[str] = "Mask"
    color: ClassVar[tuple[int, int, int]] = (240, 240, 240)
    doc: ClassVar[str] = "an H×W boolean mask"

    @classmethod
    def coerce(cls, value: Any) -> "Mask":
        if isinstance(value, Mask):
            return value
        array = as_array(value, name="Mask data")
        if array.dtype != bool:
            array = array != 0
        return cls(array)

    def validate(self) -> None:
        data = as_array(self.data, name="Mask.data")
        if data.ndim != 2:
            raise ValueError(f"Mask must be H×W, got shape {data.shape}")
        if data.dtype != bool:
            raise ValueError(f"Mask must be bool, got {data.dtype}")

    def nbytes(self) -> int:
        return int(self.data.nbytes) + 64

    def to_record(self):
        # Packed bits: 8× smaller on disk than bool bytes.
        return {"shape": list(self.data.shape)}, {"bits": np.packbits(self.data, axis=None)}

    @classmethod
    def from_record(cls, meta, arrays):
        shape = tuple(meta["shape"])
        count = int(np.prod(shape))
        return cls(np.unpackbits(arrays["bits"], count=count).astype(bool).reshape(shape))

    def summary(self) -> Any:
        return {**array_summary(self.data), "area": int(self.data.sum())}
