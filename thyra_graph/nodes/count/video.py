"""count.video: how many objects each sampled frame of a video holds, as a table and a chart."""

from __future__ import annotations

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Table, Video, VideoDecodeError

from .blobs import POLARITIES, BlobSettings, count_in_array, size_params
from .object_scale import resolve_auto
from .clumps import count_clumps
from .plot import line_chart


@node(
    "count.video", title="Count in video", category="count",
    inputs=[Input("video", Video, help="a video, or frames chosen with io.sample_frames")],
    params=[
        Param("method", "blobs", choices=("blobs", "clumps"), help="count each frame as count.blobs or count.clumps does"),
        Param("every_n", 1, min=1, help="count every n-th frame of the video (1 = all)"),
        Param("max_frames", None, kind="int", min=1, help="count at most this many frames; empty = all"),
        *size_params(),
        Param("threshold", 5.0, min=1, max=100, step=0.5, help="how far above the local noise an object must stand, in noise standard deviations"),
        Param("polarity", "auto", choices=POLARITIES,
              help="bright objects on a darker background, dark on lighter, or auto (measured on the first counted frame)"),
    ],
    outputs=[
        Output("counts", Table, help="one row per counted frame: frame (index in the file), time (s), count"),
        Output("plot", Image, help="a chart of the count over time"),
    ],
)
def count_video(video: Video, *, method: str, every_n: int, max_frames: int | None, min_size: float | None,
                max_size: float | None, threshold: float, polarity: str, ctx) -> dict:
    """Count objects in each sampled frame of a video; one frame in memory at a time.

    Every frame is counted on its own (its own background and noise), so lighting changes
    and camera gain do not carry over between frames; sizes and polarity left at auto are
    measured once, on the first counted frame, so every frame looks for the same objects.

    Example: ``{type: count.video, inputs: {video: sample.frames}, params: {every_n: 5, max_size: 12}}``
    """
    frames = video.view(stride=every_n)
    if max_frames is not None:
        frames = frames.view(stop=max_frames)
    total = len(frames)
    if total == 0:
        raise NodeError("the video has no frames to count: check the frame range chosen upstream (io.sample_frames)")
    settings = BlobSettings(min_size, max_size, threshold, polarity)
    indices, counts = [], []
    try:
        for done, (index, frame) in enumerate(frames.frames()):
            ctx.progress(done, total, f"frame {index}")
            if done == 0:
                settings, _ = resolve_auto(frame, settings)
            if method == "clumps":
                found, _ = count_clumps(frame, settings)
            else:
                found = count_in_array(frame, settings)
            indices.append(index)
            counts.append(len(found))
    except VideoDecodeError as exc:
        raise NodeError(str(exc)) from None
    ctx.progress(total, total)
    times = np.asarray([video.time_of(i) for i in indices], dtype=np.float64)
    table = Table({"frame": np.asarray(indices, dtype=np.int64), "time": times,
                   "count": np.asarray(counts, dtype=np.int64)})
    chart = line_chart(times, np.asarray(counts), title=f"objects per frame ({len(counts)} frames)")
    return {"counts": table, "plot": Image(chart, {"source": video.path})}
