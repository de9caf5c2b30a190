"""The classes an export writes: ids, names, colours, thing or stuff.

The one rule every exporter follows: class ids are written as they are, except class id 0.
Id 0 is background in label-map PNGs and unused in COCO, and in Thyra it means
"unclassified" (what class-agnostic nodes such as image.contours produce), so it is written
as id 1, named after ``classes[0]`` or "object". If class 1 is also in use the exporter
refuses and asks for ``instances.remap``, rather than merging two classes silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.instances.class_refs import ClassRef

from .sources import ExportItem

UNCLASSIFIED = 0
UNCLASSIFIED_NAME = "object"


@dataclass(frozen=True)
class ExportClass:
    id: int  # the id written to files
    source_id: int  # the id in Instances.class_ids
    name: str
    color: tuple[int, int, int]
    isthing: bool = True

    def to_json(self) -> dict:
        return {"name": self.name, "color": list(self.color)}


class ClassTable:
    """Every class of the exported images, in id order, with the id each is written as."""

    def __init__(self, classes: Sequence[ExportClass]) -> None:
        self.classes = list(classes)
        self._by_source = {c.source_id: c for c in self.classes}
        self._lut_source = np.array([c.source_id for c in self.classes], dtype=np.int64)
        self._lut_export = np.array([c.id for c in self.classes], dtype=np.int64)

    @classmethod
    def of(cls, items: Iterable[ExportItem], *, stuff: Iterable[ClassRef] = ()) -> "ClassTable":
        names: dict[int, str] = {}
        used: set[int] = set()
        for item in items:
            used.update(item.instances.class_ids.tolist())
            for class_id, name in item.instances.classes.items():
                names.setdefault(int(class_id), str(name))
        source_ids = sorted(used | set(names))
        if source_ids and source_ids[0] < 0:
            raise NodeError(f"class id {source_ids[0]} is negative: exports need ids from 0 (renumber with instances.remap)")
        if UNCLASSIFIED in source_ids and UNCLASSIFIED + 1 in source_ids:
            raise NodeError(
                "some objects have class id 0 (unclassified) and others class id 1: an export writes id 0 as 1 "
                "(0 is background), which would merge them. Give the unclassified objects a class of their own "
                "with instances.remap, e.g. mapping: {0: {id: 99, name: object}}")
        stuff_refs = list(stuff)
        stuff_ids = {r for r in stuff_refs if isinstance(r, int)}
        stuff_names = {r.casefold() for r in stuff_refs if isinstance(r, str)}
        classes = []
        for source_id in source_ids:
            export_id = 1 if source_id == UNCLASSIFIED else source_id
            name = names.get(source_id) or (UNCLASSIFIED_NAME if source_id == UNCLASSIFIED else f"class_{source_id}")
            isthing = not (source_id in stuff_ids or export_id in stuff_ids or name.casefold() in stuff_names)
            classes.append(ExportClass(export_id, source_id, name, class_color(export_id), isthing))
        known = {c.name.casefold() for c in classes} | {c.id for c in classes} | {c.source_id for c in classes}
        unknown = [r for r in stuff_refs if (r.casefold() if isinstance(r, str) else r) not in known]
        if unknown:
            raise NodeError(f"stuff_classes names {', '.join(map(repr, unknown))}, which no class here is; "
                            f"the classes are {', '.join(repr(c.name) for c in classes) or 'none'}")
        return cls(classes)

    def __len__(self) -> int:
        return len(self.classes)

    def __getitem__(self, source_id: int) -> ExportClass:
        return self._by_source[int(source_id)]

    @property
    def max_id(self) -> int:
        return max((c.id for c in self.classes), default=0)

    def export_ids(self, source_ids: np.ndarray) -> np.ndarray:
        """The written id of each source class id (vectorised)."""
        if not len(source_ids):
            return np.zeros(0, dtype=np.int64)
        position = np.searchsorted(self._lut_source, source_ids)
        return self._lut_export[position]

    def to_json(self, *, background: bool) -> dict[str, dict]:
        """``{id: {name, color}}`` in id order, starting with 0 = background when asked."""
        table = {"0": {"name": "background", "color": [0, 0, 0]}} if background else {}
        table.update({str(c.id): c.to_json() for c in self.classes})
        return table


def class_color(class_id: int) -> tuple[int, int, int]:
    """The Pascal VOC colour of a class id: 0 black, 1 dark red, 2 green, ... (distinct to 255)."""
    r = g = b = 0
    value = int(class_id)
    for shift in range(7, -1, -1):
        r |= (value & 1) << shift
        g |= ((value >> 1) & 1) << shift
        b |= ((value >> 2) & 1) << shift
        value >>= 3
        if not value:
            break
    return r, g, b
