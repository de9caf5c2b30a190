"""Run events: every state change of a run, for progress bars, node badges and logs.

Callbacks may be called from worker threads; a UI must hand them to its own thread.

Order: a run opens with one ``planned`` event. Then each node gets exactly one of

- ``cached`` (including a node found cached mid-run because an identical node, under
  another id, has just computed the same result);
- ``started``, any ``progress`` and ``warning`` events, then ``finished``, ``failed`` or
  ``skipped`` (cancelled while running);
- ``skipped`` alone (not needed, an upstream node failed, or the run was cancelled first).

A cancelled run closes with ``cancelled``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

# kinds
PLANNED = "planned"        # data: {"execute": [...], "cached": [...], "skipped": [...]}
STARTED = "started"
PROGRESS = "progress"      # data: {"done", "total", "message"}
CACHED = "cached"          # data: {"source": "memory" | "disk"}
FINISHED = "finished"      # data: {"seconds"}
FAILED = "failed"          # data: {"error", "seconds"}
SKIPPED = "skipped"        # data: {"reason"}
CANCELLED = "cancelled"    # the whole run was cancelled
WARNING = "warning"        # data: {"message"}


@dataclass(frozen=True)
class Event:
    kind: str
    node: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.monotonic)


EventHandler = Callable[[Event], None]
