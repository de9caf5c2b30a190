"""instances.filter: keep the objects that matter, by class, size and score."""

from __future__ import annotations

from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Instances, Number

from .class_refs import matches, parse_class_refs, unmatched_names


@node(
    "instances.filter", title="Filter instances", category="instances",
    inputs=[Input("instances", Instances)],
    params=[
        Param("keep_classes", [], kind="json", items="scalar", help="keep only these classes (ids or names, e.g. [car, tree]); empty = all"),
        Param("drop_classes", [], kind="json", items="scalar", help="drop these classes (ids or names, e.g. [sky, person])"),
        Param("min_area", 0, min=0, help="drop objects with fewer pixels than this"),
        Param("min_score", 0.0, min=0, max=1, step=0.05, help="drop objects scored below this"),
        Param("top_k", None, kind="int", min=1, help="then keep at most this many, the highest scores first; empty = no limit"),
    ],
    outputs=[
        Output("instances", Instances, help="the objects kept, in their original order"),
        Output("count", Number, help="how many were kept"),
    ],
)
def filter_instances(instances: Instances, *, keep_classes: Any, drop_classes: Any, min_area: int,
                     min_score: float, top_k: int | None, ctx) -> dict:
    """Keep or drop objects by class, then by area and score, then the top-k by score.

    Classes are named by id (``3``) or by name (``car``: the class's name or the object's
    label, case-insensitive). Equal scores keep the earlier object.

    Example (only the five most confident cars): ``{type: instances.filter, inputs: {instances:
    seg.instances}, params: {keep_classes: [car], top_k: 5}}``
    """
    keep_refs = parse_class_refs(keep_classes, param="keep_classes")
    drop_refs = parse_class_refs(drop_classes, param="drop_classes")
    for refs, param in ((keep_refs, "keep_classes"), (drop_refs, "drop_classes")):
        unknown = unmatched_names(instances, refs)
        if unknown and len(instances):
            ctx.warn(f"{param}: no object here is of class {', '.join(map(repr, unknown))} "
                     f"(known: {', '.join(sorted(map(repr, known_names(instances)))) or 'none'})")
    keep = np.ones(len(instances), dtype=bool)
    if keep_refs:
        keep &= matches(instances, keep_refs)
    if drop_refs:
        keep &= ~matches(instances, drop_refs)
    if min_area > 0:
        keep &= instances.areas() >= min_area
    if min_score > 0:
        keep &= instances.scores >= np.float32(min_score)
    chosen = np.flatnonzero(keep)
    if top_k is not None and len(chosen) > top_k:
        # Stable sort on -score: among equal scores the earlier object stays ahead.
        best = chosen[np.argsort(-instances.scores[chosen], kind="stable")[:top_k]]
        chosen = np.sort(best)
    result = take(instances, chosen)
    return {"instances": result, "count": Number(len(result))}


def known_names(instances: Instances) -> set[str]:
    return {str(n) for n in instances.classes.values()} | {str(label) for label in instances.labels if label}


def take(instances: Instances, index: np.ndarray | list[int]) -> Instances:
    """The objects at ``index`` (in that order), with everything that belongs to them."""
    index = np.asarray(index, dtype=np.int64).reshape(-1)
    if len(index) and (index.min() < 0 or index.max() >= len(instances)):
        raise NodeError(f"object index out of range 0..{len(instances) - 1}")
    pick = index.tolist()

    def per_instance(values: list) -> list:
        return [values[i] for i in pick] if values else []

    return Instances(
        instances.masks[index], instances.class_ids[index], instances.scores[index],
        per_instance(instances.labels), per_instance(instances.descriptions), dict(instances.classes),
        per_instance(instances.extra),
    )
