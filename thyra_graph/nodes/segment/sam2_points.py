"""segment.sam2_points: SAM 2 masks from clicked points and boxes, on a cached image embedding."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Boxes, Image, Instances, Points

from ..models.weights import hub_download
from ..models.needs import sam2_models
from .embedding_cache import embed_cached
from .sam2_loading import load_segmenter, model_params, unload_segmenter

MULTIMASK_CHOICES = ("best", "all")
OBJECT_PER_CHOICES = ("prompt set", "point")
LOW_PERCENTILE, HIGH_PERCENTILE = 0.5, 99.5


def sam_rgb(data: np.ndarray) -> np.ndarray:
    """Any image as the H×W×3 uint8 RGB that SAM 2 takes.

    Grey (H×W, H×W×1) is repeated into three channels and alpha is dropped. uint8 is kept as it
    is; float images within 0–1 are scaled by 255. Other depths (16-bit, floats outside 0–1)
    are stretched from their 0.5th to 99.5th percentile, so a microscope's 12-bit signal in a
    16-bit file fills the 8-bit range instead of landing in its darkest sixteenth.
    """
    data = np.asarray(data)
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[:, :, 0]
    if data.ndim == 3:
        if data.shape[2] < 3:
            raise NodeError(f"SAM 2 needs a grey, RGB or RGBA image, got {data.shape[2]} channels")
        data = data[:, :, :3]
    if data.dtype != np.uint8:
        values = data.astype(np.float32)
        finite = values[np.isfinite(values)]
        if np.issubdtype(data.dtype, np.floating) and finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            low, high = 0.0, 1.0
        elif finite.size:
            low, high = (float(v) for v in np.percentile(finite, (LOW_PERCENTILE, HIGH_PERCENTILE)))
        else:
            low, high = 0.0, 1.0
        scale = 255.0 / (high - low) if high > low else 0.0
        values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
        data = np.clip((values - low) * scale + 0.5, 0, 255).astype(np.uint8)
    if data.ndim == 2:
        data = np.repeat(data[:, :, None], 3, axis=2)
    return np.ascontiguousarray(data)


def prompt_points(clicks: list, points: Points | None) -> tuple[np.ndarray, np.ndarray]:
    """The ``clicks`` parameter followed by the connected Points: (N×2 xy, N labels)."""
    # Graph files and the editor give [x, y, label] rows (the points parameter kind coerces them);
    # Points.coerce also takes bare [x, y] rows from Python callers.
    given = Points.coerce(clicks) if len(clicks) else Points(np.zeros((0, 2)))
    xy = [given.xy]
    labels = [given.labels.astype(np.int64)]
    if points is not None and len(points):
        xy.append(np.asarray(points.xy, np.float64))
        labels.append(np.asarray(points.labels, np.int64))
    return np.concatenate(xy), np.concatenate(labels)


def check_points_inside(xy: np.ndarray, height: int, width: int) -> None:
    outside = (xy[:, 0] < 0) | (xy[:, 1] < 0) | (xy[:, 0] > width - 1) | (xy[:, 1] > height - 1)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise NodeError(f"prompt point {i} at (x={xy[i, 0]:g}, y={xy[i, 1]:g}) is outside the {width}×{height} image "
                        f"({int(outside.sum())} of {len(xy)} points are): the points were probably clicked on another "
                        "image or at another size. Remove them (click on them in the preview) or connect points "
                        "made for this image")


def clip_boxes(boxes: Boxes | None, height: int, width: int, ctx) -> np.ndarray:
    """Boxes as N×4 pixels inside the image; partly outside ones are clipped (with a warning)."""
    if boxes is None or not len(boxes):
        return np.zeros((0, 4))
    xyxy = np.asarray(boxes.xyxy, np.float64)
    clipped = xyxy.copy()
    clipped[:, [0, 2]] = np.clip(xyxy[:, [0, 2]], 0, width - 1)
    clipped[:, [1, 3]] = np.clip(xyxy[:, [1, 3]], 0, height - 1)
    empty = (clipped[:, 2] <= clipped[:, 0]) | (clipped[:, 3] <= clipped[:, 1])
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise NodeError(f"box {i} {[round(float(v), 1) for v in xyxy[i]]} lies outside the {width}×{height} image "
                        "(or is empty): connect boxes found on this image")
    moved = int((np.abs(clipped - xyxy) > 1e-6).any(axis=1).sum())
    if moved:
        ctx.warn(f"{moved} box(es) reached outside the {width}×{height} image and were clipped to it")
    return clipped


def prompt_sets(xy: np.ndarray, labels: np.ndarray, boxes: np.ndarray, object_per: str) -> list[dict]:
    """One dict per object to segment: its points and labels, or its box, and what it came from."""
    sets = []
    positive = labels == 1
    # Negative clicks only say where an object is not; without a positive one there is no object.
    if positive.any():
        if object_per == "point":
            negatives = xy[~positive], labels[~positive]
            for point in xy[positive]:
                sets.append({"points": np.vstack([point[None], negatives[0]]),
                             "labels": np.concatenate([[1], negatives[1]]), "source": "points"})
        else:
            sets.append({"points": xy, "labels": labels, "source": "points"})
    for box in boxes:
        sets.append({"box": box, "source": "box"})
    return sets


def describe_prompt(prompt: dict) -> dict:
    if "box" in prompt:
        return {"box": [round(float(v), 2) for v in prompt["box"]]}
    return {"points": [[round(float(x), 2), round(float(y), 2), int(label)]
                       for (x, y), label in zip(prompt["points"], prompt["labels"])]}


@node(
    "segment.sam2_points", title="SAM 2 points", category="segment", device="gpu", destinations=hub_download, requires=("torch", "transformers"),
    models=sam2_models,
    inputs=[
        Input("image", Image, help="the image to segment (RGB, RGBA, grey, 8- or 16-bit)"),
        Input("points", Points, required=False,
              help="points from another node (e.g. points.grid), used like clicks (added to the clicks)"),
        Input("boxes", Boxes, required=False, help="boxes around objects (e.g. from a detector): one object each"),
    ],
    params=[
        *model_params(),
        Param("clicks", [], kind="points",
              help="clicks on the image: [x, y, label], label 1 = on the object, 0 = not on it"),
        Param("multimask", "best", choices=MULTIMASK_CHOICES,
              help="best: one mask per object; all: SAM 2's three candidate masks per object"),
        Param("object_per", "prompt set", choices=OBJECT_PER_CHOICES,
              help="prompt set: all points make one object; point: each positive point is its own object"),
        Param("min_score", 0.0, min=0.0, max=1.0, step=0.05,
              help="drop masks whose predicted quality (IoU) is below this"),
    ],
    outputs=[Output("instances", Instances, help="one mask per object (three with multimask: all), with scores")],
)
def sam2_points(image: Image, points: Points | None = None, boxes: Boxes | None = None, *, backend: str,
                model: str, config: str, device: str, precision: str, unload: bool, clicks: list, multimask: str,
                object_per: str, min_score: float, ctx) -> Instances:
    """Segment the objects you click on (or draw boxes around) with SAM 2.

    Click on the preview to add points (shift-click for a point that is *not* on the object),
    or connect Points / Boxes from other nodes. With ``object_per: prompt set`` all points
    describe one object; with ``point`` every positive point is a separate object and the
    negative points apply to each. Every box is an object of its own. Points outside the image
    are an error; boxes reaching past its border are clipped with a warning. Grey and 16-bit
    images are converted to 8-bit RGB (16-bit and unusual float ranges are stretched between
    their 0.5th and 99.5th percentiles).

    The image embedding is cached (in memory and in the disk cache), so changing only the
    clicks re-runs only SAM 2's small decoder.

    Example: ``{type: segment.sam2_points, inputs: {image: load.image}, params: {clicks: [[120, 80, 1]]}}``
    """
    rgb = sam_rgb(image.data)
    height, width = rgb.shape[:2]
    xy, labels = prompt_points(clicks, points)
    check_points_inside(xy, height, width)
    box_array = clip_boxes(boxes, height, width, ctx)
    prompts = prompt_sets(xy, labels, box_array, object_per)
    if len(xy) and not (labels == 1).any() and prompts:
        ctx.warn("only negative points were given; they were ignored (add a positive point to segment by points)")
    if not prompts:
        raise NodeError("segment.sam2_points has no prompt to segment: click on the object in the preview "
                        "(or set the clicks parameter), or connect Points or Boxes"
                        + (" (only negative points were given; add a positive one)" if len(xy) else ""))
    segmenter = load_segmenter(ctx, backend=backend, model=model, config=config, device=device, precision=precision)
    try:
        embedding = embed_cached(ctx, segmenter, rgb)
        masks, scores, extra = [], [], []
        for index, prompt in enumerate(prompts):
            ctx.progress(index, len(prompts), "decoding prompts")
            prediction = segmenter.decode(embedding, points=prompt.get("points"), point_labels=prompt.get("labels"),
                                          box=prompt.get("box"), multimask=multimask == "all")
            keep = range(len(prediction.scores)) if multimask == "all" else range(1)
            for rank in keep:
                masks.append(prediction.masks[rank])
                scores.append(float(prediction.scores[rank]))
                extra.append({"prompt": describe_prompt(prompt), "source": prompt["source"], "object": index,
                              "rank": rank})
    finally:
        if unload:
            unload_segmenter(ctx, segmenter)
    kept = [i for i, score in enumerate(scores) if score >= min_score]
    if len(kept) < len(scores):
        ctx.warn(f"{len(scores) - len(kept)} of {len(scores)} masks scored below min_score {min_score:g} and were dropped")
    if not kept:
        return Instances.empty(height, width)
    return Instances(np.stack([masks[i] for i in kept]), scores=np.array([scores[i] for i in kept], np.float32),
                     extra=[extra[i] for i in kept])
