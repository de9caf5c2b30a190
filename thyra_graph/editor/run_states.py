"""What each node's badge says, folded from the engine's run events.

Events arrive in the engine's order (see :mod:`thyra_graph.engine.events`); this model
keeps the last state of each node, which the canvas draws and the properties panel
explains (a failed node's error, a skipped node's cause).
"""

from __future__ import annotations

from dataclasses import dataclass

from thyra_graph.engine import events as ev
from thyra_graph.engine.subgraph import SEPARATOR

IDLE, QUEUED, RUNNING, CACHED, DONE, FAILED, SKIPPED = "idle", "queued", "running", "cached", "done", "failed", "skipped"
CANCELLED, UNCONNECTED = "cancelled", "not connected"
HAS_RESULT = (CACHED, DONE)

# Badge colours (RGB), one per state.
COLORS = {
    IDLE: (110, 110, 110), QUEUED: (150, 150, 170), RUNNING: (60, 140, 230), CACHED: (60, 170, 170),
    DONE: (70, 170, 80), FAILED: (210, 60, 60), SKIPPED: (200, 160, 60), CANCELLED: (130, 130, 160),
    UNCONNECTED: (220, 110, 50),
}


@dataclass
class NodeState:
    status: str = IDLE
    progress: float | None = None  # 0..1 while running, when the node reports it
    message: str = ""              # progress message, error, or why it was skipped
    seconds: float | None = None
    stale: bool = False            # edited since its result was computed

    @property
    def badge(self) -> str:
        """The short text on the node: state, progress or time."""
        if self.status == RUNNING:
            return f"running {self.progress:.0%}" if self.progress is not None else "running…"
        if self.status == DONE and self.seconds is not None:
            return f"done {_duration(self.seconds)}"
        if self.status == IDLE and self.stale:
            return "changed"
        return self.status


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


class RunStates:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeState] = {}
        self.executed: list[str] = []  # nodes that computed in the last run, in order

    def get(self, node_id: str) -> NodeState:
        return self.nodes.get(node_id) or NodeState()

    def apply(self, event: ev.Event) -> set[str]:
        """Fold one event in; returns the node ids whose badge changed. A subgraph instance's
        badge sums up its inner nodes (events name them ``instance/inner``)."""
        changed = self._apply(event)
        owners = {n.split(SEPARATOR, 1)[0] for n in changed if SEPARATOR in n}
        for owner in owners:
            self.nodes[owner] = _summed([s for n, s in self.nodes.items() if n.startswith(owner + SEPARATOR)])
        return changed | owners

    def _apply(self, event: ev.Event) -> set[str]:
        kind, node = event.kind, event.node
        if kind == ev.PLANNED:
            self.executed = []
            changed = set()
            for node_id in event.data.get("execute", []):
                self.nodes[node_id] = NodeState(QUEUED)
                changed.add(node_id)
            return changed
        if node is None:
            return set()
        state = self.nodes.setdefault(node, NodeState())
        if kind == ev.STARTED:
            state.status, state.progress, state.message, state.stale = RUNNING, None, "", False
        elif kind == ev.PROGRESS:
            total = event.data.get("total")
            state.progress = (event.data.get("done", 0) / total) if total else None
            state.message = event.data.get("message", "")
        elif kind == ev.CACHED:
            state.status, state.message, state.stale = CACHED, f"cached ({event.data.get('source', '')})", False
        elif kind == ev.FINISHED:
            state.status, state.seconds, state.progress, state.message = DONE, event.data.get("seconds"), None, ""
            self.executed.append(node)
        elif kind == ev.FAILED:
            state.status, state.seconds, state.message = FAILED, event.data.get("seconds"), event.data.get("error", "")
        elif kind == ev.SKIPPED:
            reason = event.data.get("reason", "")
            if reason == "not needed":
                # Its results are not needed because everything after it is cached.
                state.message = "not needed: the results after it are cached"
                if state.status not in HAS_RESULT:
                    state.status = SKIPPED
            elif reason == "cancelled":  # stopped by the user, not held back by a failure
                state.status, state.message = CANCELLED, "run cancelled"
            else:
                state.status, state.message = SKIPPED, reason
        elif kind == ev.WARNING:
            state.message = event.data.get("message", "")
        else:
            return set()
        return {node}

    def mark_stale(self, node_ids: set[str]) -> set[str]:
        """An edit made these results outdated: their badges say so until the next run."""
        for node_id in node_ids:
            self.nodes[node_id] = NodeState(IDLE, stale=True)
        return set(node_ids)

    def forget(self, node_ids: set[str] | None = None) -> None:
        if node_ids is None:
            self.nodes.clear()
        for node_id in node_ids or ():
            self.nodes.pop(node_id, None)


def _summed(inner: list[NodeState]) -> NodeState:
    """One badge for a subgraph instance: the most telling of its inner nodes' states."""
    for status in (FAILED, RUNNING, QUEUED, SKIPPED, DONE, CACHED):
        if any(s.status == status for s in inner):
            break
    else:
        status = IDLE
    seconds = sum(s.seconds or 0.0 for s in inner if s.status == DONE)
    message = next((s.message for s in inner if s.status == status and s.message), "")
    return NodeState(status, None, message, seconds if status == DONE else None)
