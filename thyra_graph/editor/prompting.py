"""Prompting by clicking on the preview (SAM 2 style point prompts).

A node is promptable when it declares a ``points`` parameter and an Image input: clicks on
its input image edit that parameter. A click adds a positive point, a shift-click or
right-click a negative one, and a click near an existing point removes it.
"""

from __future__ import annotations

from thyra_graph.engine.declaration import NodeSpec
from thyra_graph.types import Image

REMOVE_RADIUS = 8.0  # pixels, in image coordinates at 100% zoom


def prompt_param(spec: NodeSpec) -> str | None:
    """The parameter clicks edit, or None when the node takes no point prompts."""
    if image_input(spec) is None:
        return None
    return next((p.name for p in spec.params if p.kind == "points"), None)


def image_input(spec: NodeSpec) -> str | None:
    return next((i.name for i in spec.inputs if i.type is Image), None)


def apply_click(points: list[list[float]], x: float, y: float, *, negative: bool = False,
                radius: float = REMOVE_RADIUS) -> list[list[float]]:
    """The points after a click at (x, y): the nearest point within ``radius`` is removed,
    otherwise a point is added (label 0 when ``negative``, else 1)."""
    best, best_distance = None, radius
    for i, point in enumerate(points):
        distance = ((point[0] - x) ** 2 + (point[1] - y) ** 2) ** 0.5
        if distance <= best_distance:
            best, best_distance = i, distance
    if best is not None:
        return [list(p) for i, p in enumerate(points) if i != best]
    return [list(p) for p in points] + [[round(float(x), 1), round(float(y), 1), 0 if negative else 1]]
