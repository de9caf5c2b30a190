"""A line chart of a count over time, drawn with OpenCV (no plotting library needed)."""

from __future__ import annotations

import math

import numpy as np

BACKGROUND = (255, 255, 255)
AXES = (60, 60, 60)
GRID = (225, 225, 225)
LINE = (30, 110, 220)


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick spacing (1, 2 or 5 × a power of ten) giving about ``ticks`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def line_chart(x: np.ndarray, y: np.ndarray, *, width: int = 800, height: int = 400,
               x_label: str = "time (s)", y_label: str = "count", title: str = "") -> np.ndarray:
    """An H×W×3 uint8 RGB chart of y against x with labelled axes and a light grid."""
    import cv2

    canvas = np.full((height, width, 3), BACKGROUND, dtype=np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    left, right, top, bottom = 70, 20, 40 if title else 20, 50
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_low, x_high = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
    if x_high <= x_low:
        x_high = x_low + 1.0
    y_high = float(y.max()) if len(y) else 1.0
    y_step = nice_step(max(y_high, 1.0))
    y_high = max(y_step, math.ceil(max(y_high, 1.0) / y_step) * y_step)
    x_step = nice_step(x_high - x_low)

    def to_pixel(px: float, py: float) -> tuple[int, int]:
        u = left + (px - x_low) / (x_high - x_low) * (width - left - right)
        v = height - bottom - py / y_high * (height - top - bottom)
        return int(round(u)), int(round(v))

    for value in np.arange(0.0, y_high + y_step / 2, y_step):
        u0, v = to_pixel(x_low, value)
        u1, _ = to_pixel(x_high, value)
        cv2.line(canvas, (u0, v), (u1, v), GRID, 1)
        cv2.putText(canvas, _format(value), (8, v + 5), font, 0.45, AXES, 1, cv2.LINE_AA)
    for value in np.arange(math.ceil(x_low / x_step) * x_step, x_high + x_step / 2, x_step):
        u, v0 = to_pixel(value, 0.0)
        _, v1 = to_pixel(value, y_high)
        cv2.line(canvas, (u, v0), (u, v1), GRID, 1)
        cv2.putText(canvas, _format(value), (u - 12, height - bottom + 20), font, 0.45, AXES, 1, cv2.LINE_AA)
    origin, x_end, y_end = to_pixel(x_low, 0.0), to_pixel(x_high, 0.0), to_pixel(x_low, y_high)
    cv2.line(canvas, origin, x_end, AXES, 1)
    cv2.line(canvas, origin, y_end, AXES, 1)
    cv2.putText(canvas, x_label, (width // 2 - 30, height - 12), font, 0.5, AXES, 1, cv2.LINE_AA)
    cv2.putText(canvas, y_label, (8, top - 8 if title else 14), font, 0.5, AXES, 1, cv2.LINE_AA)
    if title:
        cv2.putText(canvas, title, (left, 24), font, 0.6, AXES, 1, cv2.LINE_AA)
    if len(x):
        path = np.array([to_pixel(px, py) for px, py in zip(x, y)], dtype=np.int32)
        if len(path) > 1:
            cv2.polylines(canvas, [path], False, LINE, 2, cv2.LINE_AA)
        for point in path if len(path) <= 200 else ():
            cv2.circle(canvas, tuple(int(v) for v in point), 3, LINE, -1, cv2.LINE_AA)
    return canvas


def _format(value: float) -> str:
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:g}"
