"""Classes named in parameters: by id (``3``) or by name (``car``), as users write them.

A name matches an instance whose class is called that (``Instances.classes``) or whose own
label says it (``Instances.labels``, e.g. from a VLM); names compare case-insensitively.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from thyra_graph.engine.declaration import NodeError
from thyra_graph.types import Instances

ClassRef = int | str


def parse_class_refs(value: Any, *, param: str) -> list[ClassRef]:
    """A parameter's list of class ids and names, or a :class:`NodeError` saying what is wrong.

    A single id or name is taken as a list of one; digit strings (YAML or JSON keys) are ids.
    """
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    refs: list[ClassRef] = []
    for item in items:
        ref = class_ref(item)
        if ref is None:
            raise NodeError(f"{param}: {item!r} is not a class: give class ids (3) or class names ('car'), "
                            f"e.g. {param}: [car, 3]")
        refs.append(ref)
    return refs


def class_ref(item: Any) -> ClassRef | None:
    """One class reference in canonical form (an int id or a stripped name), None if neither."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item
    if isinstance(item, float) and item.is_integer():
        return int(item)
    if isinstance(item, str) and item.strip():
        text = item.strip()
        return int(text) if text.lstrip("-").isdigit() else text
    return None


def instance_names(instances: Instances) -> list[set[str]]:
    """Per instance, the casefolded names it answers to: its class's name and its label."""
    names = []
    for i, class_id in enumerate(instances.class_ids.tolist()):
        known = set()
        if class_id in instances.classes:
            known.add(str(instances.classes[class_id]).casefold())
        if instances.labels and instances.labels[i]:
            known.add(str(instances.labels[i]).casefold())
        names.append(known)
    return names


def matches(instances: Instances, refs: Iterable[ClassRef]) -> np.ndarray:
    """A bool per instance: does it belong to one of the classes in ``refs``?"""
    refs = list(refs)
    ids = [r for r in refs if isinstance(r, int)]
    hit = np.isin(instances.class_ids, np.asarray(ids, dtype=np.int64)) if ids else np.zeros(len(instances), bool)
    names = {r.casefold() for r in refs if isinstance(r, str)}
    if names:
        for i, known in enumerate(instance_names(instances)):
            if known & names:
                hit[i] = True
    return hit


def unmatched_names(instances: Instances, refs: Iterable[ClassRef]) -> list[str]:
    """The names in ``refs`` that no class and no label of ``instances`` answers to."""
    known = {str(name).casefold() for name in instances.classes.values()}
    known |= {str(label).casefold() for label in instances.labels if label}
    return [r for r in refs if isinstance(r, str) and r.casefold() not in known]
