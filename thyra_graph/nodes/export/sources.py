"""What an exporter exports: the objects of one or more images, each with the file name of
its source image as other tools will see it (COCO ``file_name``, photogrammetry mask names).
"""

from __future__ import annotations

from typing import Any

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from thyra_graph.engine.declaration import Input, NodeError, Param
from thyra_graph.types import FrameSeries, Image, Instances

SOURCE_INPUTS = (
    Input("instances", Instances, required=False, help="the objects of one image"),
    Input("series", FrameSeries, required=False, help="objects per video frame (a FrameSeries of Instances): one image per frame"),
    Input("image", Image, required=False, help="the source image: its file name names the output, and its size is checked"),
)
IMAGE_NAME_PARAM = Param(
    "image_name", "",
    help="file name of the source image as other tools see it; empty = the connected image's own name "
         "(else image.png, or frame_{frame:06d}.png for a series); for a series use {frame}, e.g. clip_{frame:06d}.jpg")
DEFAULT_IMAGE_NAME = "image.png"
DEFAULT_FRAME_NAME = "frame_{frame:06d}.png"

# Characters Windows refuses in file names, and control characters; everything else
# (spaces, accents, CJK) is kept, since every supported platform stores Unicode names.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


@dataclass(frozen=True)
class ExportItem:
    """The objects of one image and how that image is called."""

    instances: Instances
    file_name: str  # the source image's name, e.g. "IMG_0001.jpg" (may hold a sub-folder)
    frame: int | None = None  # source frame index, for video
    time: float | None = None  # seconds from the start of the video

    @property
    def name(self) -> str:
        """The image's own file name, without folders: ``IMG_0001.jpg``."""
        return PurePosixPath(self.file_name.replace("\\", "/")).name

    @property
    def stem(self) -> str:
        """The file name without its suffix: ``IMG_0001``; output files are named after it."""
        return PurePosixPath(self.name).stem or self.name

    @property
    def shape(self) -> tuple[int, int]:
        return self.instances.shape

    def coco_image(self, image_id: int) -> dict[str, Any]:
        """The image's entry in a COCO (or COCO panoptic) ``images`` list."""
        height, width = self.shape
        entry: dict[str, Any] = {"id": image_id, "file_name": self.file_name, "width": width, "height": height}
        if self.frame is not None:
            entry["frame_index"] = self.frame
        if self.time is not None:
            entry["timestamp"] = round(self.time, 6)
        return entry


def export_items(instances: Instances | None, series: FrameSeries | None, image: Image | None,
                 image_name: str) -> list[ExportItem]:
    """The images to export, from whichever input is connected, or a :class:`NodeError`."""
    if (instances is None) == (series is None):
        raise NodeError("connect either 'instances' (the objects of one image) or 'series' (objects per video "
                        "frame)" + (", not both" if instances is not None else ""))
    if instances is not None:
        if image is not None and (image.height, image.width) != instances.shape:
            raise NodeError(f"the image is {image.width}×{image.height} but the objects were found on a "
                            f"{instances.shape[1]}×{instances.shape[0]} image: connect the image the objects come from")
        frame = image.meta.get("frame") if image is not None else None
        time = image.meta.get("time_s") if image is not None else None
        if image_name:
            name = _format(image_name, frame if isinstance(frame, int) else 0)
        elif image is not None and image.meta.get("path"):
            name = PurePosixPath(str(image.meta["path"]).replace("\\", "/")).name
            if isinstance(frame, int):  # a frame of a video: the video's name alone would repeat
                name = f"{PurePosixPath(name).stem}_{frame:06d}.png"
        else:
            name = DEFAULT_IMAGE_NAME
        return [ExportItem(instances, check_image_name(name), frame if isinstance(frame, int) else None,
                           float(time) if isinstance(time, (int, float)) else None)]
    if image is not None:
        raise NodeError("the 'image' input names a single image; for a series, name the frames with the "
                        "image_name parameter (e.g. clip_{frame:06d}.jpg)")
    if len(series) and not issubclass(series.item_type, Instances):
        raise NodeError(f"the series holds {series.item_type.type_name} per frame; an exporter needs Instances "
                        "per frame (the objects found in each frame)")
    pattern = image_name or DEFAULT_FRAME_NAME
    if "{frame" not in pattern:
        raise NodeError(f"image_name {pattern!r} would give every frame the same name: put {{frame}} in it, "
                        "e.g. clip_{frame:06d}.jpg")
    items = [ExportItem(item, check_image_name(_format(pattern, frame)), frame, time) for frame, time, item in series]
    names = [item.file_name for item in items]
    if len(set(names)) != len(names):
        raise NodeError(f"image_name {pattern!r} gives several frames the same name: use {{frame}} without "
                        "rounding, e.g. clip_{frame:06d}.jpg")
    return items


def _format(pattern: str, frame: int) -> str:
    try:
        return pattern.format(frame=frame)
    except (KeyError, IndexError, ValueError) as exc:
        raise NodeError(f"image_name {pattern!r} is not a valid pattern ({exc}): the only placeholder is "
                        "{frame}, e.g. clip_{frame:06d}.jpg") from None


def check_image_name(name: str) -> str:
    parts = name.replace("\\", "/").split("/")
    if not name.strip() or name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
        raise NodeError(f"image_name {name!r} must be a file name (optionally inside a relative folder), "
                        "e.g. IMG_0001.jpg or images/IMG_0001.jpg")
    return name


def safe_file_part(text: str, fallback: str = "object") -> str:
    """``text`` usable inside a file name on every platform (class names become file names)."""
    cleaned = _UNSAFE.sub("_", str(text)).strip().rstrip(". ")
    return cleaned or fallback


def warn_empty(ctx, count: int) -> None:
    """Objects without a single pixel have no box, area or outline: they are left out, visibly."""
    if count:
        ctx.warn(f"{count} object(s) have an empty mask (no pixels) and were left out")


def check_unique(names: list[str], *, what: str) -> None:
    """Two images exporting to the same file would overwrite each other: refuse."""
    seen: set[str] = set()
    for name in names:
        key = name.casefold()  # Windows and macOS treat names that differ in case as one file
        if key in seen:
            raise NodeError(f"two images would both write {what} {name!r}: give the images distinct file names "
                            "(the image_name parameter, with {frame} for a series)")
        seen.add(key)
