"""A test double standing in for SAM 2, so that the algorithms built on a promptable segmenter
(sweeping, tiling, crop-and-segment) have answers known exactly.

:class:`RegionSegmenter` sees a picture painted with a few known colours (a palette, index 0
being the background). It labels every pixel with the nearest palette colour (so an image
that was resized with interpolation still reads as the objects it shows) and answers a prompt
with the connected same-colour region under it: a positive point selects the region containing
that pixel; a box alone selects the region that covers most of the box. A click on the
background returns an empty mask with score 0 unless ``background_is_region`` is set. Scores
are chosen per palette colour. It records every call, so tests can count encodes and decodes.

This module has no ``install`` function: it builds no model, tiny_models.install_all skips it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from thyra_graph.nodes.segment.segmenter import ImageEmbedding, Prediction

PALETTE = np.array([
    (0, 0, 0), (230, 40, 40), (40, 200, 60), (50, 80, 240), (240, 220, 40), (200, 60, 220),
    (40, 220, 230), (250, 140, 30), (140, 90, 40), (255, 255, 255),
], dtype=np.uint8)


def paint(shape: tuple[int, int], objects: list[tuple[int, tuple[slice, slice] | np.ndarray]]) -> np.ndarray:
    """An H×W×3 uint8 picture: background colour, then each (colour index, rectangle or bool mask) painted."""
    rgb = np.zeros((*shape, 3), np.uint8)
    rgb[:] = PALETTE[0]
    for colour, where in objects:
        rgb[where] = PALETTE[colour]
    return rgb


@dataclass
class RegionSegmenter:
    """A promptable segmenter whose masks are the connected colour regions of the image."""

    scores: dict[int, float] = field(default_factory=dict)
    default_score: float = 0.9
    background_is_region: bool = False
    key: str = "fake-region-segmenter"
    embed_calls: list[tuple[int, int]] = field(default_factory=list)
    decode_calls: list[dict] = field(default_factory=list)

    def embed(self, rgb: np.ndarray) -> ImageEmbedding:
        from skimage.measure import label

        assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3, "SAM 2 embeds H×W×3 uint8 RGB"
        self.embed_calls.append(rgb.shape[:2])
        distance = ((rgb[:, :, None, :].astype(np.int32) - PALETTE[None, None].astype(np.int32)) ** 2).sum(axis=3)
        colours = distance.argmin(axis=2).astype(np.int32)
        regions = label(colours, background=-1, connectivity=1).astype(np.int32)
        return ImageEmbedding({"colours": colours, "regions": regions}, rgb.shape[0], rgb.shape[1], self.key)

    def decode(self, embedding: ImageEmbedding, *, points=None, point_labels=None, box=None,
               multimask: bool = False) -> Prediction:
        assert embedding.model_key == self.key
        self.decode_calls.append({"points": None if points is None else np.asarray(points, float).tolist(),
                                  "labels": None if point_labels is None else np.asarray(point_labels).tolist(),
                                  "box": None if box is None else np.asarray(box, float).tolist(),
                                  "size": (embedding.height, embedding.width)})
        colours, regions = embedding.arrays["colours"], embedding.arrays["regions"]
        height, width = regions.shape
        region = 0
        positive = [] if points is None else [p for p, l in zip(np.asarray(points, float).reshape(-1, 2),
                                                                 np.ones(len(points)) if point_labels is None else point_labels) if l == 1]
        if positive:
            x, y = positive[0]
            c, r = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
            if 0 <= r < height and 0 <= c < width:
                region = int(regions[r, c])
        elif box is not None:
            x0, y0, x1, y1 = np.asarray(box, float)
            # Pixels whose centres lie inside the box.
            r0, r1 = max(0, int(np.ceil(y0 - 0.5))), min(height, int(np.ceil(y1 - 0.5)))
            c0, c1 = max(0, int(np.ceil(x0 - 0.5))), min(width, int(np.ceil(x1 - 0.5)))
            inside = regions[r0:r1, c0:c1][colours[r0:r1, c0:c1] != 0]
            if inside.size:
                region = int(np.bincount(inside).argmax())
        mask = regions == region if region else np.zeros((height, width), bool)
        colour = int(colours[mask][0]) if mask.any() else 0
        if colour == 0 and not self.background_is_region:
            mask = np.zeros((height, width), bool)
        score = float(self.scores.get(colour, self.default_score)) if mask.any() else 0.0
        if multimask:
            return Prediction(np.stack([mask, np.zeros_like(mask), np.zeros_like(mask)]),
                              np.array([score, score / 2, score / 4], np.float32))
        return Prediction(mask[None], np.array([score], np.float32))
