"""segment.crop_segment: detector boxes → padded crops → SAM 2 at full detail → masks in the frame.

SAM 2 resizes whatever it sees to 1024 px, so a 40 px animal in a full-HD frame gets a
coarse mask. Segmenting a padded crop around each detection instead (seed 002, "crop on the
fly") gives the model the object at a useful size: small crops are enlarged to ``min_side``
before encoding, the box (in crop coordinates) is the prompt, and the mask comes back to
exactly the crop's pixels in the full frame.

Coordinates: a box is (x0, y0, x1, y1) pixel *edges* (x1 exclusive, as Instances.boxes gives
them); a point (x, y) is a pixel centre. Scaling by ``s`` maps an edge e to e·s and a centre c
to (c + 0.5)·s − 0.5. A crop pixel takes the enlarged mask's value at its centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.types import Boxes, Image, Instances

from ..models.weights import hub_download
from ..models.needs import sam2_models
from .sam2_loading import load_segmenter, model_params, unload_segmenter
from .sam2_points import sam_rgb
from .segmenter import ImageEmbedding, Segmenter
from .sweep import best_mask


@dataclass
class BoxMask:
    """The mask found for one box, placed in the full frame; None when the box gave nothing."""

    index: int
    mask: np.ndarray | None
    score: float
    crop: tuple[int, int, int, int] | None  # (x0, y0, x1, y1) of the crop in the image
    problem: str = ""  # why there is no mask: "outside", "empty", "no mask"


def clip_box(box: np.ndarray, height: int, width: int) -> tuple[float, float, float, float] | None:
    """The part of a box inside the image, or None when nothing of it is."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None
    x0, x1 = min(max(x0, 0.0), width), min(max(x1, 0.0), width)
    y0, y1 = min(max(y0, 0.0), height), min(max(y1, 0.0), height)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def crop_window(box: tuple[float, float, float, float], height: int, width: int, *, padding: float,
                min_padding: int) -> tuple[int, int, int, int]:
    """Whole-pixel window around a box: grown by ``padding`` × its longer side (at least
    ``min_padding`` px) on every side, clipped to the image."""
    x0, y0, x1, y1 = box
    pad = max(padding * max(x1 - x0, y1 - y0), float(min_padding))
    return (max(0, int(math.floor(x0 - pad))), max(0, int(math.floor(y0 - pad))),
            min(width, int(math.ceil(x1 + pad))), min(height, int(math.ceil(y1 + pad))))


def enlarge(crop: np.ndarray, min_side: int) -> np.ndarray:
    """The crop scaled up (never down) so its longer side is at least ``min_side`` px."""
    import cv2

    h, w = crop.shape[:2]
    longest = max(h, w)
    if longest >= min_side:
        return crop
    scale = min_side / longest
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)


def mask_to_crop(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """A mask of an enlarged crop back at the crop's size: each crop pixel reads the enlarged
    pixel under its centre."""
    big_h, big_w = mask.shape
    if (big_h, big_w) == (height, width):
        return mask
    rows = np.minimum(((np.arange(height) + 0.5) * big_h / height).astype(np.int64), big_h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * big_w / width).astype(np.int64), big_w - 1)
    return mask[np.ix_(rows, cols)]


def segment_boxes(segmenter: Segmenter, rgb: np.ndarray, boxes: np.ndarray, *, padding: float = 0.15,
                  min_padding: int = 8, min_side: int = 512, centre_point: bool = False, multimask: bool = False,
                  embed: Callable[[np.ndarray], ImageEmbedding] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> list[BoxMask]:
    """One :class:`BoxMask` per box (N×4 x0, y0, x1, y1 pixels), masks placed in the full frame.

    Boxes reaching past the image are clipped to it; boxes wholly outside or with no area
    give a BoxMask with ``problem`` set and no mask.
    """
    height, width = rgb.shape[:2]
    encode = embed or segmenter.embed
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    results = []
    for i, raw in enumerate(boxes):
        if progress is not None:
            progress(i, len(boxes))
        x0, y0, x1, y1 = raw
        if not (x1 > x0 and y1 > y0):
            results.append(BoxMask(i, None, 0.0, None, "empty"))
            continue
        box = clip_box(raw, height, width)
        if box is None:
            results.append(BoxMask(i, None, 0.0, None, "outside"))
            continue
        cx0, cy0, cx1, cy1 = crop_window(box, height, width, padding=padding, min_padding=min_padding)
        crop = np.ascontiguousarray(rgb[cy0:cy1, cx0:cx1])
        big = enlarge(crop, min_side)
        sx, sy = big.shape[1] / crop.shape[1], big.shape[0] / crop.shape[0]
        prompt_box = np.array([(box[0] - cx0) * sx, (box[1] - cy0) * sy, (box[2] - cx0) * sx, (box[3] - cy0) * sy])
        points = labels = None
        if centre_point:
            # The box centre (an edge coordinate) as a pixel-centre coordinate in the enlarged crop.
            centre = [((box[0] + box[2]) / 2 - cx0) * sx - 0.5, ((box[1] + box[3]) / 2 - cy0) * sy - 0.5]
            points, labels = np.array([centre]), np.array([1])
        prediction = segmenter.decode(encode(big), points=points, point_labels=labels, box=prompt_box,
                                      multimask=multimask)
        mask, score = best_mask(np.asarray(prediction.masks, dtype=bool), np.asarray(prediction.scores))
        local = mask_to_crop(mask, crop.shape[0], crop.shape[1])
        if not local.any():
            results.append(BoxMask(i, None, score, (cx0, cy0, cx1, cy1), "no mask"))
            continue
        full = np.zeros((height, width), bool)
        full[cy0:cy1, cx0:cx1] = local
        results.append(BoxMask(i, full, score, (cx0, cy0, cx1, cy1)))
    if progress is not None:
        progress(len(boxes), len(boxes))
    return results


def _classes(boxes: Boxes) -> dict[int, str]:
    if boxes.class_ids is None or not boxes.labels:
        return {}
    return {int(c): str(label) for c, label in zip(boxes.class_ids, boxes.labels)}


@node(
    "segment.crop_segment", title="SAM 2 per box", category="segment", device="gpu", destinations=hub_download, requires=("torch",),
    models=sam2_models,
    inputs=[
        Input("image", Image),
        Input("boxes", Boxes, help="objects to segment, e.g. from a detector node or a plugin"),
    ],
    params=[
        *model_params(),
        Param("padding", 0.15, min=0.0, max=2.0, step=0.05, help="context added around each box, as a fraction of its longer side"),
        Param("min_padding", 8, min=0, max=10000, help="at least this many pixels of context on every side"),
        Param("min_side", 512, min=64, max=4096,
              help="enlarge crops whose longer side is smaller than this many pixels before segmenting"),
        Param("centre_point", False, help="also click the box centre (helps when boxes are loose)"),
        Param("multimask", False, help="ask SAM 2 for three masks per box and keep the best one"),
    ],
    outputs=[Output("instances", Instances, help="one mask per box in the full frame, with the boxes' classes, labels and scores")],
)
def crop_segment(image: Image, boxes: Boxes, *, backend: str, model: str, config: str, device: str, precision: str,
                 unload: bool, padding: float, min_padding: int, min_side: int, centre_point: bool, multimask: bool,
                 ctx) -> Instances:
    """Segment each detected box at full detail: crop around it, segment the crop, put the mask back.

    Pairs any detector with SAM 2: each box is cut out with some context, small crops are
    enlarged, the box prompts SAM 2, and the mask lands exactly where the object is in the
    frame. Class ids, labels and scores come from the boxes (SAM 2's own estimate of the
    mask's quality is in extra as ``mask_score``). Boxes reaching past the image are
    clipped; boxes outside it or with no area are skipped with a warning.

    Example: ``{type: segment.crop_segment, inputs: {image: load.image, boxes: detect.boxes}, params: {padding: 0.2}}``
    """
    from .embedding_cache import embed_cached

    rgb = sam_rgb(image.data)
    height, width = rgb.shape[:2]
    if len(boxes) == 0:
        return Instances.empty(height, width)
    segmenter = load_segmenter(ctx, backend=backend, model=model, config=config, device=device, precision=precision)
    try:
        found = segment_boxes(segmenter, rgb, boxes.xyxy, padding=padding, min_padding=min_padding, min_side=min_side,
                              centre_point=centre_point, multimask=multimask,
                              embed=lambda crop: embed_cached(ctx, segmenter, crop),
                              progress=lambda done, total: ctx.progress(done, total, "boxes"))
    finally:
        if unload:
            unload_segmenter(ctx, segmenter)
    _warn_about_skipped(ctx, found, width, height)
    kept = [f for f in found if f.mask is not None]
    if not kept:
        return Instances.empty(height, width)
    index = [f.index for f in kept]
    scores = boxes.scores[index] if boxes.scores is not None else np.array([f.score for f in kept], np.float32)
    class_ids = boxes.class_ids[index] if boxes.class_ids is not None else None
    labels = [boxes.labels[i] for i in index] if boxes.labels else []
    extra = [{"box_index": f.index, "box": [round(float(v), 3) for v in boxes.xyxy[f.index]],
              "crop": list(f.crop), "mask_score": round(f.score, 4)} for f in kept]
    return Instances(np.stack([f.mask for f in kept]), class_ids=class_ids, scores=scores, labels=labels,
                     classes=_classes(boxes), extra=extra)


def _warn_about_skipped(ctx, found: list[BoxMask], width: int, height: int) -> None:
    for problem, wording in (("outside", f"lie wholly outside the {width}×{height} image"),
                             ("empty", "have no area (x1 <= x0 or y1 <= y0)"),
                             ("no mask", "gave an empty mask")):
        which = [f.index for f in found if f.problem == problem]
        if which:
            listed = ", ".join(str(i) for i in which[:10]) + (" …" if len(which) > 10 else "")
            ctx.warn(f"{len(which)} box(es) {wording} and were skipped (box index {listed}); "
                     "check that the boxes come from this image and are (x0, y0, x1, y1) pixels")
