"""What the reports say about each region: its id (D1, D2, …), box, area, prompt points and text.

The annotated image and the text report both read regions from here, so the "D3" in the
picture is the "D3" in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from thyra_graph.types import Instances


@dataclass
class Region:
    """One instance as a report shows it. ``box`` is (x0, y0, x1, y1) with x1, y1 exclusive
    (as in Thyra's Boxes), None when the mask is empty; ``points`` are (x, y, label) prompts."""

    index: int
    id: str
    box: tuple[int, int, int, int] | None
    area: int
    label: str
    description: str
    score: float
    source: str
    points: list[tuple[float, float, int]] = field(default_factory=list)


def region_id(prefix: str, index: int) -> str:
    """The id of the instance at ``index`` (0-based): prefix + number from 1 (D1, D2, …)."""
    return f"{prefix}{index + 1}"


def regions_of(instances: Instances, *, prefix: str = "D") -> list[Region]:
    """A :class:`Region` per instance, in the instances' order."""
    if not len(instances):
        return []  # Instances.areas() cannot reshape zero masks
    boxes = instances.boxes().xyxy.astype(int)
    areas = instances.areas()
    regions = []
    for i in range(len(instances)):
        extra = instances.extra[i] if i < len(instances.extra) and isinstance(instances.extra[i], dict) else {}
        box = tuple(int(v) for v in boxes[i]) if areas[i] else None
        regions.append(Region(
            index=i, id=region_id(prefix, i), box=box, area=int(areas[i]),
            label=label_of(instances, i), description=_text(instances.descriptions, i),
            score=float(instances.scores[i]), source=str(extra.get("source", "") or ""),
            points=prompt_points(extra)))
    return regions


def label_of(instances: Instances, index: int) -> str:
    """The instance's label, else the name of its class (class 0 without a name: none)."""
    label = _text(instances.labels, index)
    if label:
        return label
    return str(instances.classes.get(int(instances.class_ids[index]), ""))


def prompt_points(extra: dict[str, Any]) -> list[tuple[float, float, int]]:
    """The prompt points a segmentation node recorded for an instance, as (x, y, label).

    Read from ``extra["point"]`` ([x, y] or [x, y, label]: the sweeping analysis), and from
    ``extra["prompt"]`` / ``extra["points"]`` (a list of such points, or a dict holding one under
    ``"points"`` or ``"point"``: click prompts). Anything else is ignored: the picture is still
    drawn, just without those points.
    """
    found: list[tuple[float, float, int]] = []
    for key in ("point", "points", "prompt"):
        found.extend(_points_in(extra.get(key)))
    return list(dict.fromkeys(found))


def _points_in(value: Any) -> list[tuple[float, float, int]]:
    if isinstance(value, dict):
        return _points_in(value.get("points")) + _points_in(value.get("point"))
    if _is_point(value):
        return [(float(value[0]), float(value[1]), int(value[2]) if len(value) == 3 else 1)]
    if isinstance(value, (list, tuple)):
        return [p for item in value if _is_point(item) for p in _points_in(item)]
    return []


def _is_point(value: Any) -> bool:
    if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
        return False
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in value):
        return False
    return len(value) == 2 or value[2] in (0, 1)


def _text(values: list[str], index: int) -> str:
    return str(values[index]).strip() if index < len(values) and values[index] else ""


def first_words(text: str, count: int) -> str:
    """The first ``count`` words of ``text`` on one line, with "…" when cut."""
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")
