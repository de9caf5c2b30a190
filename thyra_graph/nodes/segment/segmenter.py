"""The one interface every promptable segmenter offers (SAM 2 through either backend).

Nodes built on top of it (prompts, sweeping analysis, tiling, crop-and-segment) never see which
backend runs: they embed an image once, then decode as many prompts against that embedding as
they like. The embedding is plain NumPy so it can be cached on disk and shared between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class ImageEmbedding:
    """What the image encoder produced for one image: backend-specific feature arrays (NumPy,
    float32 or float16) plus the size of the image they were computed from."""

    arrays: dict[str, np.ndarray]
    height: int
    width: int
    model_key: str  # which model made it; an embedding from another model must not be decoded
    meta: dict = field(default_factory=dict)

    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.arrays.values()) + 256


@dataclass
class Prediction:
    """Masks for one prompt: K×H×W bool at the embedded image's size, with the model's
    predicted IoU per mask (K = 1, or 3 with multimask output), best first."""

    masks: np.ndarray
    scores: np.ndarray


def checked_prompt(embedding: ImageEmbedding, key: str, points: np.ndarray | None, point_labels: np.ndarray | None,
                   box: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """What every ``decode`` checks first: the embedding is this model's (decoding another
    model's would give silently wrong masks) and there is a prompt. Returns the points (N×2
    float64) with their labels (int64, positive where none were given), or None for both, and the box."""
    from thyra_graph.engine.declaration import NodeError

    if embedding.model_key != key:
        raise NodeError(f"this SAM 2 embedding was made by {embedding.model_key!r}, not by {key!r}: "
                        "embed the image again with the model that decodes it")
    has_points = points is not None and len(points) > 0
    if not has_points and box is None:
        raise ValueError("decode needs points or a box")
    if not has_points:
        return None, None, None if box is None else np.asarray(box, np.float64).reshape(4)
    xy = np.asarray(points, np.float64).reshape(-1, 2)
    labels = np.ones(len(xy), np.int64) if point_labels is None else np.asarray(point_labels, np.int64).reshape(-1)
    return xy, labels, None if box is None else np.asarray(box, np.float64).reshape(4)


class Segmenter(Protocol):
    """A promptable image segmenter. ``key`` identifies model + weights + device + dtype."""

    key: str

    def embed(self, rgb: np.ndarray) -> ImageEmbedding:
        """Run the image encoder on an H×W×3 uint8 RGB image."""
        ...

    def decode(self, embedding: ImageEmbedding, *, points: np.ndarray | None = None,
               point_labels: np.ndarray | None = None, box: np.ndarray | None = None,
               multimask: bool = False) -> Prediction:
        """Masks for one object: ``points`` N×2 (x, y) pixels with ``point_labels`` N (1 = positive,
        0 = negative), and/or ``box`` (x0, y0, x1, y1) pixels. At least one prompt is given."""
        ...
