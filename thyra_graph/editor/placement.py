"""Where new and pasted nodes go: at the point asked for, or the nearest spot that is free.

Plain geometry on ``(x, y, width, height)`` boxes in scene coordinates, so it is tested
without Qt. A node created on top of another would hide it (and its pipes); users expect the
editor to make room, as Blender and ComfyUI do when they offset a pasted group.
"""

from __future__ import annotations

import math

Box = tuple[float, float, float, float]

STEP = 40.0     # candidate spots lie on this grid around the wanted point
REACH = 30      # … up to this many steps away in each direction
GAP = 20.0      # free space kept around a placed node
NODE_WIDTH = 170.0


_OFFSETS = sorted(((i, j) for i in range(-REACH, REACH + 1) for j in range(-REACH, REACH + 1)),
                  key=lambda o: (math.hypot(*o), -o[1], -o[0]))


def node_size(inputs: int, outputs: int) -> tuple[float, float]:
    """The size a NodeGraphQt node with this many ports gets (before it exists to measure)."""
    return NODE_WIDTH, 48.0 + 24.0 * max(inputs, outputs, 1)


def overlaps(a: Box, b: Box, gap: float = GAP) -> bool:
    return (a[0] < b[0] + b[2] + gap and b[0] < a[0] + a[2] + gap
            and a[1] < b[1] + b[3] + gap and b[1] < a[1] + a[3] + gap)


def free_spot(want: tuple[float, float], size: tuple[float, float], occupied: list[Box]) -> tuple[float, float]:
    """The top-left corner nearest ``want`` where a box of ``size`` overlaps nothing.

    Spots below and to the right win ties, so a crowded area fills the way people read.
    """
    width, height = size
    if not any(overlaps((want[0], want[1], width, height), box) for box in occupied):
        return want
    near = [box for box in occupied
            if abs(box[0] - want[0]) < (REACH + 1) * STEP + box[2] and abs(box[1] - want[1]) < (REACH + 1) * STEP + box[3]]
    for i, j in _OFFSETS:
        spot = (want[0] + i * STEP, want[1] + j * STEP)
        if not any(overlaps((spot[0], spot[1], width, height), box) for box in near):
            return spot
    return want  # a canvas packed this densely: stack rather than refuse


def bounds(boxes: list[Box]) -> Box:
    """The smallest box holding every box in ``boxes`` (which must not be empty)."""
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return left, top, right - left, bottom - top
