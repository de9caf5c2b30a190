"""segment.tiled: SAM 2 on an image too large to segment in one piece, tile by tile, stitched.

SAM 2 sees every image at 1024 px, so a 6000 px photo loses its small objects; cutting it
into tiles keeps them at their own resolution. Tiles overlap by ``overlap`` pixels (the last
tile of a row or column is shifted back to end at the image edge). Each tile is prompted
on its own: an automatic sweep (a grid, optionally contours first, see :mod:`.sweep`) or
the given points that fall inside it (an object clicked in one tile is followed into the tiles
it runs on into). The pieces are then put back into the full frame and
*stitched*: two pieces from neighbouring tiles are the same object when, inside the band
the two tiles share, their masks agree (IoU within the shared band >= ``merge_iou``).
Merged pieces become one instance whose mask is the union of its pieces, so an object cut
by a seam comes out whole and an object inside the shared band, found twice, comes out once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Image, Instances, Points

from ..models.weights import hub_download
from ..models.needs import sam2_models
from .points import pixel_of
from .sam2_loading import load_segmenter, model_params, unload_segmenter
from .sam2_points import sam_rgb
from .segmenter import ImageEmbedding, Segmenter
from .sweep import automatic_candidates, best_mask, sweep

TILE_CANDIDATES = ("grid", "contours+grid", "contours")


@dataclass(frozen=True)
class Tile:
    """One tile: its place in the tile grid and its window (y0:y1, x0:x1) in the image."""

    row: int
    col: int
    y0: int
    x0: int
    y1: int
    x1: int

    @property
    def window(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def shared(self, other: "Tile") -> tuple[int, int, int, int] | None:
        """The band (y0, x0, y1, x1) both tiles cover, or None."""
        y0, x0 = max(self.y0, other.y0), max(self.x0, other.x0)
        y1, x1 = min(self.y1, other.y1), min(self.x1, other.x1)
        return (y0, x0, y1, x1) if y1 > y0 and x1 > x0 else None


@dataclass
class Piece:
    """A mask found in one tile, in that tile's coordinates."""

    tile: Tile
    mask: np.ndarray
    score: float
    point: tuple[float, float] | None = None  # in image coordinates

    def crop(self, y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
        return self.mask[y0 - self.tile.y0:y1 - self.tile.y0, x0 - self.tile.x0:x1 - self.tile.x0]


@dataclass
class Stitched:
    """One object, made of one or more pieces: its mask within ``box`` (y0, x0, y1, x1) of the frame.

    Kept cropped to the object's tiles so that stitching never holds a full-frame mask per object.
    """

    local: np.ndarray
    box: tuple[int, int, int, int]
    shape: tuple[int, int]
    score: float
    tiles: list[tuple[int, int]]
    points: list[tuple[float, float]] = field(default_factory=list)

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.local))

    def paint(self, target: np.ndarray) -> np.ndarray:
        """Write the mask into a full-frame bool array (e.g. a slice of the Instances stack)."""
        y0, x0, y1, x1 = self.box
        target[y0:y1, x0:x1] |= self.local
        return target

    @property
    def mask(self) -> np.ndarray:
        return self.paint(np.zeros(self.shape, bool))


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Where tiles start along one side: every ``tile - overlap`` px, the last one flush with the end."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def tile_grid(height: int, width: int, *, tile: int, overlap: int) -> list[Tile]:
    """The overlapping tiles covering an image, row by row."""
    if overlap >= tile:
        raise ValueError(f"overlap ({overlap} px) must be smaller than the tile ({tile} px)")
    tiles = []
    for r, y0 in enumerate(tile_starts(height, tile, overlap)):
        for c, x0 in enumerate(tile_starts(width, tile, overlap)):
            tiles.append(Tile(r, c, y0, x0, min(y0 + tile, height), min(x0 + tile, width)))
    return tiles


def stitch(pieces: list[Piece], shape: tuple[int, int], *, merge_iou: float = 0.5) -> list[Stitched]:
    """Merge pieces of the same object across tile seams; see the module docstring.

    Objects are returned in the order of their first piece.
    """
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_tile: dict[Tile, list[int]] = {}
    for i, piece in enumerate(pieces):
        by_tile.setdefault(piece.tile, []).append(i)
    tiles = list(by_tile)
    for k, first in enumerate(tiles):
        for second in tiles[k + 1:]:
            band = first.shared(second)
            if band is None:
                continue
            # Only pieces reaching into the shared band can be the same object.
            in_first = [(i, c) for i in by_tile[first] if (c := pieces[i].crop(*band)).any()]
            in_second = [(j, c) for j in by_tile[second] if (c := pieces[j].crop(*band)).any()]
            for i, a in in_first:
                for j, b in in_second:
                    inter = np.count_nonzero(a & b)
                    if inter and inter >= merge_iou * np.count_nonzero(a | b):
                        parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pieces)):
        groups.setdefault(root(i), []).append(i)
    objects = []
    for members in sorted(groups.values(), key=lambda m: m[0]):
        owned = [pieces[i].tile for i in members]
        box = (min(t.y0 for t in owned), min(t.x0 for t in owned), max(t.y1 for t in owned), max(t.x1 for t in owned))
        local = np.zeros((box[2] - box[0], box[3] - box[1]), bool)
        for i in members:
            t = pieces[i].tile
            local[t.y0 - box[0]:t.y1 - box[0], t.x0 - box[1]:t.x1 - box[1]] |= pieces[i].mask
        tiles = sorted({(t.row, t.col) for t in owned})
        points = [pieces[i].point for i in members if pieces[i].point is not None]
        objects.append(Stitched(local, box, shape, max(pieces[i].score for i in members), tiles,
                                list(dict.fromkeys(points))))
    return objects


def touches_seam(mask: np.ndarray, tile: Tile, shape: tuple[int, int]) -> bool:
    """Whether a piece reaches a tile edge that is not the image edge (it may go on next door)."""
    return bool((tile.y0 > 0 and mask[0].any()) or (tile.x0 > 0 and mask[:, 0].any())
                or (tile.y1 < shape[0] and mask[-1].any()) or (tile.x1 < shape[1] and mask[:, -1].any()))


def segment_tiled(segmenter: Segmenter, rgb: np.ndarray, *, tile: int = 512, overlap: int = 64,
                  points: np.ndarray | None = None, point_labels: np.ndarray | None = None,
                  candidates: str = "grid", grid_per_side: int = 8, min_area: int = 100,
                  max_overlap: float = 0.5, multimask: bool = True, merge_iou: float = 0.5,
                  embed: Callable[[np.ndarray], ImageEmbedding] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> list[Stitched]:
    """Segment ``rgb`` (H×W×3 uint8) tile by tile and stitch the pieces into whole objects.

    Without ``points`` each tile gets an automatic sweep (``candidates``, ``grid_per_side``,
    ``max_overlap``). With ``points`` (N×2 x, y in image pixels; ``point_labels`` 1/0) each
    positive point is segmented in every tile containing it, together with the negative points
    of that tile, and its object is followed into the tiles it runs on into. A piece smaller than ``min_area`` is dropped unless it reaches a seam (its
    object may continue next door); stitched objects smaller than ``min_area`` are dropped.
    ``embed`` replaces ``segmenter.embed`` (e.g. to use the embedding cache).
    """
    height, width = rgb.shape[:2]
    shape = (height, width)
    tiles = tile_grid(height, width, tile=tile, overlap=overlap)
    encode = embed or segmenter.embed
    if points is not None:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        point_labels = np.ones(len(points), np.int8) if point_labels is None else np.asarray(point_labels).reshape(-1)
    pieces: list[Piece] = []
    for t_index, t in enumerate(tiles):
        if progress is not None:
            progress(t_index, len(tiles))
        crop = np.ascontiguousarray(rgb[t.window])
        local_shape = crop.shape[:2]
        if points is not None:
            local = points - (t.x0, t.y0)
            inside = pixel_of(local, local_shape)[2]
            positive = np.flatnonzero(inside & (point_labels == 1))
            if not len(positive):
                continue
            negative = local[inside & (point_labels == 0)]
            embedding = encode(crop)
            for i in positive:
                prompt = np.concatenate([local[i:i + 1], negative])
                labels = np.array([1] + [0] * len(negative))
                prediction = segmenter.decode(embedding, points=prompt, point_labels=labels, multimask=multimask)
                mask, score = best_mask(np.asarray(prediction.masks, dtype=bool), np.asarray(prediction.scores))
                if mask.any():
                    pieces.append(Piece(t, mask, score, (float(points[i, 0]), float(points[i, 1]))))
            continue
        xy, sources = automatic_candidates(crop, which=candidates, grid_per_side=grid_per_side,
                                           min_contour_area=min_area)
        embedding = encode(crop)
        found = sweep(segmenter, embedding, xy, sources, min_area=1, max_overlap=max_overlap, multimask=multimask)
        for region in found.regions:
            if region.mask.sum() >= min_area or touches_seam(region.mask, t, shape):
                point = (region.point[0] + t.x0, region.point[1] + t.y0)
                pieces.append(Piece(t, region.mask, region.score, point))
    if points is not None:
        _follow_across_seams(segmenter, rgb, tiles, pieces, points, point_labels, encode, multimask)
    if progress is not None:
        progress(len(tiles), len(tiles))
    objects = stitch(pieces, shape, merge_iou=merge_iou)
    return [o for o in objects if o.area >= min_area]


def deepest_point(mask: np.ndarray) -> tuple[int, int]:
    """(y, x) of the mask pixel farthest from its border: a click surely on the object."""
    import cv2

    distance = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
    return int(y), int(x)


def _follow_across_seams(segmenter: Segmenter, rgb: np.ndarray, tiles: list[Tile], pieces: list[Piece],
                         points: np.ndarray, point_labels: np.ndarray,
                         encode: Callable[[np.ndarray], ImageEmbedding], multimask: bool) -> None:
    """Clicked objects that run on into tiles without a click are followed there.

    A piece reaching into the band it shares with a neighbouring tile, where no piece of that
    tile covers it yet, prompts the neighbour with a click on its deepest pixel in the band (plus
    the neighbour's own negative clicks); new pieces are followed in turn, so an object spanning
    many tiles is segmented in all of them and stitched whole. Each tile is clicked at most once
    per pixel, which bounds the work.
    """
    shape = rgb.shape[:2]
    embeddings: dict[Tile, ImageEmbedding] = {}
    clicked: set[tuple[Tile, int, int]] = set()
    queue = list(range(len(pieces)))
    while queue:
        piece = pieces[queue.pop(0)]
        if not touches_seam(piece.mask, piece.tile, shape):
            continue
        for other in tiles:
            band = piece.tile.shared(other) if other != piece.tile else None
            if band is None:
                continue
            here = piece.crop(*band)
            if not here.any() or any(p.tile == other and (p.crop(*band) & here).any() for p in pieces):
                continue
            y, x = deepest_point(here)
            y, x = band[0] + y, band[1] + x
            if (other, y, x) in clicked:
                continue
            clicked.add((other, y, x))
            if other not in embeddings:
                embeddings[other] = encode(np.ascontiguousarray(rgb[other.window]))
            local = points - (other.x0, other.y0)
            negative = local[pixel_of(local, (other.y1 - other.y0, other.x1 - other.x0))[2] & (point_labels == 0)]
            prompt = np.concatenate([[[x - other.x0, y - other.y0]], negative]).astype(np.float64)
            labels = np.array([1] + [0] * len(negative))
            prediction = segmenter.decode(embeddings[other], points=prompt, point_labels=labels, multimask=multimask)
            mask, score = best_mask(np.asarray(prediction.masks, dtype=bool), np.asarray(prediction.scores))
            if mask.any():
                pieces.append(Piece(other, mask, score, piece.point))
                queue.append(len(pieces) - 1)


@node(
    "segment.tiled", title="SAM 2 tiled", category="segment", device="gpu", destinations=hub_download, requires=("torch",),
    models=sam2_models,
    inputs=[
        Input("image", Image),
        Input("points", Points, required=False,
              help="clicks to segment (positive = an object, negative = not this); without them each tile is swept"),
    ],
    params=[
        *model_params(),
        Param("tile", 512, min=64, max=8192, help="tile side in pixels (SAM 2 works at 1024; smaller tiles see smaller objects)"),
        Param("overlap", 64, min=0, max=4096, help="pixels neighbouring tiles share; at least the size of a typical object"),
        Param("candidates", "grid", choices=TILE_CANDIDATES, help="automatic prompts per tile: a grid, contours then a grid, or contours"),
        Param("grid_per_side", 8, min=1, max=128, when={"candidates": ["grid", "contours+grid"]}, help="grid points across each side of a tile"),
        Param("min_area", 100, min=1, max=1e9, help="drop objects with fewer pixels than this"),
        Param("max_overlap", 0.5, min=0.0, max=1.0, step=0.05,
              help="within a tile: reject a mask when more than this fraction of it is already taken"),
        Param("merge_iou", 0.5, min=0.05, max=1.0, step=0.05,
              help="pieces from neighbouring tiles are one object when their masks agree this well where the tiles overlap"),
        Param("multimask", True, help="ask SAM 2 for three masks per point and keep the best one"),
    ],
    outputs=[Output("instances", Instances, help="whole objects in the full image; extra holds their tiles and points")],
)
def tiled(image: Image, points: Points | None = None, *, backend: str, model: str, config: str, device: str,
          precision: str, unload: bool, tile: int, overlap: int, candidates: str, grid_per_side: int, min_area: int,
          max_overlap: float, merge_iou: float, multimask: bool, ctx) -> Instances:
    """Segment a large image tile by tile and join objects cut by tile borders.

    For photos far larger than SAM 2's 1024 px input (aerial, microscopy, full-HD frames with
    small animals): each tile is segmented at its own resolution, and masks of the same object
    in neighbouring tiles are merged into one instance. With points connected, each positive
    point is segmented in the tiles that contain it, and its object is followed into the
    neighbouring tiles it reaches, so a long object needs one click.

    Example: ``{type: segment.tiled, inputs: {image: load.image}, params: {tile: 512, overlap: 64}}``
    """
    from .embedding_cache import embed_cached

    if overlap >= tile:
        raise NodeError(f"segment.tiled: overlap ({overlap} px) must be smaller than tile ({tile} px); "
                        f"use e.g. overlap: {tile // 8}")
    rgb = sam_rgb(image.data)
    shape = rgb.shape[:2]
    xy = labels = None
    if points is not None:
        xy, labels = points.xy, points.labels
        outside = int((~pixel_of(xy, shape)[2]).sum())
        if outside:
            ctx.warn(f"{outside} of the {len(xy)} points lie outside the {shape[1]}×{shape[0]} image and were ignored")
        if not (labels[pixel_of(xy, shape)[2]] == 1).any():
            ctx.warn("segment.tiled got points but no positive point inside the image: the result is empty")
            return Instances.empty(*shape)
    segmenter = load_segmenter(ctx, backend=backend, model=model, config=config, device=device, precision=precision)
    try:
        objects = segment_tiled(
            segmenter, rgb, tile=tile, overlap=overlap, points=xy, point_labels=labels, candidates=candidates,
            grid_per_side=grid_per_side, min_area=min_area, max_overlap=max_overlap, multimask=multimask,
            merge_iou=merge_iou, embed=lambda crop: embed_cached(ctx, segmenter, crop),
            progress=lambda done, total: ctx.progress(done, total, "tiles"))
    finally:
        if unload:
            unload_segmenter(ctx, segmenter)
    if not objects:
        return Instances.empty(*shape)
    extra = [{"tiles": [list(t) for t in o.tiles], "points": [[round(x, 3), round(y, 3)] for x, y in o.points],
              "order": i} for i, o in enumerate(objects)]
    masks = np.zeros((len(objects), *shape), bool)
    for o, target in zip(objects, masks):
        o.paint(target)
    return Instances(masks, scores=np.array([o.score for o in objects], np.float32),
                     extra=extra)
