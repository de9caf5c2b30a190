"""Choosing frames of a video: a time range, a rate and a cap, as a lazy view."""

from __future__ import annotations

import math

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Video

# Tolerance for times that are whole frames up to float rounding (2.0 s × 29.97 fps).
_EPSILON = 1e-6


@node(
    "io.sample_frames", category="io",
    inputs=[Input("video", Video)],
    params=[
        Param("every_n", 1, min=1, help="keep every n-th frame (1 = all)"),
        Param("target_fps", None, kind="float", min=0.001, help="keep at most this many frames per second (instead of every_n)"),
        Param("max_frames", None, kind="int", min=1, help="keep at most this many frames (the first ones); empty = no limit"),
        Param("start_s", 0.0, min=0, help="first time to keep, in seconds from the start of the file"),
        Param("end_s", None, kind="float", min=0, help="keep frames before this time, in seconds; empty = to the end"),
    ],
    outputs=[Output("frames", Video, help="the chosen frames, still lazy: nothing is decoded here")],
)
def sample_frames(video: Video, *, every_n: int, target_fps: float | None, max_frames: int | None,
                  start_s: float, end_s: float | None, ctx) -> Video:
    """Pick frames of a video by time range, rate and count, without decoding any.

    The result is a view on the same file, so sampling a two-hour video costs nothing until a
    node reads the frames, and then only the chosen ones are decoded.

    Example: one frame per second of the first minute,
    ``{type: io.sample_frames, inputs: {video: load.video}, params: {target_fps: 1, end_s: 60}}``
    """
    if target_fps is not None and every_n != 1:
        raise NodeError(f"set either every_n ({every_n}) or target_fps ({target_fps}), not both: "
                        "both choose how many frames to skip")
    if end_s is not None and end_s <= start_s:
        raise NodeError(f"end_s ({end_s}) must be after start_s ({start_s})")
    stride = every_n
    if target_fps is not None:
        if target_fps > video.effective_fps:
            ctx.warn(f"the video has {video.effective_fps:g} fps, fewer than target_fps={target_fps:g}: every frame is kept")
        stride = stride_for_rate(video.effective_fps, target_fps)
    frames = time_range(video, start_s, end_s).view(stride=stride)
    if max_frames is not None:
        frames = frames.view(stop=max_frames)
    if len(frames) == 0:
        first, last = (video.time_of(video.indices[0]), video.time_of(video.indices[-1])) if len(video) else (0.0, 0.0)
        asked = f"start_s={start_s:g}" + ("" if end_s is None else f" and end_s={end_s:g}")
        raise NodeError(f"no frames selected: the video's frames run from {first:.2f} s to {last:.2f} s, "
                        f"and {asked} select none of them; choose times inside that range")
    return frames


def stride_for_rate(fps: float, target_fps: float) -> int:
    """The smallest stride that keeps at most ``target_fps`` frames per second."""
    if fps <= 0:
        return 1
    return max(1, math.ceil(fps / target_fps - _EPSILON))


def time_range(video: Video, start_s: float, end_s: float | None) -> Video:
    """The frames of ``video`` whose time t (source index / fps) is in [start_s, end_s)."""
    if video.fps <= 0 or len(video) == 0:
        return video
    first, step = video.indices.start, video.indices.step

    def view_index(seconds: float) -> int:
        # The first frame of the view at or after ``seconds``.
        return max(0, math.ceil((seconds * video.fps - first) / step - _EPSILON))

    stop = None if end_s is None else view_index(end_s)
    return video.view(start=view_index(start_s), stop=stop)
