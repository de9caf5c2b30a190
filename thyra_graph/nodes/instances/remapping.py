"""instances.remap: rename classes, merge them, or turn free-text labels into classes."""

from __future__ import annotations

from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Instances

from .class_refs import ClassRef, class_ref, instance_names
from .filtering import take

MAPPING_HELP = ("old class (id or name) → new name ('coin'), new id (2) or both ({id: 2, name: vehicle}); "
                "several old classes mapped to one id are merged")


@node(
    "instances.remap", title="Remap classes", category="instances",
    inputs=[Input("instances", Instances)],
    params=[
        Param("mapping", {}, kind="json", help=MAPPING_HELP),
        Param("from_labels", False, help="first give each distinct object label (e.g. from a VLM) a class of that name"),
        Param("drop_unmapped", False, help="drop objects whose class the mapping does not mention"),
    ],
    outputs=[Output("instances", Instances, help="the objects with their new class ids and names")],
)
def remap(instances: Instances, *, mapping: Any, from_labels: bool, drop_unmapped: bool) -> Instances:
    """Rename or merge classes, so exports carry the ids and names a dataset expects.

    Keys name an existing class by id or by name (the class's name or the object's label);
    the first key that matches an object applies. ``from_labels`` first makes one class per
    distinct label: a label that is already a class name keeps that class's id, new ones get
    ids above the largest in use, in alphabetical order.

    Example (name the unclassified objects of image.contours, merge cars and trucks)::

        {type: instances.remap, inputs: {instances: coins.instances},
         params: {mapping: {0: {id: 1, name: coin}, car: {id: 3, name: vehicle}, truck: 3}}}
    """
    rules = parse_mapping(mapping)
    if from_labels:
        instances = classes_from_labels(instances)
    class_ids = instances.class_ids.copy()
    classes = dict(instances.classes)
    names = instance_names(instances)
    matched = np.zeros(len(instances), dtype=bool)
    moved_from: set[int] = set()
    for i, old_id in enumerate(instances.class_ids.tolist()):
        rule = next((r for r in rules if _names(r[0], old_id, names[i])), None)
        if rule is None:
            continue
        matched[i] = True
        target = old_id if rule[1] is None else rule[1]
        if target != old_id:
            moved_from.add(old_id)
        class_ids[i] = target
        if rule[2] is not None:
            classes[target] = rule[2]
        elif target not in classes and old_id in instances.classes:
            classes[target] = instances.classes[old_id]
    # Classes listed without objects here are renamed too, so that every image of a dataset
    # ends up with the same categories.
    present = set(instances.class_ids.tolist())
    for old_id, old_name in instances.classes.items():
        if old_id in present:
            continue
        rule = next((r for r in rules if _names(r[0], old_id, {str(old_name).casefold()})), None)
        if rule is not None:
            target = old_id if rule[1] is None else rule[1]
            classes[target] = rule[2] if rule[2] is not None else classes.get(target, old_name)
            if target != old_id:
                moved_from.add(old_id)
    for old_id in moved_from - set(class_ids.tolist()):
        classes.pop(old_id, None)
    result = Instances(instances.masks, class_ids, instances.scores, list(instances.labels),
                       list(instances.descriptions), classes, list(instances.extra))
    return take(result, np.flatnonzero(matched)) if drop_unmapped else result


def _names(ref: ClassRef, class_id: int, names: set[str]) -> bool:
    """Whether a mapping key names an object of class ``class_id`` answering to ``names``."""
    return ref == class_id if isinstance(ref, int) else ref.casefold() in names


Rule = tuple[ClassRef, int | None, str | None]


def parse_mapping(mapping: Any) -> list[Rule]:
    """The mapping parameter as (old class, new id or None, new name or None) rules."""
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise NodeError(f"mapping must be a mapping of old class → new class, e.g. {{0: coin, car: {{id: 3}}}}; "
                        f"got {type(mapping).__name__}")
    rules: list[Rule] = []
    for key, value in mapping.items():
        ref = class_ref(key)
        if ref is None:
            raise NodeError(f"mapping key {key!r} is not a class: use a class id (3) or a class name (car)")
        new_id, new_name = _target(key, value)
        rules.append((ref, new_id, new_name))
    return rules


def _target(key: Any, value: Any) -> tuple[int | None, str | None]:
    wrong = NodeError(f"mapping {key!r}: {value!r} is not a class: give a new name ('coin'), a new id (2) or "
                      "both ({id: 2, name: coin})")
    if isinstance(value, bool):
        raise wrong
    if isinstance(value, str):
        if not value.strip():
            raise wrong
        return None, value.strip()
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return _class_id(key, int(value)), None
    if isinstance(value, dict) and set(value) <= {"id", "name"} and value:
        new_id = value.get("id")
        new_name = value.get("name")
        if new_id is not None and (isinstance(new_id, bool) or not isinstance(new_id, int)):
            raise wrong
        if new_name is not None and (not isinstance(new_name, str) or not new_name.strip()):
            raise wrong
        return (None if new_id is None else _class_id(key, new_id)), (None if new_name is None else new_name.strip())
    raise wrong


def _class_id(key: Any, value: int) -> int:
    if not 0 <= value <= np.iinfo(np.int32).max:
        raise NodeError(f"mapping {key!r}: class id {value} is out of range: use 0 to {np.iinfo(np.int32).max}")
    return value


def classes_from_labels(instances: Instances) -> Instances:
    """One class per distinct label: existing class names keep their ids, new ones come after."""
    if not instances.labels:
        return instances
    by_name = {str(name).casefold(): class_id for class_id, name in instances.classes.items()}
    labels = sorted({label.strip() for label in instances.labels if label and label.strip()}, key=str.casefold)
    classes = dict(instances.classes)
    next_id = max([0, *classes, *instances.class_ids.tolist()]) + 1
    for label in labels:
        if label.casefold() not in by_name:
            by_name[label.casefold()] = next_id
            classes[next_id] = label
            next_id += 1
    class_ids = instances.class_ids.copy()
    for i, label in enumerate(instances.labels):
        if label and label.strip():
            class_ids[i] = by_name[label.strip().casefold()]
    return Instances(instances.masks, class_ids, instances.scores, list(instances.labels),
                     list(instances.descriptions), classes, list(instances.extra))
