"""count.from_instances: counting segmented objects, in all or per class."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.types import Instances, Number, Points, Table


@node(
    "count.from_instances", title="Count instances", category="count",
    inputs=[Input("instances", Instances, help="segmented objects (e.g. from image.contours or a segmentation model)")],
    params=[
        Param("min_area", 0, min=0, help="ignore objects with fewer pixels than this"),
        Param("min_score", 0.0, min=0, max=1, step=0.05, help="ignore objects the segmenter scored below this"),
    ],
    outputs=[
        Output("count", Number, help="how many objects are kept"),
        Output("points", Points, help="the centre (centroid) of each kept object"),
        Output("per_class", Table, help="one row per class: class_id, class, count"),
    ],
)
def from_instances(instances: Instances, *, min_area: int, min_score: float) -> dict:
    """Count segmented objects, in total and per class, dropping specks and unsure ones.

    Example: after the quickstart chain,
    ``{type: count.from_instances, inputs: {instances: coins.instances}, params: {min_area: 300}}``
    """
    areas = instances.areas() if len(instances) else np.zeros(0, dtype=np.int64)
    keep = (areas >= max(min_area, 1)) & (instances.scores >= min_score)
    kept = np.flatnonzero(keep)
    centres = np.array([_centroid(instances.masks[i]) for i in kept]).reshape(-1, 2)
    ids = instances.class_ids[kept]
    classes = sorted(set(int(c) for c in ids) | set(int(c) for c in instances.classes))
    names = [_class_name(instances, c, kept) for c in classes]
    table = Table({
        "class_id": np.asarray(classes, dtype=np.int64),
        "class": names,
        "count": np.asarray([int((ids == c).sum()) for c in classes], dtype=np.int64),
    })
    return {"count": Number(len(kept)), "points": Points(centres), "per_class": table}


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(mask)
    return (float(cols.mean()), float(rows.mean())) if len(rows) else (float("nan"), float("nan"))


def _class_name(instances: Instances, class_id: int, kept: np.ndarray) -> str:
    """The class's name from the instances' class table, else the label of one of its objects."""
    if class_id in instances.classes:
        return str(instances.classes[class_id])
    for index in kept:
        if instances.class_ids[index] == class_id and index < len(instances.labels) and instances.labels[index]:
            return instances.labels[index]
    return "object" if class_id == 0 else f"class {class_id}"
