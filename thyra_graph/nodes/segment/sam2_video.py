"""segment.sam2_video: click objects on one or more frames, SAM 2 follows them through the video."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Boxes, FrameSeries, Instances, Points, Video, VideoDecodeError

from ..models.weights import hub_download
from ..models.needs import sam2_models
from .sam2_loading import model_params
from .sam2_video_backends import ObjectPrompt, TrackedFrame, load_tracker, unload_tracker

DIRECTIONS = ("both", "forward")
PROMPTS_HELP = ("prompts on frames: a list of {frame, object, points: [[x, y, label], ...], box: [x0, y0, x1, y1]}; "
                "frame is the source frame number, label 1 = on the object, 0 = not on it")


@dataclass
class FramePrompt:
    """One object's prompt on one source frame (as the user wrote it)."""

    frame: int
    prompt: ObjectPrompt


def parse_prompts(prompts: Any, video: Video, points: Points | None, boxes: Boxes | None) -> list[FramePrompt]:
    """Every prompt, from the ``points``/``boxes`` inputs (on the video's first frame) and the
    ``prompts`` parameter, checked against the video's frames and size; a NodeError names a bad one."""
    found: list[FramePrompt] = []
    first = video.indices[0] if len(video) else 0
    if points is not None and len(points):
        found.append(FramePrompt(first, ObjectPrompt(1, points=np.asarray(points.xy, float),
                                                     labels=np.asarray(points.labels, int))))
    next_id = 2 if found else 1
    if boxes is not None:
        for box in boxes.xyxy:
            found.append(FramePrompt(first, ObjectPrompt(next_id, box=np.asarray(box, float))))
            next_id += 1
    for number, entry in enumerate(prompts or [], start=1):
        found.append(_parse_prompt(entry, number))
    if not found:
        raise NodeError("segment.sam2_video has nothing to follow: connect points or boxes (clicks on the first "
                        "frame), or set the prompts parameter, e.g. [{frame: 0, object: 1, points: [[320, 240, 1]]}]")
    by_frame_object: dict[tuple[int, int], int] = {}
    for index, item in enumerate(found):
        _check_inside(item, video)
        if item.frame not in video.indices:
            raise NodeError(f"a prompt is on frame {item.frame}, which this video does not process ({_frames_text(video)}); "
                            "put the prompt on one of those frames, or widen the frame range or stride of the video")
        key = (item.frame, item.prompt.object_id)
        if key in by_frame_object:
            raise NodeError(f"object {key[1]} has two prompts on frame {key[0]}: merge their points into one prompt")
        by_frame_object[key] = index
    return found


def _parse_prompt(entry: Any, number: int) -> FramePrompt:
    where = f"prompt {number}"
    if not isinstance(entry, dict):
        raise NodeError(f"{where} must be a mapping like {{frame: 0, object: 1, points: [[x, y, 1]]}}, got {entry!r}")
    unknown = sorted(set(entry) - {"frame", "object", "points", "box"})
    if unknown:
        raise NodeError(f"{where} has unknown keys {', '.join(unknown)}; a prompt has frame, object, points and box")
    frame, object_id = entry.get("frame", 0), entry.get("object", 1)
    if not isinstance(frame, int) or isinstance(frame, bool) or frame < 0:
        raise NodeError(f"{where}: frame must be a frame number >= 0, got {frame!r}")
    if not isinstance(object_id, int) or isinstance(object_id, bool) or object_id < 1:
        raise NodeError(f"{where}: object must be an id >= 1 (the same id on several frames means the same object), "
                        f"got {object_id!r}")
    xy, labels = None, None
    raw_points = entry.get("points") or []
    if raw_points:
        rows = []
        for point in raw_points:
            ok = (isinstance(point, (list, tuple)) and len(point) in (2, 3)
                  and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)
                  and (len(point) == 2 or point[2] in (0, 1)))
            if not ok:
                raise NodeError(f"{where}: point {point!r} must be [x, y] or [x, y, label] with label 1 or 0")
            rows.append((float(point[0]), float(point[1]), int(point[2]) if len(point) == 3 else 1))
        xy = np.array([(x, y) for x, y, _ in rows], float)
        labels = np.array([label for _, _, label in rows], int)
    box = entry.get("box")
    if box is not None:
        if not (isinstance(box, (list, tuple)) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)
                and box[2] > box[0] and box[3] > box[1]):
            raise NodeError(f"{where}: box must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0, got {box!r}")
        box = np.array(box, float)
    if xy is None and box is None:
        raise NodeError(f"{where} (frame {frame}, object {object_id}) has neither points nor a box: add at least one")
    return FramePrompt(frame, ObjectPrompt(object_id, points=xy, labels=labels, box=box))


def _check_inside(item: FramePrompt, video: Video) -> None:
    prompt = item.prompt
    coords = []
    if prompt.points is not None:
        coords += [tuple(p) for p in prompt.points]
    if prompt.box is not None:
        coords += [(prompt.box[0], prompt.box[1]), (prompt.box[2], prompt.box[3])]
    for x, y in coords:
        if not (0 <= x <= video.width and 0 <= y <= video.height):
            raise NodeError(f"the prompt for object {prompt.object_id} on frame {item.frame} has ({x:g}, {y:g}), outside "
                            f"the {video.width}×{video.height} frame: pixel coordinates go from (0, 0) at the top "
                            f"left to ({video.width}, {video.height})")


def _frames_text(video: Video) -> str:
    indices = video.indices
    if not len(indices):
        return "no frames"
    return f"frames {indices[0]} to {indices[-1]}" + (f" every {indices.step}" if indices.step > 1 else "")


@node(
    "segment.sam2_video", title="SAM 2 video", category="segment", device="gpu", destinations=hub_download, requires=("torch",),
    models=sam2_models,
    inputs=[
        Input("video", Video, help="the video (or a sampled view of it, e.g. from io.sample_frames)"),
        Input("points", Points, required=False, help="clicks on the video's first frame: together they prompt object 1"),
        Input("boxes", Boxes, required=False, help="boxes on the video's first frame: one object each (ids after the points' object)"),
    ],
    params=[
        *model_params(),
        Param("prompts", [], kind="json", help=PROMPTS_HELP),
        Param("chunk_frames", 32, min=2, max=4096,
              help="frames held at a time: memory grows with this, not with the video's length; larger keeps more context"),
        Param("max_frames", None, kind="int", min=1, help="stop after this many frames from the first prompted one; empty = to the end"),
        Param("direction", "both", choices=DIRECTIONS,
              help="both: also follow the objects back from the first prompted frame to the start; forward: only after it"),
    ],
    outputs=[Output("masks", FrameSeries, help="the objects on every processed frame (Instances; class id and extra['object'] = object id)")],
)
def sam2_video(video: Video, points: Points | None = None, boxes: Boxes | None = None, *, backend: str, model: str,
               config: str, device: str, precision: str, unload: bool, prompts: list, chunk_frames: int,
               max_frames: int | None, direction: str = "both", ctx) -> FrameSeries:
    """Follow objects through a video with SAM 2: click them on a frame, get their masks on every frame.

    Prompts come from the ``points``/``boxes`` inputs (on the first frame of the video) and from
    ``prompts``, which can put clicks and boxes on any frame and for several objects; the same
    ``object`` id on a later frame corrects that object from there on (with ``backend: sam2``,
    Meta's predictor also lets it refine earlier frames of the same chunk). Tracking runs forward
    from the earliest prompted frame and, with ``direction: both``, also backwards from it to the
    first frame (``forward``: earlier frames are not in the output), over the frames of the video
    view, so sample first (io.sample_frames) to process fewer frames. The output holds the
    objects found on each frame (an object lost from view has no mask on that frame) with their
    ids in ``class_ids`` and ``extra[i]["object"]``.

    Long videos run in bounded memory: frames are decoded and tracked ``chunk_frames`` at a time,
    and each object starts the next chunk from the frame it was last seen on, with its mask there
    as the prompt. So an object hidden at a chunk boundary is found again when it reappears, but
    SAM 2's memory of older frames restarts at each chunk; larger chunks keep more context at
    the cost of memory.

    A video that fails to decode part-way keeps the frames tracked so far: the node warns, naming
    the frame where decoding stopped, and returns them; it fails only when no frame was tracked.

    Example: ``{type: segment.sam2_video, inputs: {video: load.video}, params: {prompts: [{frame: 0,
    object: 1, points: [[320, 240, 1]]}, {frame: 90, object: 1, points: [[400, 250, 1], [380, 300, 0]]}]}}``
    """
    from thyra_graph.types.series import InstancesSeriesBuilder

    if not isinstance(prompts, list):
        raise NodeError(f"prompts must be a list of {{frame, object, points, box}} mappings, got {prompts!r}")
    if not len(video):
        raise NodeError(f"the video {video.path!r} has no frames in its range: widen the frame range")
    found = parse_prompts(prompts, video, points, boxes)
    by_frame: dict[int, list[ObjectPrompt]] = {}
    for item in found:
        by_frame.setdefault(item.frame, []).append(item.prompt)
    start = video.indices.index(min(by_frame))
    view = video.view(start=start, stop=None if max_frames is None else start + max_frames)
    back = start if direction == "both" else 0  # frames before the first prompted one, followed backwards
    tracker = load_tracker(ctx, backend=backend, model=model, config=config, device=device, precision=precision)
    builder = InstancesSeriesBuilder(video.height, video.width)
    total = back + len(view)
    failure: VideoDecodeError | None = None
    try:
        if back:
            failure = _track_backwards(video, start, tracker, by_frame, chunk_frames, builder, total, ctx)
        try:
            _track(view, tracker, by_frame, chunk_frames, _emitter(view, builder, total, ctx), ctx)
        except VideoDecodeError as exc:
            failure = exc
    finally:
        if unload:
            unload_tracker(ctx, tracker)
    if failure is not None:
        if not len(builder):
            raise NodeError(f"segment.sam2_video tracked no frame: {failure}") from None
        ctx.warn(f"{failure}; kept the {len(builder)} frames tracked around it")
    ctx.progress(total, total)
    return builder.finish()


@dataclass
class _Anchor:
    """Where an object was last seen: that frame's pixels and the object's mask on it. The next
    chunk starts the object from here, so an object hidden on a chunk's boundary is not lost."""

    source: int
    rgb: np.ndarray
    mask: np.ndarray


def _emitter(view: Video, builder, total: int, ctx) -> Callable[[int, Instances], None]:
    """Where tracked frames go: appended to the series in video order, with progress."""

    def emit(source: int, instances: Instances) -> None:
        builder.append(source, view.time_of(source), instances)
        ctx.progress(len(builder), total, f"frame {source}")

    return emit


def _track_backwards(video: Video, start: int, tracker, by_frame: dict[int, list[ObjectPrompt]], chunk_frames: int,
                     builder, total: int, ctx) -> VideoDecodeError | None:
    """Follow the objects from view position ``start`` back to the first frame, chunk by chunk
    (each read forwards, then fed to SAM 2 in reverse: SAM 2 tracks the same way in either
    direction). Results are kept run-length encoded and appended to ``builder`` in video order,
    without ``start`` itself (the forward pass gives it). A decode error keeps what was tracked."""
    from thyra_graph.types.compact_instances import CompactInstanceFrames

    found = CompactInstanceFrames(video.height, video.width)
    sources: list[int] = []
    done = [0]

    def keep(source: int, instances: Instances) -> None:
        if source != video.indices[start]:
            found.append(instances)
            sources.append(source)
        done[0] += 1
        ctx.progress(done[0], total, f"frame {source} (backwards)")

    first_prompts = {video.indices[start]: by_frame[video.indices[start]]}
    anchors = None
    high = start
    failure = None
    while high > 0:
        ctx.check_cancelled()
        low = max(0, high - (chunk_frames - 1))
        try:
            chunk = list(video.view(start=low, stop=high + 1).frames())
        except VideoDecodeError as exc:
            failure = exc
            break
        anchors = _track_chunk(chunk[::-1], anchors, tracker, first_prompts, keep)
        high = low
    for index in reversed(range(len(sources))):
        builder.append(sources[index], video.time_of(sources[index]), found[index])
    return failure


def _track(view: Video, tracker, by_frame: dict[int, list[ObjectPrompt]], chunk_frames: int,
           emit: Callable[[int, Instances], None], ctx) -> None:
    """Track ``view`` chunk by chunk, handing each frame's objects to ``emit``. Each chunk after
    the first starts with the previous chunk's last frame; every object starts it from the frame
    it was last seen on, with its mask there as the prompt. A decode error ends the stream after
    the frames read so far have been tracked, then propagates."""
    anchors: dict[int, _Anchor] | None = None  # None until the first chunk has run
    chunk: list[tuple[int, np.ndarray]] = []
    try:
        for frame in view.frames():
            ctx.check_cancelled()
            chunk.append(frame)
            if len(chunk) == chunk_frames:
                anchors = _track_chunk(chunk, anchors, tracker, by_frame, emit)
                chunk = [chunk[-1]]
    except VideoDecodeError:
        if len(chunk) > 1 or (chunk and anchors is None):
            _track_chunk(chunk, anchors, tracker, by_frame, emit)
        raise
    if len(chunk) > 1 or (chunk and anchors is None):
        _track_chunk(chunk, anchors, tracker, by_frame, emit)


def _track_chunk(chunk: Sequence[tuple[int, np.ndarray]], anchors: dict[int, _Anchor] | None, tracker,
                 by_frame: dict[int, list[ObjectPrompt]], emit: Callable[[int, Instances], None]) -> dict[int, _Anchor]:
    """Track one chunk; returns where each object was last seen, for the next chunk.

    Objects seen on the chunk's first frame (the previous chunk's last) start there. An object
    hidden on it starts from the frame it was last seen on, put in front of the chunk: SAM 2
    keeps prompted frames in its memory, so the object is found again when it comes back into
    view, as in one uninterrupted run. That costs at most one extra frame per hidden object.
    """
    first_chunk = anchors is None
    anchors = anchors or {}
    boundary = chunk[0][0]
    earlier = sorted({anchor.source for anchor in anchors.values() if anchor.source != boundary})
    pixels = {anchor.source: anchor.rgb for anchor in anchors.values()}
    offset = len(earlier)
    local: dict[int, list[ObjectPrompt]] = {}
    for object_id, anchor in anchors.items():
        position = offset if anchor.source == boundary else earlier.index(anchor.source)
        local.setdefault(position, []).append(ObjectPrompt(object_id, mask=anchor.mask))
    for position, (source, _) in enumerate(chunk):
        # The first frame of a later chunk was tracked (with its prompts) by the chunk before.
        if (position > 0 or first_chunk) and source in by_frame:
            local.setdefault(offset + position, []).extend(by_frame[source])
    height, width = chunk[0][1].shape[:2]
    next_position = 0 if first_chunk else 1
    seen: dict[int, tuple[int, np.ndarray]] = {}

    frames = [pixels[source] for source in earlier] + [rgb for _, rgb in chunk]
    for tracked in tracker.track(frames, local):
        position = tracked.index - offset
        if position < 0:
            continue  # an earlier frame, there only to start a hidden object
        instances = _instances(tracked, height, width)
        for object_id, mask in zip(instances.class_ids, instances.masks):
            seen[int(object_id)] = (position, mask)
        if position < next_position:
            continue
        for skipped in range(next_position, position):  # no object yet on these frames
            emit(chunk[skipped][0], Instances.empty(height, width))
        emit(chunk[position][0], instances)
        next_position = position + 1
    for position in range(next_position, len(chunk)):
        emit(chunk[position][0], Instances.empty(height, width))
    result = dict(anchors)
    for object_id, (position, mask) in seen.items():
        source, rgb = chunk[position]
        result[object_id] = _Anchor(source, rgb, mask)
    return result


def _instances(tracked: TrackedFrame, height: int, width: int) -> Instances:
    keep = [i for i, mask in enumerate(tracked.masks) if mask.any()]
    if not keep:
        return Instances.empty(height, width)
    ids = [tracked.object_ids[i] for i in keep]
    return Instances(tracked.masks[keep], class_ids=ids, scores=tracked.scores[keep], extra=[{"object": i} for i in ids])
