"""What a run reports: per-node status and time, and the requested outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
            "outputs": {ref: value.summary() for ref, value in self.outputs.items()},
        }
