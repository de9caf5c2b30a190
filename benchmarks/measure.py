"""Timing and reporting shared by the benchmark scripts: medians, tables, target verdicts.

Every benchmark prints its figures next to a baseline measured in the same process and
run, so a slow or busy machine shifts both and the ratio stays meaningful. Timings are the
median of several repetitions after warm-ups; the minimum is shown alongside, as the figure
least disturbed by other work on a shared machine.

As ``timeit`` does, the cyclic garbage collector is off while a repetition is timed (and
garbage is collected before each): when a full collection happens depends on everything the
process allocated before, the untimed set-up included, so leaving it on would charge one
repetition at random with work that scales with the whole heap. Scripts that care about the
collector measure it separately (``collector=True``).
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Timing:
    """Seconds taken by repeated runs of one measured operation."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    def per(self, count: int) -> "Timing":
        """Seconds per item when each sample timed ``count`` items (batches of short calls)."""
        return Timing([s / count for s in self.samples])


def timed(run: Callable[[Any], Any], *, setup: Callable[[], Any] = lambda: None,
          repeat: int = 5, warmup: int = 1, collector: bool = False) -> Timing:
    """Time ``run(setup())`` ``repeat`` times after ``warmup`` untimed runs.

    ``setup`` is not timed: it builds what each repetition consumes (a fresh graph, a fresh
    executor), so "cold" really is cold every time. ``collector=True`` leaves the garbage
    collector on during the timed call (see the module docstring).
    """
    for _ in range(warmup):
        run(setup())
    samples = []
    for _ in range(repeat):
        argument = setup()
        samples.append(_time_once(run, argument, collector))
        del argument
    return Timing(samples)


def timed_alternating(cases: dict[str, tuple[Callable[[Any], Any], Callable[[], Any]]], *,
                      repeat: int = 5, warmup: int = 1, collector: bool = False) -> dict[str, Timing]:
    """Time several ``(run, setup)`` cases with their repetitions interleaved.

    For ratios between cases (a 10,000-node graph against a 1,000-node one): interleaving
    gives every case the same heap and the same share of a busy machine, where timing one
    after the other would let a burst of other work land on one case only.
    """
    timings = {label: Timing([]) for label in cases}
    for round_ in range(warmup + repeat):
        for label, (run, setup) in cases.items():
            argument = setup()
            elapsed = _time_once(run, argument, collector)
            del argument
            if round_ >= warmup:
                timings[label].samples.append(elapsed)
    return timings


def _time_once(run: Callable[[Any], Any], argument: Any, collector: bool) -> float:
    gc.collect()
    was_enabled = gc.isenabled()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter()
        run(argument)
        return time.perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()


def format_seconds(seconds: float) -> str:
    """A duration in the unit that reads best (µs, ms or s)."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_ratio(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


@dataclass
class Report:
    """A table of figures with their targets; ``verdict()`` says whether all are met."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    checked: int = 0

    def row(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def target(self, name: str, met: bool) -> str:
        """Record a target check; returns the verdict text for a table cell."""
        self.checked += 1
        if not met:
            self.failures.append(name)
        return "PASS" if met else "FAIL"

    def print(self) -> None:
        widths = [max([len(c)] + [len(r[i]) for r in self.rows if i < len(r)]) for i, c in enumerate(self.columns)]
        print(f"\n{self.title}")
        print("  ".join(c.ljust(w) for c, w in zip(self.columns, widths)).rstrip())
        print("  ".join("-" * w for w in widths))
        for r in self.rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())

    def verdict(self) -> int:
        """Print the summary line; the exit status a script returns (1 when a target failed)."""
        if self.failures:
            print(f"\n{len(self.failures)} of {self.checked} target(s) FAILED: {'; '.join(self.failures)}")
            return 1
        print(f"\nall {self.checked} target(s) met")
        return 0
