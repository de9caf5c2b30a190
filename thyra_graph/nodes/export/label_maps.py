"""From N object masks to label maps, touching only each object's bounding box.

Exports work per object on the tight box around its mask (the "crop"): a 4K frame with a
thousand small objects costs a thousand small crops, not a thousand full frames. Where
objects overlap, one rule holds for every label-map format (semantic, panoptic): **the
higher score wins the pixel; between equal scores, the object listed first wins.**
"""

from __future__ import annotations

import weakref

import numpy as np

from thyra_graph.types import Instances

# Boxes are needed by several exporters of the same objects in one run; finding them reads
# every mask once, so they are remembered for as long as the Instances value lives.
_box_cache: "weakref.WeakKeyDictionary[Instances, np.ndarray]" = weakref.WeakKeyDictionary()


def mask_boxes(instances: Instances) -> np.ndarray:
    """Per object, the tight box ``(y0, y1, x0, x1)`` (ends exclusive); all 0 for an empty mask."""
    cached = _box_cache.get(instances)
    if cached is not None and len(cached) == len(instances):
        return cached
    boxes = np.zeros((len(instances), 4), dtype=np.int64)
    for i, mask in enumerate(instances.masks):
        rows = np.flatnonzero(mask.any(axis=1))
        if not len(rows):
            continue
        y0, y1 = int(rows[0]), int(rows[-1]) + 1
        cols = np.flatnonzero(mask[y0:y1].any(axis=0))
        boxes[i] = (y0, y1, int(cols[0]), int(cols[-1]) + 1)
    _box_cache[instances] = boxes
    return boxes


def crop(instances: Instances, index: int, boxes: np.ndarray) -> np.ndarray:
    """Object ``index``'s mask inside its box (a view: nothing is copied)."""
    y0, y1, x0, x1 = boxes[index]
    return instances.masks[index, y0:y1, x0:x1]


def nonempty(boxes: np.ndarray) -> np.ndarray:
    """A bool per object: does its mask have any pixel?"""
    return boxes[:, 1] > boxes[:, 0]


def paint_order(instances: Instances) -> np.ndarray:
    """Object indices in the order to paint them so that the overlap rule holds: lowest score
    first, and among equal scores the later object first (the last one painted wins)."""
    index = np.arange(len(instances))
    return np.lexsort((-index, instances.scores))


def paint(instances: Instances, values: np.ndarray, *, dtype: np.dtype, boxes: np.ndarray | None = None,
          order: np.ndarray | None = None) -> np.ndarray:
    """An H×W map holding ``values[i]`` where object i is visible (0 elsewhere)."""
    boxes = mask_boxes(instances) if boxes is None else boxes
    label_map = np.zeros(instances.shape, dtype=dtype)
    for i in paint_order(instances) if order is None else order:
        y0, y1, x0, x1 = boxes[i]
        if y1 > y0:
            label_map[y0:y1, x0:x1][instances.masks[i, y0:y1, x0:x1]] = values[i]
    return label_map
