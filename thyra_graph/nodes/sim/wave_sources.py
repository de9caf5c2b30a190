"""Wave makers: point, line and incoming-swell sources, given as a JSON list on the solver.

Each source is a dict; positions are metres from the top-left corner of the image (x to the
right, y down), directions degrees (0 = travelling right, 90 = down the image)::

    [{"type": "point", "x": 12.0, "y": 30.0, "amplitude": 0.3, "period": 2.0},
     {"type": "line", "x0": 0, "y0": 5, "x1": 40, "y1": 5, "amplitude": 0.2, "period": 3.0},
     {"type": "swell", "direction": 60, "amplitude": 0.4, "period": 4.0}]

Optional keys: ``start`` (seconds before the source switches on) and ``phase`` (degrees).

A source forces the wave equation (``u_tt = ∇·(c²∇u) + s``) rather than prescribing the
height, so waves pass through it without reflecting. Strengths are set so that ``amplitude`` is
the height of the waves made, in metres: exactly for line and swell sources (the 1-D Green's
function: a line forced with ``F sin ωt`` per metre radiates ``F / (2cω)`` on each side), and
at one wavelength from a point source (the 2-D far field ``F/(4c²)·√(2/(πkr))`` at ``r = λ``).
Every source ramps up over its first period (sin²), so switching on sends no shock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import NodeError

KINDS = ("point", "line", "swell")
_REQUIRED = {
    "point": ("x", "y", "amplitude", "period"),
    "line": ("x0", "y0", "x1", "y1", "amplitude", "period"),
    "swell": ("direction", "amplitude", "period"),
}
_OPTIONAL = ("start", "phase", "type")


@dataclass(frozen=True)
class WaveSource:
    """One parsed source (see the module docstring for the keys)."""

    kind: str
    amplitude: float
    period: float
    start: float = 0.0
    phase: float = 0.0  # degrees
    x: float = 0.0
    y: float = 0.0
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0
    direction: float = 0.0  # degrees

    @property
    def omega(self) -> float:
        return 2.0 * math.pi / self.period


@dataclass
class SourceCells:
    """Where a source forces the grid: interior ``rows``/``cols``, and per cell the weight of
    its sine and cosine channels (forcing in m/s² at full strength)."""

    rows: np.ndarray
    cols: np.ndarray
    sin_weight: np.ndarray
    cos_weight: np.ndarray


def parse_sources(value: Any) -> list[WaveSource]:
    """The sources described by the ``sources`` parameter, or a NodeError naming the bad one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise NodeError("sources must be a list of source objects, e.g. "
                        '[{"type": "swell", "direction": 90, "amplitude": 0.3, "period": 3}]')
    sources = []
    for index, item in enumerate(value):
        where = f"source {index}"
        if not isinstance(item, dict):
            raise NodeError(f"{where} must be an object with a 'type' ({', '.join(KINDS)}), got {item!r}")
        kind = item.get("type")
        if kind not in KINDS:
            raise NodeError(f"{where} has type {kind!r}; use one of {', '.join(KINDS)}")
        missing = [key for key in _REQUIRED[kind] if key not in item]
        if missing:
            raise NodeError(f"{where} ({kind}) lacks {', '.join(missing)}; a {kind} source needs "
                            f"{', '.join(_REQUIRED[kind])} (and may have start, phase)")
        unknown = [key for key in item if key not in _REQUIRED[kind] and key not in _OPTIONAL]
        if unknown:
            raise NodeError(f"{where} ({kind}) has unknown key(s) {', '.join(map(repr, unknown))}; "
                            f"it takes {', '.join(_REQUIRED[kind] + _OPTIONAL[:2])}")
        numbers = {}
        for key, raw in item.items():
            if key == "type":
                continue
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
                raise NodeError(f"{where} ({kind}): {key} must be a finite number, got {raw!r}")
            numbers[key] = float(raw)
        if numbers["period"] <= 0:
            raise NodeError(f"{where} ({kind}): period must be positive seconds, got {numbers['period']}")
        if numbers.get("start", 0.0) < 0:
            raise NodeError(f"{where} ({kind}): start must be >= 0 seconds, got {numbers['start']}")
        sources.append(WaveSource(kind, **numbers))
    return sources


def rasterise(source: WaveSource, index: int, *, speed: np.ndarray, obstacle: np.ndarray,
              dx: float, dy: float, pad: int = 0) -> SourceCells:
    """The grid cells a source forces, with strengths that give waves of its amplitude.

    ``speed`` and ``obstacle`` cover the image plus ``pad`` sponge cells on each side; the
    returned rows and columns index them. Only swells reach into the sponge.
    """
    height, width = speed.shape[0] - 2 * pad, speed.shape[1] - 2 * pad
    where = f"source {index} ({source.kind})"
    extent = f"x from 0 to {width * dx:g} m and y from 0 to {height * dy:g} m"
    omega = source.omega
    phase = math.radians(source.phase)
    if source.kind == "point":
        col, row = int(source.x // dx), int(source.y // dy)
        if not (0 <= row < height and 0 <= col < width):
            raise NodeError(f"{where} at x={source.x:g} m, y={source.y:g} m lies outside the image ({extent})")
        c = speed[row + pad, col + pad]
        strength = np.array([4.0 * math.pi * c * c * source.amplitude / (dx * dy)])
        rows, cols, phases = np.array([row + pad]), np.array([col + pad]), np.array([phase])
    elif source.kind == "line":
        for x, y in ((source.x0, source.y0), (source.x1, source.y1)):
            if not (0 <= x <= width * dx and 0 <= y <= height * dy):
                raise NodeError(f"{where}: end point x={x:g} m, y={y:g} m lies outside the image ({extent})")
        length = math.hypot(source.x1 - source.x0, source.y1 - source.y0)
        samples = max(2, int(math.ceil(2 * length / min(dx, dy))) + 1)
        xs = np.linspace(source.x0, source.x1, samples)
        ys = np.linspace(source.y0, source.y1, samples)
        cells = np.unique(np.stack([np.minimum((ys // dy).astype(int), height - 1),
                                    np.minimum((xs // dx).astype(int), width - 1)], axis=1), axis=0)
        rows, cols = cells[:, 0] + pad, cells[:, 1] + pad
        # Cells per metre of line: a diagonal line covers more cells per metre than a straight one.
        density = len(rows) / max(length, min(dx, dy))
        strength = 2.0 * speed[rows, cols] * omega * source.amplitude / (dx * dy * density)
        phases = np.full(len(rows), phase)
    else:
        rows, cols, strength, phases = _swell_cells(source, speed, dx, dy, omega, phase, pad)
    keep = ~obstacle[rows, cols] & (speed[rows, cols] > 0)
    if not keep.any():
        raise NodeError(f"{where} lies entirely on obstacles (rocks or land): move it onto open water")
    rows, cols, strength, phases = rows[keep], cols[keep], strength[keep], phases[keep]
    return SourceCells(rows, cols, strength * np.cos(phases), strength * np.sin(phases))


def _swell_cells(source: WaveSource, speed: np.ndarray, dx: float, dy: float, omega: float, phase: float, pad: int):
    """A plane wave entering through the image edges it travels away from.

    Each entering edge carries a line source phased so that it radiates along the swell's
    direction; by Huygens the edges' contributions tile the image without overlap. Free ends
    run on into the sponge, where what they make is absorbed: a line cut off at the image
    corner would send diffracted ripples across the picture from its end.
    """
    rows_ext, cols_ext = speed.shape
    direction = math.radians(source.direction)
    dxn, dyn = math.cos(direction), math.sin(direction)
    enters = {"left": dxn > 1e-9, "right": dxn < -1e-9, "top": dyn > 1e-9, "bottom": dyn < -1e-9}

    def span(n: int, before: bool, after: bool) -> np.ndarray:
        # An edge runs on into the sponge at an end unless the edge it meets there also
        # enters: there the other edge's line takes over (extending both would overlap).
        return np.arange(0 if before else pad, n if after else n - pad)

    edges = []
    # (rows, cols, inward component of the direction, spacing normal to the edge)
    for side, inward in (("left", dxn), ("right", -dxn)):
        if enters[side]:
            rows = span(rows_ext, not enters["top"], not enters["bottom"])
            col = pad if side == "left" else cols_ext - 1 - pad
            edges.append((rows, np.full(len(rows), col), inward, dx))
    for side, inward in (("top", dyn), ("bottom", -dyn)):
        if enters[side]:
            cols = span(cols_ext, not enters["left"], not enters["right"])
            row = pad if side == "top" else rows_ext - 1 - pad
            edges.append((np.full(len(cols), row), cols, inward, dy))
    rows_all, cols_all, strength_all, phase_all = [], [], [], []
    taken: set[tuple[int, int]] = set()
    for rows, cols, cos_in, spacing in edges:
        fresh = np.array([(int(r), int(c)) not in taken for r, c in zip(rows, cols)])
        rows, cols = rows[fresh], cols[fresh]
        taken.update(zip(rows.tolist(), cols.tolist()))
        c = speed[rows, cols]
        k = omega / np.maximum(c, 1e-9)
        x, y = (cols - pad + 0.5) * dx, (rows - pad + 0.5) * dy
        rows_all.append(rows)
        cols_all.append(cols)
        strength_all.append(2.0 * c * omega * cos_in * source.amplitude / spacing)
        phase_all.append(phase - k * (x * dxn + y * dyn))
    return (np.concatenate(rows_all), np.concatenate(cols_all), np.concatenate(strength_all),
            np.concatenate(phase_all))


def signals(source: WaveSource, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The source's sine and cosine channels at times ``t`` (ramped up over one period)."""
    local = np.asarray(t, dtype=np.float64) - source.start
    ramp = np.where(local > 0, np.sin(0.5 * math.pi * np.clip(local / source.period, 0.0, 1.0)) ** 2, 0.0)
    angle = source.omega * np.maximum(local, 0.0)
    return ramp * np.sin(angle), ramp * np.cos(angle)
