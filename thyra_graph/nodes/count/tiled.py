"""count.tiled: blob counting over overlapping tiles of an image too big for memory.

The image is cut into *cores* that partition it; each core is read with a margin around it
(the *window*), searched, and only the detections whose centre lies in the core are kept,
so an object on a border is counted by exactly one tile. Windows start on the background
block grid and the margin covers every filter's reach, and all tiles use the same image-wide
noise figures (measured first on the whole image, or on sample windows when it is bigger
than ``STATS_PIXELS``): each core therefore finds exactly what an untiled search of the
whole image finds there.

Memory stays bounded by the window: an ``.npy`` file is memory-mapped afresh for each window
and only that window is read; an in-memory image is sliced without copying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Iterator

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.nodes.io.image_files import decode_image_file
from thyra_graph.nodes.io.limits import check_image_header
from thyra_graph.nodes.io.paths import existing_file
from thyra_graph.types import Image, Number, Points, Text

from .blobs import POLARITIES, BlobSettings, Detections, NoiseStats, detect, size_params
from .intensity import check_size_range, gray_float

# Images up to this many pixels have their noise measured on the whole image (so a tiled
# count equals the untiled one exactly); bigger ones on SAMPLE_GRID² sample windows.
STATS_PIXELS = 4096 * 4096
SAMPLE_GRID = 3
SAMPLE_SIDE = 1024


class ArraySource:
    """Windows of an array already in memory (views: nothing is copied)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.data.shape[0]), int(self.data.shape[1])

    def read(self, rows: slice, cols: slice) -> np.ndarray:
        return self.data[rows, cols]


class NpySource:
    """Windows of a ``.npy`` file, memory-mapped per read so only one window is resident."""

    def __init__(self, path: FsPath) -> None:
        self.path = path
        mapped = self._open()
        self._shape = (int(mapped.shape[0]), int(mapped.shape[1]))
        del mapped

    def _open(self) -> np.ndarray:
        try:
            mapped = np.load(self.path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            raise NodeError(f"{str(self.path)!r} is not a plain numeric .npy array ({exc}); save the image "
                            "with numpy.save(path, array) as H×W or H×W×3 numbers") from None
        if mapped.ndim not in (2, 3):
            raise NodeError(f"{str(self.path)!r} holds an array of shape {mapped.shape}: an image is H×W or H×W×3")
        return mapped

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape

    def read(self, rows: slice, cols: slice) -> np.ndarray:
        mapped = self._open()
        window = np.array(mapped[rows, cols])
        del mapped  # unmapping drops the pages just read from this process's memory
        return window


@dataclass(frozen=True)
class Tile:
    """A core (counted) and the window (read) around it, in image pixels, end-exclusive."""

    core: tuple[int, int, int, int]  # y0, y1, x0, x1
    window: tuple[int, int, int, int]


def plan_tiles(shape: tuple[int, int], tile_size: int, settings: BlobSettings) -> list[Tile]:
    """Cores of about ``tile_size`` (whole background blocks) and their margin-wide windows."""
    height, width = shape
    block, margin = settings.block, settings.margin
    core = max(block, int(math.ceil(tile_size / block)) * block)
    tiles = []
    for y0 in range(0, height, core):
        for x0 in range(0, width, core):
            y1, x1 = min(y0 + core, height), min(x0 + core, width)
            window = (max(0, y0 - margin), min(height, y1 + margin), max(0, x0 - margin), min(width, x1 + margin))
            tiles.append(Tile((y0, y1, x0, x1), window))
    return tiles


def image_statistics(source: ArraySource | NpySource, settings: BlobSettings) -> NoiseStats:
    """Noise figures for the whole image: measured on all of it, or on evenly spread samples."""
    height, width = source.shape
    if height * width <= STATS_PIXELS:
        grey, step = gray_float(source.read(slice(0, height), slice(0, width)))
        _, stats = detect(grey, settings, step=step)
        return stats
    parts = []
    for window in _sample_windows(source.shape, settings.block):
        y0, y1, x0, x1 = window
        grey, step = gray_float(source.read(slice(y0, y1), slice(x0, x1)))
        _, stats = detect(grey, settings, step=step, origin=(y0, x0), image_shape=source.shape)
        parts.append(stats)
    return NoiseStats.combine(parts)


def _sample_windows(shape: tuple[int, int], block: int) -> Iterator[tuple[int, int, int, int]]:
    height, width = shape
    for i in range(SAMPLE_GRID):
        for j in range(SAMPLE_GRID):
            y0 = _on_grid((i + 0.5) * height / SAMPLE_GRID - SAMPLE_SIDE / 2, block, height - SAMPLE_SIDE)
            x0 = _on_grid((j + 0.5) * width / SAMPLE_GRID - SAMPLE_SIDE / 2, block, width - SAMPLE_SIDE)
            yield y0, min(height, y0 + SAMPLE_SIDE), x0, min(width, x0 + SAMPLE_SIDE)


def _on_grid(position: float, block: int, limit: int) -> int:
    return int(max(0, min(position, limit)) // block * block)


def count_tiled(source: ArraySource | NpySource, settings: BlobSettings, *, tile_size: int,
                progress=None) -> Detections:
    """Blob detections over the whole image, tile by tile (see the module docstring)."""
    height, width = source.shape
    if height == 0 or width == 0:
        return Detections()
    check_size_range(settings.min_size, settings.max_size, height, width)
    stats = image_statistics(source, settings)
    tiles = plan_tiles(source.shape, tile_size, settings)
    found = []
    for index, tile in enumerate(tiles):
        if progress is not None:
            progress(index, len(tiles))
        wy0, wy1, wx0, wx1 = tile.window
        grey, step = gray_float(source.read(slice(wy0, wy1), slice(wx0, wx1)))
        here, _ = detect(grey, settings, step=step, origin=(wy0, wx0), image_shape=source.shape, stats=stats)
        del grey
        # Held inside the image before the core test, as an untiled count holds them: a peak on
        # the image's first row refines up to half a pixel out, and would otherwise fall
        # outside every core.
        here = here.shifted(wx0, wy0).clipped(height, width)
        cy0, cy1, cx0, cx1 = tile.core
        x, y = here.xy[:, 0], here.xy[:, 1]
        # Each object is counted by the one tile whose core holds its centre.
        found.append(here.subset((y >= cy0) & (y < cy1) & (x >= cx0) & (x < cx1)))
    if progress is not None:
        progress(len(tiles), len(tiles))
    return Detections.concatenate(found)


def open_source(image: Image | None, path: str | None) -> ArraySource | NpySource:
    """Where the tiles come from: the connected image, or a file (``.npy`` streams from disk)."""
    if image is not None and path:
        raise NodeError("count.tiled got both an image and a 'path': connect the image or give the path, not both")
    if image is not None:
        return ArraySource(image.data)
    if not path:
        raise NodeError("count.tiled needs an image: connect one to its 'image' input, or set 'path' to a .npy file "
                        "(numpy.save of an H×W or H×W×3 array), which is read tile by tile from disk")
    file = existing_file(path, what="image")
    if file.suffix.lower() == ".npy":
        return NpySource(file)
    return ArraySource(_read_whole(file))


def _read_whole(file: FsPath) -> np.ndarray:
    """Other formats are decoded whole (OpenCV cannot read part of a PNG or JPEG)."""
    import cv2

    check_image_header(file)  # a huge image belongs in a .npy, read tile by tile
    data = decode_image_file(file)
    if data.ndim == 3:
        data = cv2.cvtColor(data, cv2.COLOR_BGR2RGB if data.shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
    return data


@node(
    "count.tiled", title="Tiled count", category="count",
    inputs=[Input("image", Image, required=False, help="the image to count in (or give 'path' instead)")],
    params=[
        Param("path", None, kind="path", io="read", optional=True,
              help="a huge image on disk instead of the input: .npy is read tile by tile, other formats whole"),
        Param("tile_size", 2048, min=64, max=16384, help="side of the counted part of each tile, in pixels (memory grows with its square)"),
        *size_params(),
        Param("threshold", 5.0, min=1, max=100, step=0.5, help="how far above the local noise an object must stand, in noise standard deviations"),
        Param("polarity", "auto", choices=POLARITIES,
              help="bright objects on a darker background, dark on lighter, or auto (whichever the image shows more strongly)"),
    ],
    outputs=[
        Output("points", Points, help="the object centres in image pixels, with radii as scales"),
        Output("count", Number, help="how many objects were found"),
        Output("scale", Text, help="the object size and polarity used, and how auto chose them"),
    ],
)
def tiled(image: Image | None = None, *, path: str | None, tile_size: int, min_size: float | None,
          max_size: float | None, threshold: float, polarity: str, ctx) -> dict:
    """Count small objects in a huge image (an aerial mosaic) tile by tile, in bounded memory.

    Runs ``count.blobs`` on overlapping tiles; an object on a tile border is counted once, and
    the result equals an untiled count of the same image. Memory is set by ``tile_size``, not
    by the image: a 16k × 16k ``.npy`` file is counted in well under 1.5 GB.

    Example: ``{type: count.tiled, params: {path: mosaic.npy}}`` (sizes auto, measured on sample windows)
    """
    from .object_scale import auto_settings, windows_of

    source = open_source(image, path)
    settings, note = auto_settings(
        lambda: windows_of(source.shape, lambda rows, cols: gray_float(source.read(rows, cols))[0]),
        min_size=min_size, max_size=max_size, threshold=threshold, polarity=polarity)
    found = count_tiled(source, settings, tile_size=tile_size,
                        progress=lambda done, total: ctx.progress(done, total, "tiles"))
    return {"points": found.to_points(), "count": Number(len(found)), "scale": Text(note)}
