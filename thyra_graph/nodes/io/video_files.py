"""Video files in and out, and single frames out of a video.

A :class:`~thyra_graph.types.Video` is a lazy handle: loading reads only the container's
metadata, and writing streams one frame at a time, so no node here holds a video in memory.
"""

from __future__ import annotations

import math
from pathlib import Path as FsPath

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Path, Video, VideoDecodeError

from .limits import check_video_frame_size
from .paths import OVERWRITE_HELP, OutputFiles, existing_file

#: File suffix → FourCC of a codec every OpenCV build can write.
WRITERS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


@node(
    "io.load_video", category="io",
    params=[Param("path", "video.mp4", kind="path", io="read", help="the video file to read (MP4, AVI, MOV, MKV, ...)")],
    outputs=[Output("video", Video, help="a lazy handle: frames are decoded only when a node needs them")],
)
def load_video(*, path: str, ctx) -> Video:
    """Open a video file; frame rate, frame count and size come from the container.

    No frame is decoded here: downstream nodes stream frames on demand, so a video of any
    length costs the same to load. A frame size over ``THYRA_MAX_VIDEO_PIXELS`` is refused.

    Example: ``{type: io.load_video, params: {path: samples/bikes.mp4}}``
    """
    import cv2

    file = existing_file(path, what="video")
    capture = cv2.VideoCapture(str(file))
    try:
        if not capture.isOpened():
            raise NodeError(
                f"{str(file)!r} could not be opened as a video: the file is corrupt, truncated or "
                "in a format OpenCV's FFmpeg cannot read (re-encode it, e.g. ffmpeg -i in.xxx out.mp4)")
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        capture.release()
    check_video_frame_size(file, width, height)
    if count <= 0 or width <= 0 or height <= 0:
        raise NodeError(
            f"{str(file)!r} opened as a video but reports no frames or no picture size (a stream "
            "or a damaged container): re-encode it to a file, e.g. ffmpeg -i in.xxx out.mp4")
    if not math.isfinite(fps) or fps <= 0:
        ctx.warn(f"{file.name} reports no frame rate; times are computed at 25 fps")
        fps = 25.0
    return Video(str(file), fps=fps, frame_count=count, width=width, height=height)


@node(
    "io.video_frame", category="io",
    inputs=[Input("video", Video)],
    params=[Param("index", 0, min=0, help="which frame of the (sampled) video, counting from 0")],
    outputs=[Output("image", Image, help="the frame as H×W×3 RGB uint8")],
)
def video_frame(video: Video, *, index: int) -> Image:
    """Decode one frame of a video as an image.

    ``index`` counts frames of the incoming video, so after ``io.sample_frames`` it counts
    sampled frames.
    """
    if index >= len(video):
        raise NodeError(
            f"frame {index} does not exist: the video has {len(video)} frame(s), so index must be "
            f"0 to {len(video) - 1}")
    source_index = video.indices[index]
    try:
        data = video.read(index)
    except VideoDecodeError as exc:
        raise NodeError(str(exc)) from None
    return Image(data, {"path": video.path, "frame": source_index, "time_s": video.time_of(source_index)})


@node(
    "io.save_video", category="io",
    inputs=[Input("video", Video)],
    params=[
        Param("path", "out/video.mp4", kind="path", io="write", help="where to write; .mp4/.mov/.mkv (MPEG-4) or .avi (MJPEG)"),
        Param("fps", None, kind="float", min=0.1, max=1000, help="frame rate of the file; empty = the video's own (after sampling)"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[Output("path", Path, help="the file written")],
)
def save_video(video: Video, *, path: str, fps: float | None, overwrite: bool, ctx) -> Path:
    """Write a video to a file, one frame at a time (any length fits in memory).

    Re-running replaces the file this node wrote before; a file of the same name that Thyra
    did not write is left alone (the node fails and says so) unless ``overwrite`` is set.

    Example: ``{type: io.save_video, inputs: {video: sample.frames}, params: {path: out/clip.mp4}}``
    """
    import cv2

    target = FsPath(path).expanduser()
    fourcc = WRITERS.get(target.suffix.lower())
    if fourcc is None:
        raise NodeError(f"cannot tell which video format to write for {str(target)!r}: end the path with one of {', '.join(WRITERS)}")
    if len(video) == 0:
        raise NodeError("the video has no frames to write: widen the frame range of the sampling before this node")
    rate = fps if fps is not None else (video.effective_fps or 25.0)
    total = len(video)
    out = OutputFiles(target, overwrite=overwrite, what="video")
    out.claim([target])
    with out.writing(target) as temporary:
        writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter_fourcc(*fourcc), rate, (video.width, video.height))
        try:
            if not writer.isOpened():
                raise NodeError(f"OpenCV cannot write {fourcc} video to {str(target)!r}; try the .avi suffix (MJPEG)")
            try:
                for done, (_, frame) in enumerate(video.frames()):
                    ctx.progress(done, total)
                    writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            except VideoDecodeError as exc:
                raise NodeError(str(exc)) from None
        finally:
            writer.release()
    out.commit()
    ctx.progress(total, total)
    return Path(str(target))
