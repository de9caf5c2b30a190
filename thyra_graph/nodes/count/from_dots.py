"""count.learn_density and count.apply_density: learn to count from a few dots, then count new images.

The ilastik density-counting workflow: click a dot on each object in a part of one image
(and, optionally, a few clicks on background), a forest learns what an object's density looks
like in multi-scale pixel features, and the model counts other images of the same kind, or
every frame of a video, by summing its predicted density.
"""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import DensityMap, DensityModel, FrameSeries, Image, Number, Points, Table, Video, VideoDecodeError

from .density_forest import ANNOTATED, Annotated, choose_scales, predict_density, train_forest
from .intensity import gray_float

# Training reads this many pixels at most unless told otherwise: seconds on a 2-core CPU.
DEFAULT_SAMPLES = 30_000


def _annotated(grey: np.ndarray, xy: np.ndarray, labels: np.ndarray, where: str) -> Annotated:
    height, width = grey.shape
    outside = (xy[:, 0] < -0.5) | (xy[:, 1] < -0.5) | (xy[:, 0] > width - 0.5) | (xy[:, 1] > height - 0.5)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise NodeError(f"count.learn_density: {where}: point {i} at (x={xy[i, 0]:g}, y={xy[i, 1]:g}) is outside the "
                        f"{width}×{height} image ({int(outside.sum())} of {len(xy)} are): the dots were made on another "
                        "image or at another size. Remove them (click on them in the preview) or connect this image")
    positive = labels == 1
    return Annotated(grey, xy[positive].reshape(-1, 2), xy[~positive].reshape(-1, 2))


def _training_images(image: Image, clicks: list, dots: Points | None, frames: FrameSeries | None,
                     frame_points: FrameSeries | None) -> list[Annotated]:
    """The annotated images: the clicked image (clicks and connected points), then each frame."""
    given = [np.asarray(clicks, np.float64).reshape(-1, 3)] if clicks else []
    if dots is not None and len(dots):
        given.append(np.column_stack([dots.xy, dots.labels]))
    rows = np.concatenate(given) if given else np.zeros((0, 3))
    annotated = [_annotated(gray_float(image.data)[0], rows[:, :2], rows[:, 2].astype(int),
                            "the 'points' param and 'dots' input")]
    if (frames is None) != (frame_points is None):
        raise NodeError("count.learn_density: connect both 'frames' (more images) and 'frame_points' (their dots, "
                        "one Points per image), or neither")
    if frames is not None:
        if len(frames.items) != len(frame_points.items):
            raise NodeError(f"count.learn_density: 'frames' holds {len(frames.items)} images but 'frame_points' "
                            f"{len(frame_points.items)} sets of dots: give one Points per image")
        for index, (frame, dots) in enumerate(zip(frames.items, frame_points.items)):
            if not isinstance(frame, Image) or not isinstance(dots, Points):
                raise NodeError(f"count.learn_density: item {index} of 'frames'/'frame_points' is a "
                                f"{type(frame).__name__}/{type(dots).__name__}: expected an Image and its Points")
            annotated.append(_annotated(gray_float(frame.data)[0], np.asarray(dots.xy, np.float64),
                                        np.asarray(dots.labels, int), f"'frame_points' item {index}"))
    if not any(len(item.dots) for item in annotated):
        raise NodeError("count.learn_density has no dots to learn from: click on objects in the preview of its "
                        "image (shift- or right-click marks background), set the 'points' param to [[x, y, 1], ...], "
                        "or connect Points to 'dots'. Dot every object in a part of the image; 20-40 dots are "
                        "usually enough")
    return annotated


@node(
    "count.learn_density", category="count",
    inputs=[
        Input("image", Image, help="the image you dot objects on (grey, RGB, 8- or 16-bit)"),
        Input("dots", Points, required=False,
              help="more dots on this image from another node (label 1 object, 0 background), added to the clicks"),
        Input("frames", FrameSeries, required=False, help="more training images (a FrameSeries of Images)"),
        Input("frame_points", FrameSeries, required=False, help="their dots: a FrameSeries of Points, one per image"),
    ],
    params=[
        Param("points", [], kind="points",
              help="clicks on the image: [x, y, 1] a dot on each object, [x, y, 0] a place with no object"),
        Param("annotated", "around the dots", choices=ANNOTATED,
              help="where every object has a dot: the box around the dots (and discs around background clicks), or the whole image"),
        Param("sigma", None, kind="float", min=0.5, max=64,
              help="width of each dot's Gaussian in the training density, pixels; empty = a quarter of the dots' typical spacing"),
        Param("max_scale", None, kind="float", min=1, max=64,
              help="largest feature scale, pixels (about an object's radius or more); empty = half the dots' typical spacing"),
        Param("trees", 16, min=1, max=256, help="trees in the forest: more = smoother, slower to train and apply"),
        Param("max_samples", DEFAULT_SAMPLES, min=1000, max=2_000_000,
              help="pixels the forest learns from at most (all near the dots, a weighted sample elsewhere)"),
        Param("seed", 0, min=0, help="random seed of the pixel sample and the forest: the same seed and dots give the same model"),
    ],
    # The density comes first: it is what the editor previews, over the image that takes the clicks.
    outputs=[
        Output("density", DensityMap, help="the model's density on this image (check it covers each object once)"),
        Output("count", Number, help="the model's count on this image (the density's sum)"),
        Output("model", DensityModel, help="the learned model: connect it to count.apply_density"),
    ],
)
def learn_density(image: Image, dots: Points | None = None, frames: FrameSeries | None = None,
                  frame_points: FrameSeries | None = None, *, points: list, annotated: str, sigma: float | None,
                  max_scale: float | None, trees: int, max_samples: int, seed: int, ctx) -> dict:
    """Learn to count objects from dots you click on a few of them (ilastik-style density counting).

    Click a dot on every object in one part of the image (20-40 dots are usually enough; shift-
    or right-click a few places with no object), and a random forest learns each pixel's share of
    an object from multi-scale features (smoothing, gradients, Laplacian, Hessian and structure
    tensor at several scales). ``count.apply_density`` then counts other images like it, or each
    frame of a video. Only the area around your dots is taken as annotated, so leave undotted
    objects outside it (or set ``annotated: whole image`` when every object has a dot).

    Example: ``{type: count.learn_density, inputs: {image: load.image}, params: {points: [[31, 40, 1], [52, 18, 1], [5, 5, 0]]}}``
    """
    items = _training_images(image, points, dots, frames, frame_points)
    sigma, max_scale = choose_scales(items, sigma, max_scale)
    ctx.progress(0, 2, "learning from the dots")
    model, planes = train_forest(items, sigma=sigma, max_scale=max_scale, mode=annotated, trees=trees,
                         max_samples=max_samples, seed=seed)
    ctx.progress(1, 2, "applying to the image")
    density = predict_density(model, items[0].grey, planes)
    ctx.progress(2, 2)
    return {"model": model, "density": DensityMap(density, {"model": "count.learn_density", **model.meta}),
            "count": Number(float(density.sum(dtype=np.float64)))}


@node(
    "count.apply_density", category="count",
    inputs=[
        Input("model", DensityModel, help="a model from count.learn_density"),
        Input("image", Image, required=False, help="the image to count (or connect 'video')"),
        Input("video", Video, required=False, help="a video (or frames chosen with io.sample_frames): every frame counted"),
    ],
    params=[
        Param("every_n", 1, min=1, help="video: count every n-th frame (1 = all)"),
        Param("max_frames", None, kind="int", min=1, help="video: count at most this many frames; empty = all"),
    ],
    outputs=[
        Output("density", DensityMap, help="the image's density (a video's: its first counted frame's); its sum is the count"),
        Output("count", Number, help="the image's count (a video's: the mean over the counted frames), not rounded"),
        Output("counts", Table, help="one row per counted frame: frame, time (s), count (an image: one row)"),
    ],
)
def apply_density(model: DensityModel, image: Image | None = None, video: Video | None = None, *, every_n: int,
                  max_frames: int | None, ctx) -> dict:
    """Count objects with a model learned from dots: its density map, and the map's sum.

    Use it on images like the one the model learned from (same kind of objects, similar size in
    pixels and similar contrast), or on a video, one frame in memory at a time.

    Example: ``{type: count.apply_density, inputs: {model: learn.model, image: other.image}}``
    """
    if (image is None) == (video is None):
        raise NodeError("count.apply_density needs exactly one of its inputs 'image' and 'video': connect the "
                        "image (or the video) to count")
    if image is not None:
        frames = [(0, 0.0, image.data)]
        total = 1
    else:
        view = video.view(stride=every_n)
        if max_frames is not None:
            view = view.view(stop=max_frames)
        total = len(view)
        if total == 0:
            raise NodeError("count.apply_density: the video has no frames to count; check the frame range chosen "
                            "upstream (io.sample_frames)")
        frames = ((index, video.time_of(index), frame) for index, frame in view.frames())
    first, indices, times, counts = None, [], [], []
    try:
        for done, (index, time, data) in enumerate(frames):
            ctx.progress(done, total, f"frame {index}" if video is not None else "predicting")
            try:
                density = predict_density(model, gray_float(data)[0])
            except ValueError as exc:
                raise NodeError(f"count.apply_density: {exc}") from None
            if first is None:
                first = density
            indices.append(index)
            times.append(time)
            counts.append(float(density.sum(dtype=np.float64)))
    except VideoDecodeError as exc:
        raise NodeError(str(exc)) from None
    ctx.progress(total, total)
    table = Table({"frame": np.asarray(indices, np.int64), "time": np.asarray(times, np.float64),
                   "count": np.asarray(counts, np.float64)})
    meta = {"model": "count.learn_density", "trees": model.n_trees}
    return {"density": DensityMap(first, meta), "count": Number(float(np.mean(counts))), "counts": table}
