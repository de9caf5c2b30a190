"""Choosing the solver's time step: stable (CFL), and fitting the snapshot rate exactly."""

from __future__ import annotations

import math
from dataclasses import dataclass

from thyra_graph.engine.declaration import NodeError

UNSTABLE_POLICIES = ("clamp", "refuse")


@dataclass(frozen=True)
class TimeStep:
    dt: float  # seconds per step
    steps_per_snapshot: int
    limit: float  # the CFL limit the step was checked against
    note: str | None = None  # set when a user step was clamped


def choose_time_step(limit: float, *, fps: float, courant: float, dt: float | None,
                     unstable: str) -> TimeStep:
    """The step to use.

    Automatic (``dt`` None): the largest step below ``courant × limit`` that divides the snapshot
    interval ``1/fps`` into whole steps, so snapshots land exactly on ``k/fps``.
    Given ``dt`` above ``limit``: clamped to the automatic-style step below the limit (with a
    note saying so) or refused, as ``unstable`` says.
    """
    if unstable not in UNSTABLE_POLICIES:
        raise ValueError(f"unstable must be one of {UNSTABLE_POLICIES}, got {unstable!r}")
    interval = 1.0 / fps
    if not math.isfinite(limit):  # no water at all moves: any step is stable
        return TimeStep(interval, 1, limit)
    if dt is None:
        steps = max(1, math.ceil(interval / (courant * limit)))
        return TimeStep(interval / steps, steps, limit)
    if dt > limit:
        if unstable == "refuse":
            raise NodeError(
                f"the time step dt={dt:.6g} s is unstable for this grid: the CFL limit is {limit:.6g} s "
                "(the fastest wave must not cross a cell in one step). The solve was refused because "
                "unstable_dt is 'refuse': lower dt below the limit, leave dt empty to choose it "
                "automatically, or set unstable_dt to 'clamp'")
        steps = max(1, math.ceil(interval / limit))
        clamped = interval / steps
        note = (f"the time step dt={dt:.6g} s exceeds the CFL stability limit {limit:.6g} s for this grid; "
                f"clamped to {clamped:.6g} s ({steps} steps per snapshot) because unstable_dt is 'clamp'")
        return TimeStep(clamped, steps, limit, note)
    return TimeStep(dt, max(1, round(interval / dt)), limit)
