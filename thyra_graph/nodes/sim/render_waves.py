"""The ``sim.render_waves`` node: wave snapshots → an MP4 of shaded water, frame by frame."""

from __future__ import annotations

import math
from pathlib import Path as FsPath
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import FieldSequence, Image, Path, Video
from thyra_graph.types.field_sequence import ChunkError

from ..io.paths import OVERWRITE_HELP, OutputFiles
from .water_shading import Look, to_uint8
from .wave_painter import PaintSettings, WavePainter

STYLES = ("perspective", "topdown", "heightmap")
WRITERS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".mkv": "mp4v", ".avi": "MJPG"}


@node(
    "sim.render_waves", category="sim",
    inputs=[
        Input("frames", FieldSequence, help="height snapshots from sim.wave_solve"),
        Input("image", Image, required=False, help="the source photo: the first frame shows it, later ones add the simulated change"),
    ],
    params=[
        Param("path", "out/waves.mp4", kind="path", io="write", help="the video to write: .mp4/.mov/.mkv (MPEG-4) or .avi (MJPEG)"),
        Param("style", "perspective", choices=STYLES,
              help="perspective: shaded water seen from a camera; topdown: shaded, from above; heightmap: colour-coded height"),
        Param("width", 640, min=16, max=7680, help="picture width in pixels"),
        Param("height", 0, min=0, max=4320, help="picture height in pixels; 0 = 9/16 of the width (perspective) or the grid's aspect"),
        Param("camera_elevation", 32.0, min=5.0, max=90.0, when={"style": "perspective"}, help="perspective: how far the camera looks down, degrees below the horizon"),
        Param("fov", 40.0, min=5.0, max=120.0, when={"style": "perspective"}, help="perspective: vertical field of view, degrees"),
        Param("relief", 1.5, min=0.0, max=50.0, help="exaggerates slopes in the shading so small waves show"),
        Param("light_azimuth", 270.0, min=0.0, max=360.0, help="direction toward the sun, degrees (0 right, 90 down, 270 up the image)"),
        Param("light_elevation", 30.0, min=1.0, max=90.0, help="height of the sun above the horizon, degrees"),
        Param("water_color", "#08333f", kind="color", help="colour of deep water seen from above"),
        Param("foam_slope", 0.5, min=0.01, max=10.0, help="surface slope (rise over run) above which foam forms"),
        Param("composite", 1.0, min=0.0, max=1.0, help="with an image: 1 = the first frame is the photo, 0 = pure render"),
        Param("composite_fade", 1.5, min=0.0, max=3600.0, help="seconds over which the photo hands over to the rendered simulation"),
        Param("fps", None, kind="float", min=0.1, max=1000.0, help="frame rate of the file; empty = the snapshot rate"),
        Param("overwrite", False, affects_result=False, help=OVERWRITE_HELP),
    ],
    outputs=[
        Output("video", Video, help="the rendered video, for io.save_video or other video nodes"),
        Output("path", Path, help="the file written"),
    ],
)
def render_waves(frames: FieldSequence, image: Image | None, *, path: str, style: str, width: int, height: int,
                 camera_elevation: float, fov: float, relief: float, light_azimuth: float, light_elevation: float,
                 water_color: list[int], foam_slope: float, composite: float, composite_fade: float,
                 fps: float | None, overwrite: bool,
                 ctx) -> dict[str, Any]:
    """Render wave snapshots to a video: shaded water with sky reflections, glints and foam.

    Streams: one snapshot is shaded and written at a time. With the source photo connected
    and ``composite`` 1, the first frame is the photo, which then hands over to the rendered
    simulation within ``composite_fade`` seconds, so the clip continues the photo.

    Example: ``{type: sim.render_waves, inputs: {frames: solve.frames, image: sea.image},
    params: {path: out/waves.mp4, style: perspective}}``
    """
    import cv2

    target = FsPath(path).expanduser()
    fourcc = WRITERS.get(target.suffix.lower())
    if fourcc is None:
        raise NodeError(f"cannot tell which video format to write for {str(target)!r}: end the path with one of {', '.join(WRITERS)}")
    if len(frames) == 0:
        raise NodeError("the sequence has no snapshots to render")
    rows, cols = frames.shape
    size = _frame_size(style, width, height, rows, cols)
    rate = fps or float(frames.meta.get("fps") or _rate_of(frames))
    obstacle = frames.static["obstacle"] > 0.5 if "obstacle" in frames.static else np.zeros((rows, cols), bool)
    look = Look(water=tuple(c / 255.0 for c in water_color), light_azimuth=light_azimuth,
                light_elevation=light_elevation, relief=relief)
    settings = PaintSettings(style, size, look, camera_elevation, fov, foam_slope, composite, composite_fade)
    photo = None
    if image is not None and composite > 0:
        data = image.data if image.data.ndim == 3 else np.repeat(image.data[..., None], 3, axis=2)
        photo = data[..., :3].astype(np.float64) / (255.0 if data.dtype == np.uint8 else 1.0)
    try:
        crest = _crest_height(frames)
    except ChunkError as exc:
        raise NodeError(str(exc)) from None
    painter = WavePainter((rows, cols), frames.dx, frames.dy, obstacle, crest_height=crest, settings=settings, photo=photo)

    out = OutputFiles(target, overwrite=overwrite, what="video")
    out.claim([target])
    count = 0
    with out.writing(target) as temporary:
        writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter_fourcc(*fourcc), rate, size)
        try:
            if not writer.isOpened():
                raise NodeError(f"OpenCV cannot write {fourcc} video to {str(target)!r}; try the .avi suffix (MJPEG)")
            try:
                for field in frames.fields(["height"]):
                    ctx.progress(count, len(frames), "rendering")
                    picture = painter.paint(field["height"], field.t)
                    writer.write(cv2.cvtColor(to_uint8(picture), cv2.COLOR_RGB2BGR))
                    count += 1
            except ChunkError as exc:
                raise NodeError(str(exc)) from None
        finally:
            writer.release()
    out.commit()
    ctx.progress(count, len(frames), "rendered")
    video = Video(str(target), fps=rate, frame_count=count, width=size[0], height=size[1])
    return {"video": video, "path": Path(str(target))}


def _frame_size(style: str, width: int, height: int, rows: int, cols: int) -> tuple[int, int]:
    if height == 0:
        height = width * 9 // 16 if style == "perspective" else int(round(width * rows / cols))
    # MPEG-4 encoders want even sizes.
    return max(2, width - width % 2), max(2, height - height % 2)


def _rate_of(frames: FieldSequence) -> float:
    if len(frames) > 1 and frames.duration > 0:
        return (len(frames) - 1) / frames.duration
    return 25.0


def _crest_height(frames: FieldSequence) -> float:
    """Typical crest height (99th percentile of |h|) over a few snapshots, to scale colours."""
    picks = sorted({0, len(frames) // 2, len(frames) - 1})
    levels = [float(np.percentile(np.abs(frames.at(i, ["height"])["height"]), 99.0)) for i in picks]
    level = max(levels)
    return level if level > 0 and math.isfinite(level) else 1.0
