"""segment.multiview: one object segmented consistently across the views of a scene (seed 004).

The pipeline: CLIP scores every view against the text prompt and keeps the relevant ones; in
the most relevant view (or the one clicked in) the object is chosen by a click, a box, or the
prompt's spatial words (left / right / centre, nearest / farthest by depth) among SAM 2's
candidate masks; that mask is lifted to 3D with the view's depth and camera and projected into
every other relevant view, where SAM 2 is prompted from the projection (and re-prompted where
its answer disagrees). The result: per view the object's mask with the same id everywhere, and
the object's points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Cameras, Field, FrameSeries, Image, Instances, PointCloud, Table

from ..label.clip import DEFAULT_MODEL as CLIP_MODEL, clip_scores, load_clip, square, unload_clip
from ..label.crops import instance_crop
from ..recon.camera_math import depth_to_points
from ..models.needs import all_of, hub_models, sam2_models
from .embedding_cache import embed_cached
from .multiview_consistency import View, ViewResult, iou, propagate
from .points import grid_points
from .sam2_loading import load_segmenter, model_params, unload_segmenter
from .sam2_points import check_points_inside
from .segmenter import ImageEmbedding, Segmenter
from .spatial_words import spatial_costs, spatial_words

#: Per view at most this many of the object's points go into the cloud.
CLOUD_POINTS_PER_VIEW = 20000


@dataclass
class Choice:
    """How the object is chosen in the anchor view."""

    prompt: str = ""
    clicks: list | None = None  # [[x, y, label], ...]
    box: list | None = None  # [x0, y0, x1, y1]
    grid: int = 8
    min_area: float = 0.002
    max_area: float = 0.25


def candidate_masks(segmenter: Segmenter, embedding: ImageEmbedding, *, grid: int, min_area: float,
                    max_area: float) -> np.ndarray:
    """Distinct masks SAM 2 finds from a grid of single clicks, between ``min_area`` and
    ``max_area`` of the image (so floors, walls and sky do not compete with objects)."""
    height, width = embedding.height, embedding.width
    kept: list[np.ndarray] = []
    for xy in grid_points(height, width, per_side=grid):
        mask = segmenter.decode(embedding, points=xy[None], point_labels=np.ones(1, np.int64)).masks[0]
        if not min_area <= mask.mean() <= max_area or any(iou(mask, other) > 0.8 for other in kept):
            continue
        kept.append(mask)
    return np.stack(kept) if kept else np.zeros((0, height, width), bool)


def anchor_mask(segmenter: Segmenter, embedding: ImageEmbedding, view: View, choice: Choice,
                rank_by_text: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    """The object's mask in the anchor view, from clicks / a box, or from the prompt's words."""
    if choice.clicks or choice.box:
        clicks = np.asarray(choice.clicks or np.zeros((0, 3)), np.float64).reshape(-1, 3)
        prediction = segmenter.decode(embedding, points=clicks[:, :2] if len(clicks) else None,
                                      point_labels=clicks[:, 2].astype(np.int64) if len(clicks) else None,
                                      box=None if not choice.box else np.asarray(choice.box, np.float64))
        return prediction.masks[0]
    spatial = spatial_words(choice.prompt)
    if not spatial.criteria and not (spatial.rest and rank_by_text):
        raise NodeError("segment.multiview cannot tell which object is meant: click on it (clicks) or draw a box in "
                        "one view, or write a prompt with spatial words (left, right, centre, nearest, farthest) "
                        "or object words CLIP can match (set clip_model)")
    candidates = candidate_masks(segmenter, embedding, grid=choice.grid, min_area=choice.min_area,
                                 max_area=choice.max_area)
    if not len(candidates):
        raise NodeError(f"segment.multiview: SAM 2 found no object between {choice.min_area:g} and {choice.max_area:g} "
                        "of the image in the anchor view; widen min_area / max_area or click on the object")
    costs = spatial_costs(candidates, view.depth, spatial.criteria)
    if spatial.rest and rank_by_text is not None:
        costs = costs - rank_by_text(candidates)  # better text match, lower cost
    return candidates[int(np.argmin(costs))]


def segment_views(views: list[View], segmenter: Segmenter, embed: Callable[[int], ImageEmbedding], *,
                  anchor: int, relevant: list[int], choice: Choice,
                  rank_by_text: Callable[[int, np.ndarray], np.ndarray] | None = None,
                  points: int = 5, agreement: float = 0.7) -> dict[int, ViewResult]:
    """The object in the anchor view and, by projection, in every other relevant view."""
    ranker = None if rank_by_text is None else (lambda masks: rank_by_text(anchor, masks))
    mask = anchor_mask(segmenter, embed(anchor), views[anchor], choice, ranker)
    results = {anchor: ViewResult(mask, 1.0, "prompt", 1.0)}
    if not mask.any():
        return results
    others = [index for index in relevant if index != anchor]
    results.update(propagate(views, anchor, mask, others, embed, segmenter, points=points, agreement=agreement))
    return results


def checked_views(frames: FrameSeries, cameras: Cameras, depths: FrameSeries) -> list[View]:
    """The views as images, depth maps and cameras, with a clear error for anything that does not fit."""
    images = list(frames.items)
    if not images or not all(isinstance(image, Image) for image in images):
        raise NodeError("segment.multiview: 'frames' must be a FrameSeries of images (e.g. recon.synthetic_scene's frames)")
    if not (len(images) == len(cameras) == len(depths.items)):
        raise NodeError(f"segment.multiview: {len(images)} frames, {len(cameras)} cameras and {len(depths.items)} depth "
                        "maps were connected; give one camera and one depth map per frame, in the same order")
    views = []
    for index, (image, field) in enumerate(zip(images, depths.items)):
        if not isinstance(field, Field) or "depth" not in field.layers:
            layers = ", ".join(field.layers) if isinstance(field, Field) else type(field).__name__
            raise NodeError(f"segment.multiview: depth map {index} has no 'depth' layer ({layers}); relative inverse "
                            "depth must be aligned first (recon.align_depth)")
        depth = np.asarray(field["depth"], np.float64)
        if depth.shape != image.data.shape[:2] or tuple(cameras.image_size) != (image.width, image.height):
            raise NodeError(f"segment.multiview: view {index} is {image.width}×{image.height} but its depth map is "
                            f"{depth.shape[1]}×{depth.shape[0]} and the cameras are for {cameras.image_size[0]}×"
                            f"{cameras.image_size[1]}; all three must be on the same pixel grid")
        views.append(View(image.as_uint8_rgb(), depth, cameras.intrinsics[index], cameras.extrinsics[index]))
    return views


def object_cloud(views: list[View], results: dict[int, ViewResult], *, agreement: float = 0.0) -> PointCloud:
    """The object's coloured points, lifted from its mask in every view whose mask agrees with
    the projection at least ``agreement`` (a wrong mask would put another object's points in)."""
    points, colors = [], []
    for index, result in sorted(results.items()):
        if not result.mask.any() or not result.agreement >= agreement:
            continue
        view = views[index]
        xyz, flat = depth_to_points(view.depth, view.K, view.extrinsic, mask=result.mask)
        keep = np.linspace(0, len(xyz) - 1, min(len(xyz), CLOUD_POINTS_PER_VIEW)).astype(np.int64)
        points.append(xyz[keep])
        colors.append(view.rgb.reshape(-1, 3)[flat[keep]])
    if not points:
        return PointCloud(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8))
    return PointCloud(np.concatenate(points).astype(np.float32), np.concatenate(colors).astype(np.uint8))


@node(
    "segment.multiview", title="SAM 2 multi-view", category="segment", device="gpu", requires=("torch", "transformers"),
    models=all_of(sam2_models, hub_models("clip_model")),
    inputs=[
        Input("frames", FrameSeries, help="the views (images) of one scene"),
        Input("cameras", Cameras, help="one camera per view (recon.sfm, recon.vggt, recon.synthetic_scene)"),
        Input("depths", FrameSeries, help="one depth map per view (Fields with layer 'depth', in the cameras' units)"),
    ],
    params=[
        Param("prompt", "", help="what to segment, e.g. 'the box on the left' or 'chair in the background' (spatial words pick among objects)"),
        Param("view", -1, min=-1, help="the view the object is chosen in (always used; clicks and box are in its pixels); -1 = the most relevant view"),
        Param("clicks", [], kind="points", help="clicks on the object in 'view': [x, y, label], label 1 = on it, 0 = not on it"),
        Param("box", [], kind="json", items="number", help="a box around the object in 'view': [x0, y0, x1, y1] pixels ([] = none)"),
        Param("clip_model", CLIP_MODEL, help="CLIP model for view relevance and object words ('' = no CLIP: every view is relevant)"),
        Param("threshold", 0.2, min=-1.0, max=1.0, step=0.01, help="views whose CLIP similarity to the prompt is lower are skipped (about 0.2 for ViT-B/32)"),
        Param("grid", 8, min=2, max=32, help="candidate objects come from a grid × grid of clicks in the chosen view"),
        Param("max_area", 0.25, min=0.0, max=1.0, step=0.05, help="candidates larger than this fraction of the image (floor, wall, sky) are ignored"),
        Param("points", 5, min=1, max=50, help="prompt points sampled inside the projected mask in each other view"),
        Param("agreement", 0.7, min=0.0, max=1.0, step=0.05, help="a view whose mask covers less of the object's projection is re-prompted (and left out of the cloud if it stays below)"),
        *model_params(),
    ],
    outputs=[
        Output("masks", FrameSeries, help="per view Instances: the object (id 1 in every view) or none where it is not seen or the view is not relevant"),
        Output("cloud", PointCloud, help="the object's coloured points from the views whose masks agree with the projection, in the cameras' units"),
        Output("views", Table, help="per view: relevance, whether it was used, how the mask was found, agreement with the projection, pixels"),
    ],
)
def multiview(frames: FrameSeries, cameras: Cameras, depths: FrameSeries, *, prompt: str, view: int, clicks: list,
              box: list, clip_model: str, threshold: float, grid: int, max_area: float, points: int, agreement: float,
              backend: str, model: str, config: str, device: str, precision: str, unload: bool, ctx) -> dict:
    """Segment one object in every view of a scene, consistently, from a text prompt, a click or a box.

    CLIP keeps the views relevant to the prompt; the object is picked in one view by a click, a
    box or spatial words ("left", "right", "centre", "nearest", "farthest"), then found in the
    other views by projecting its 3D points there and prompting SAM 2 with them.

    Example: ``{type: segment.multiview, inputs: {frames: scene.frames, cameras: scene.cameras,
    depths: scene.depths}, params: {prompt: the box on the left}}``
    """
    views = checked_views(frames, cameras, depths)
    if box and (not isinstance(box, list) or len(box) != 4):
        raise NodeError(f"segment.multiview: 'box' must be [x0, y0, x1, y1] in pixels, got {box!r}")
    if view >= len(views):
        raise NodeError(f"segment.multiview: 'view' is {view} but there are {len(views)} views (0 to {len(views) - 1})")
    if (clicks or box) and view < 0:
        raise NodeError("segment.multiview: clicks and box are pixels of one view: set 'view' to the view they were "
                        "made in (0 = the first)")
    if clicks:
        height, width = views[view].depth.shape
        check_points_inside(np.asarray(clicks, np.float64).reshape(-1, 3)[:, :2], height, width)
    relevance = np.full(len(views), np.nan)
    encoder = None
    if prompt.strip() and clip_model.strip():
        encoder = load_clip(ctx, model=clip_model, device=device, precision=precision)
        relevance = clip_scores(encoder, [v.rgb for v in views], [prompt], softmax=False)[:, 0]
    relevant = [i for i in range(len(views)) if not np.isfinite(relevance[i]) or relevance[i] >= threshold]
    anchor = view if view >= 0 else (int(np.nanargmax(relevance)) if np.isfinite(relevance).any() else 0)
    if not relevant and view < 0:
        raise NodeError(f"segment.multiview: no view's CLIP similarity to {prompt!r} reaches threshold {threshold:g} "
                        f"(best {np.nanmax(relevance):.3f}, view {anchor}); lower 'threshold' or reword the prompt")
    if anchor not in relevant:  # the view the user chose is used whatever CLIP thinks of it
        relevant = sorted([*relevant, anchor])

    def rank_by_text(index: int, masks: np.ndarray) -> np.ndarray:
        crops = [instance_crop(views[index].rgb, m) for m in masks]
        words = spatial_words(prompt).rest
        scores = clip_scores(encoder, [square(c[0]) for c in crops if c is not None], [words], softmax=False)[:, 0]
        return scores

    segmenter = load_segmenter(ctx, backend=backend, model=model, config=config, device=device, precision=precision)
    try:
        results = segment_views(views, segmenter, lambda i: embed_cached(ctx, segmenter, views[i].rgb), anchor=anchor,
                                relevant=relevant, choice=Choice(prompt, clicks, box or None, grid, max_area=max_area),
                                rank_by_text=rank_by_text if encoder is not None else None, points=points,
                                agreement=agreement)
    finally:
        if unload:
            unload_segmenter(ctx, segmenter)
            if encoder is not None:
                unload_clip(ctx, encoder)
    if not results[anchor].mask.any():
        ctx.warn(f"SAM 2 found nothing at the prompt in view {anchor}; no view has a mask")
    doubtful = [i for i, r in sorted(results.items()) if r.mask.any() and not r.agreement >= agreement]
    if doubtful:
        ctx.warn(f"the masks of view(s) {', '.join(map(str, doubtful))} still disagree with the projection after "
                 f"re-prompting (agreement below {agreement:g}): they are in 'masks' but left out of 'cloud'")
    label = prompt.strip() or "object"
    items = []
    for index, v in enumerate(views):
        result = results.get(index)
        if result is None or not result.mask.any():
            items.append(Instances.empty(*v.depth.shape))
            continue
        extra = {"object": 1, "source": result.source, "agreement": round(result.agreement, 4)}
        items.append(Instances(result.mask[None], np.array([1]), np.array([result.score]), [label], [],
                               {1: label}, [extra]))
    table = Table({
        "view": np.arange(len(views)), "name": list(cameras.names) or [str(i) for i in range(len(views))],
        "relevance": relevance.astype(np.float32), "relevant": np.array([i in relevant for i in range(len(views))]),
        "source": [results[i].source if i in results else "skipped" for i in range(len(views))],
        "agreement": np.array([results[i].agreement if i in results else np.nan for i in range(len(views))], np.float32),
        "pixels": np.array([int(results[i].mask.sum()) if i in results else 0 for i in range(len(views))]),
    })
    masks = FrameSeries(frames.frames.copy(), frames.times.copy(), items, Instances)
    return {"masks": masks, "cloud": object_cloud(views, results, agreement=agreement), "views": table}
