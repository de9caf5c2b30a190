"""Field: named H×W layers on a regular grid (simulation state, height fields, depth)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

import numpy as np

from .base import PortType, array_summary, as_array, check_array, check_json


@dataclass(eq=False)
class Field(PortType):
    """Named H×W float layers sharing one grid: ``dx``/``dy`` metres between samples along
    x (columns) and y (rows), ``t`` the simulation time in seconds, ``meta`` free facts
    (solver, boundary conditions) as JSON-friendly values.

    Example: a wave solver state ``Field({"height": h, "velocity": v}, dx=0.01, dy=0.01, t=2.5)``.
    """

    layers: dict[str, np.ndarray]
    dx: float = 1.0
    dy: float = 1.0
    t: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    type_name: ClassVar[str] = "Field"
    color: ClassVar[tuple[int, int, int]] = (80, 130, 200)
    doc: ClassVar[str] = "named H×W float layers on a grid (dx, dy in metres, time t)"

    def __post_init__(self) -> None:
        self.layers = dict(self.layers)
        for name in ("dx", "dy", "t"):
            value = getattr(self, name)
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                setattr(self, name, float(value))

    @classmethod
    def coerce(cls, value: Any) -> "Field":
        if isinstance(value, Field):
            return value
        if isinstance(value, Mapping):
            return cls({name: as_array(layer, name=f"Field layer {name!r}") for name, layer in value.items()})
        # A bare array is a one-layer field, e.g. a depth or height map.
        return cls({"value": as_array(value, name="Field data")})

    @property
    def names(self) -> list[str]:
        return list(self.layers)

    @property
    def shape(self) -> tuple[int, int]:
        first = next(iter(self.layers.values()))
        return int(first.shape[0]), int(first.shape[1])

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(f"Field has no layer {name!r}; its layers are {', '.join(self.layers) or 'none'}") from None

    def validate(self) -> None:
        if not self.layers:
            raise ValueError("Field has no layers; give at least one named H×W array")
        shape = None
        for name, layer in self.layers.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"Field layer names must be non-empty strings, got {name!r}")
            layer = check_array(layer, name=f"Field layer {name!r}", shape=("H", "W"), kind="f")
            if shape is None:
                shape, first = layer.shape, name
            elif layer.shape != shape:
                raise ValueError(f"Field layer {name!r} has shape {layer.shape} but layer {first!r} has {shape}; "
                                 "all layers of a Field share one grid")
        for name in ("dx", "dy"):
            value = getattr(self, name)
            if not isinstance(value, float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"Field.{name} must be a positive grid spacing in metres, got {value!r}")
        if not isinstance(self.t, float) or not math.isfinite(self.t):
            raise ValueError(f"Field.t must be a finite time in seconds, got {self.t!r}")
        check_json(self.meta, name="Field.meta")

    def nbytes(self) -> int:
        return sum(int(layer.nbytes) for layer in self.layers.values()) + 64 * len(self.layers) + 64

    def to_record(self):
        # Arrays are keyed by position, not by layer name: names may hold any character.
        meta = {"names": list(self.layers), "dx": self.dx, "dy": self.dy, "t": self.t, "meta": self.meta}
        return meta, {f"layer{i}": layer for i, layer in enumerate(self.layers.values())}

    @classmethod
    def from_record(cls, meta, arrays):
        layers = {name: arrays[f"layer{i}"] for i, name in enumerate(meta["names"])}
        return cls(layers, meta["dx"], meta["dy"], meta["t"], dict(meta.get("meta", {})))

    def summary(self) -> Any:
        return {
            "layers": {name: array_summary(layer) for name, layer in self.layers.items()},
            "dx": self.dx, "dy": self.dy, "t": self.t,
        }
