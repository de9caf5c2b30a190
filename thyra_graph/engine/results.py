"""What a run reports: per-node status and time, and the requested outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from thyra_graph.types import PortType


@dataclass
class NodeResult:
    type: str
    status: str  # executed | cached | failed | skipped
    seconds: float = 0.0
    error: str | None = None
    key: str | None = None
    source: str | None = None  # memory | disk, for cached nodes
    traceback: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = {"type": self.type, "status": self.status, "seconds": round(self.seconds, 6), "error": self.error}
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data


@dataclass
class RunResult:
    graph: str
    status: str  # ok | failed | cancelled
    nodes: dict[str, NodeResult]
    outputs: dict[str, PortType]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def count(self, status: str) -> int:
        return sum(1 for r in self.nodes.values() if r.status == status)

    def __getitem__(self, ref: str) -> PortType:
        return self.outputs[ref]

    def to_json(self) -> dict[str, Any]:
        return {
            "graph": self.graph,
            "status": self.status,
            "nodes": {n: r.to_json() for n, r in self.nodes.items()},
            "outputs": {ref: summary_of(value) for ref, value in self.outputs.items()},
        }


def summary_of(value: PortType) -> Any:
    """A value's summary as JSON data; a summary that fails is described, never raised."""
    try:
        return json_friendly(value.summary())
    except Exception as exc:  # a plugin type's summary must not lose the whole report
        return f"{value.type_name} (no summary: {type(exc).__name__}: {exc})"


def json_friendly(value: Any) -> Any:
    """A summary as strict JSON data: numpy scalars as Python numbers, arrays by shape and
    dtype, NaN and infinities as strings (JSON has no such numbers), anything else as text."""
    if isinstance(value, dict):
        return {str(k): json_friendly(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_friendly(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
