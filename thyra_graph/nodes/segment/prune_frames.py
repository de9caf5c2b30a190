"""segment.prune_frames: drop near-duplicate frames of a mask series, keeping a diverse dataset."""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import FrameSeries, Instances, Mask, Table

PER_CHOICES = ("union", "each object")


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks; two empty masks are identical (1.0)."""
    union = np.count_nonzero(a | b)
    if union == 0:
        return 1.0
    return float(np.count_nonzero(a & b)) / float(union)


def object_masks(item: Instances | Mask) -> dict[int, np.ndarray]:
    """One mask per object id: ``extra[i]["object"]`` when set (video tracking), else the class id."""
    if isinstance(item, Mask):
        return {0: np.asarray(item.data, dtype=bool)}
    masks: dict[int, np.ndarray] = {}
    for index, mask in enumerate(item.masks):
        extra = item.extra[index] if index < len(item.extra) else {}
        key = int(extra.get("object", item.class_ids[index])) if isinstance(extra, dict) else int(item.class_ids[index])
        # Two masks with one id (several instances of a class) count as one region of that id.
        masks[key] = masks[key] | mask if key in masks else mask
    return masks


def frame_iou(a: Instances | Mask, b: Instances | Mask, *, per: str) -> float:
    """How alike two frames' masks are: IoU of the union of all objects (``union``), or the lowest
    IoU over the objects of either frame (``each object``; an object in only one frame scores 0)."""
    masks_a, masks_b = object_masks(a), object_masks(b)
    if per == "union":
        shape = _shape(a)
        union_a = np.logical_or.reduce(list(masks_a.values())) if masks_a else np.zeros(shape, bool)
        union_b = np.logical_or.reduce(list(masks_b.values())) if masks_b else np.zeros(shape, bool)
        return mask_iou(union_a, union_b)
    ids = set(masks_a) | set(masks_b)
    if not ids:
        return 1.0
    return min(mask_iou(masks_a[i], masks_b[i]) if i in masks_a and i in masks_b else 0.0 for i in ids)


def _shape(item: Instances | Mask) -> tuple[int, int]:
    return tuple(item.data.shape) if isinstance(item, Mask) else item.shape


def keep_diverse(items: Iterable[Instances | Mask], *, iou_threshold: float, per: str,
                 on_frame: Callable[[int], None] | None = None) -> tuple[list[bool], list[float]]:
    """For each frame in order: kept or not, and its IoU with the last kept frame (NaN for the first).

    ``on_frame(i)`` is called before frame ``i`` is compared (progress and cancellation)."""
    kept: list[bool] = []
    ious: list[float] = []
    last = None
    for index, item in enumerate(items):
        if on_frame is not None:
            on_frame(index)
        if last is None:
            kept.append(True)
            ious.append(float("nan"))
            last = item
            continue
        if _shape(item) != _shape(last):
            raise NodeError(f"the series mixes mask sizes ({_shape(last)} and {_shape(item)}): prune the "
                            "frames of one video at a time")
        iou = frame_iou(last, item, per=per)
        ious.append(iou)
        # Strictly above: a frame exactly at the threshold is different enough to keep.
        keep = not iou > iou_threshold
        kept.append(keep)
        if keep:
            last = item
    return kept, ious


@node(
    "segment.prune_frames", category="segment",
    inputs=[Input("masks", FrameSeries, help="masks per frame (a FrameSeries of Instances or Mask), e.g. from segment.sam2_video")],
    params=[
        Param("iou_threshold", 0.95, min=0.0, max=1.0, step=0.01,
              help="drop a frame when its masks overlap the last kept frame's by more than this (IoU)"),
        Param("per", "union", choices=PER_CHOICES,
              help="union: compare all objects merged into one mask; each object: drop only when every object overlaps"),
    ],
    outputs=[
        Output("masks", FrameSeries, help="the kept frames only, in order"),
        Output("table", Table, help="one row per input frame: frame, time (s), kept (true/false), iou with the last kept frame"),
    ],
)
def prune_frames(masks: FrameSeries, *, iou_threshold: float, per: str, ctx) -> dict:
    """Drop near-duplicate frames: a frame whose masks overlap the last kept frame's by more than the threshold.

    Consecutive video frames are nearly identical; a training set wants variety (a few hundred
    different poses rather than 6,000 look-alikes). The first frame is always kept; each later
    frame is compared with the last frame *kept* (not its neighbour), so a slow drift is still
    caught once it adds up. ``per: union`` merges all objects of a frame into one mask;
    ``each object`` compares object by object (by tracking id) and keeps the frame as soon as
    any one object moved, appeared or vanished. Frames with no objects count as identical to
    each other. Use the table's ``kept`` column to pick the same frames from the video.

    Example: ``{type: segment.prune_frames, inputs: {masks: track.masks}, params: {iou_threshold: 0.9}}``
    """
    if len(masks) and not issubclass(masks.item_type, (Instances, Mask)):
        raise NodeError(f"segment.prune_frames needs masks per frame (Instances or Mask); this series holds "
                        f"{masks.item_type.type_name}: connect the masks output of a segmentation node")
    kept, ious = keep_diverse((item for _, _, item in masks), iou_threshold=iou_threshold, per=per,
                              on_frame=lambda done: ctx.progress(done, len(masks)))
    ctx.progress(len(masks), len(masks))
    # select() keeps a long video's run-length-encoded frames encoded.
    pruned = masks.select([position for position, keep in enumerate(kept) if keep])
    table = Table({
        "frame": np.asarray(masks.frames, dtype=np.int64),
        "time": np.asarray(masks.times, dtype=np.float64),
        "kept": np.asarray(kept, dtype=bool),
        "iou": np.asarray(ious, dtype=np.float64),
    })
    return {"masks": pruned, "table": table}
