"""Bounds on what an input file may cost to read, checked before the expensive part.

A shared graph points at files nobody has looked at: a 100 KB PNG can claim 30000×30000
pixels (2.7 GB once decoded), a JSON file can nest ten thousand lists deep. Readers call these
helpers first, so such a file is refused from its header or its size, with a message naming
the file, the limit and how to raise it (see docs/input-limits.md).

Each limit has a default and an environment variable that raises (or lowers) it for the
user's own runs; a node may also offer a param. Graph files cannot change the environment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thyra_graph.engine.declaration import NodeError


@dataclass(frozen=True)
class Limit:
    """One bound: its default, the environment variable that overrides it, and its unit."""

    env: str
    default: int
    unit: str

    def value(self, override: int | None = None) -> int:
        """The bound in force: ``override`` (a node param) first, then the environment, then the default.

        0 means no limit.
        """
        if override is not None:
            return int(override)
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            return int(float(raw.replace("_", "")))
        except ValueError:
            raise NodeError(f"the environment variable {self.env}={raw!r} is not a number: set it to a "
                            f"count of {self.unit} (0 = no limit) or unset it") from None


#: Pillow's own decompression-bomb threshold (about 89.5 megapixels, 1024**3 // 4 // 3).
MAX_IMAGE_PIXELS = Limit("THYRA_MAX_IMAGE_PIXELS", 89_478_485, "pixels")
#: A video frame is an image: 8K (7680×4320, 33 Mpx) fits, a forged 30000×30000 header does not.
MAX_VIDEO_PIXELS = Limit("THYRA_MAX_VIDEO_PIXELS", 89_478_485, "pixels per frame")
#: COCO instances of the whole COCO 2017 train split are 448 MB.
MAX_JSON_BYTES = Limit("THYRA_MAX_JSON_BYTES", 1024**3, "bytes")
#: Real annotation files nest about 6 deep; Python's own parser gives up near 1000.
MAX_JSON_DEPTH = Limit("THYRA_MAX_JSON_DEPTH", 64, "levels")
#: Point clouds and meshes: 4 GiB holds ~150 million binary points.
MAX_PLY_BYTES = Limit("THYRA_MAX_PLY_BYTES", 4 * 1024**3, "bytes")

LIMITS_DOC = "docs/input-limits.md"


def _raise_hint(limit: Limit, param: str | None) -> str:
    via_param = f"set the node's '{param}' param or " if param else ""
    return f"if you trust the file, {via_param}raise {limit.env} (0 = no limit; see {LIMITS_DOC})"


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.1f} Mpx"


def check_file_size(path: str | os.PathLike[str], limit: int | Limit, what: str) -> int:
    """The size of ``path`` in bytes, or a :class:`NodeError` if it is empty or over ``limit``.

    ``limit`` is a byte count (0 = none) or a :class:`Limit`, whose environment variable the
    message then names.
    """
    file = Path(path)
    size = file.stat().st_size
    if size == 0:
        raise NodeError(f"the {what} file {str(file)!r} is empty (0 bytes): it was not written completely; "
                        "write it again or point 'path' at another file")
    bound = limit.value() if isinstance(limit, Limit) else int(limit)
    if bound and size > bound:
        hint = _raise_hint(limit, None) if isinstance(limit, Limit) else "split it or use a smaller file"
        raise NodeError(f"the {what} file {str(file)!r} is {size:,} bytes, over the limit of {bound:,}: {hint}")
    return size


def image_header_size(path: str | os.PathLike[str], what: str = "image") -> tuple[int, int]:
    """(width, height) read from the file's header by Pillow, without decoding any pixel.

    Pillow's format plugins parse only the header when a file is opened (PNG IHDR, JPEG SOFn,
    TIFF tags, WebP, BMP, ...). They are called through Pillow's format registry rather than
    ``Image.open`` because ``Image.open`` applies Pillow's own fixed bomb limit (2 × 89.5 Mpx)
    before we could apply ours, and changing ``PIL.Image.MAX_IMAGE_PIXELS`` would change it
    for every thread of the process.
    """
    from PIL import Image as PilImage

    file = Path(path)
    check_file_size(file, 0, what)
    PilImage.init()
    with open(file, "rb") as stream:
        prefix = stream.read(16)
        for name in PilImage.ID:
            factory, accept = PilImage.OPEN[name]
            accepted = accept is None or accept(prefix)
            if not accepted or isinstance(accepted, str):  # a str is Pillow's "almost, but no"
                continue
            stream.seek(0)
            try:
                opened = factory(stream, str(file))
            except Exception:  # noqa: BLE001 - a plugin that rejects the header: try the next one
                continue
            width, height = opened.size
            return int(width), int(height)
    raise NodeError(f"{str(file)!r} could not be decoded as an {what}: its header matches no PNG, JPEG, TIFF, "
                    "BMP, WebP or other known format (the file is damaged, truncated or not an image); "
                    "point 'path' at an image file")


def check_image_header(path: str | os.PathLike[str], max_pixels: int | None = None, *,
                       what: str = "image", param: str | None = None) -> tuple[int, int]:
    """(width, height) of the image file, refused before decoding if over the pixel limit.

    ``max_pixels`` overrides ``THYRA_MAX_IMAGE_PIXELS`` (0 = no limit); ``param`` names the
    node param that sets it, for the message.
    """
    width, height = image_header_size(path, what)
    bound = MAX_IMAGE_PIXELS.value(max_pixels)
    if width <= 0 or height <= 0:
        raise NodeError(f"the {what} {str(path)!r} declares a size of {width}×{height}: the file is damaged")
    if bound and width * height > bound:
        raise NodeError(f"the {what} {str(path)!r} declares {width}×{height} pixels ({_megapixels(width * height)}), "
                        f"over the limit of {_megapixels(bound)} ({bound:,} pixels), so it was not decoded: a small "
                        f"file that claims a huge size is a decompression bomb; {_raise_hint(MAX_IMAGE_PIXELS, param)}")
    return width, height


def check_video_frame_size(path: str | os.PathLike[str], width: int, height: int, max_pixels: int | None = None) -> None:
    """Refuse a video whose container declares frames over ``THYRA_MAX_VIDEO_PIXELS``."""
    bound = MAX_VIDEO_PIXELS.value(max_pixels)
    if bound and width * height > bound:
        raise NodeError(f"the video {str(path)!r} declares frames of {width}×{height} pixels "
                        f"({_megapixels(width * height)} each), over the limit of {_megapixels(bound)}, so no "
                        f"frame was decoded; {_raise_hint(MAX_VIDEO_PIXELS, None)}")


def load_json_limited(path: str | os.PathLike[str], *, what: str = "JSON",
                      max_bytes: int | None = None, max_depth: int | None = None) -> Any:
    """Parse a JSON file after checking its size, and refuse it if nested too deep.

    Bounds default to ``THYRA_MAX_JSON_BYTES`` and ``THYRA_MAX_JSON_DEPTH``. Every failure
    (empty, too big, not UTF-8, not JSON, too deep) is a :class:`NodeError` naming the file.
    """
    file = Path(path)
    size = file.stat().st_size
    bytes_bound = MAX_JSON_BYTES.value(max_bytes)
    if bytes_bound and size > bytes_bound:
        raise NodeError(f"the {what} file {str(file)!r} is {size:,} bytes, over the limit of {bytes_bound:,}: "
                        f"{_raise_hint(MAX_JSON_BYTES, None)}")
    depth_bound = MAX_JSON_DEPTH.value(max_depth)
    try:
        text = file.read_text(encoding="utf-8")
        document = json.loads(text)
    except RecursionError:
        raise NodeError(f"the {what} file {str(file)!r} nests lists or objects thousands of levels deep, more "
                        f"than the limit of {depth_bound}: it is not a real {what} file") from None
    except UnicodeDecodeError as exc:
        raise NodeError(f"the {what} file {str(file)!r} is not UTF-8 text (byte {exc.start}): "
                        f"point 'path' at a {what} file") from None
    except ValueError as exc:
        raise NodeError(f"the {what} file {str(file)!r} is not readable JSON ({exc}): "
                        f"point 'path' at a {what} file") from None
    depth = json_depth(document, stop_after=depth_bound)
    if depth_bound and depth > depth_bound:
        raise NodeError(f"the {what} file {str(file)!r} nests more than {depth_bound} levels deep, over the "
                        f"limit of {depth_bound}: {_raise_hint(MAX_JSON_DEPTH, None)}")
    return document


def json_depth(value: Any, *, stop_after: int = 0) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar is 0), without recursion.

    With ``stop_after`` > 0 the walk stops as soon as the depth exceeds it.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if stop_after and deepest > stop_after:
            return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
