"""The plugin's own port type, param kind and preview: colour histograms.

- ``Histogram`` (``example.Histogram``): 256 counts per channel. Like every port type it
  validates itself and has a safe record (an array, never pickle), so Thyra's disk cache
  stores it and reads it back in a later run.
- ``CHANNELS`` (``example.channels``): which colour channels to count, written as letters
  ("rgb", "g", "rb"); the editor shows it as a line of text.
- ``render_histogram``: the editor's preview of a Histogram, a bar chart drawn with NumPy
  (no Qt: a plugin returns a picture and a caption, the editor shows it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from thyra_graph import ParamKind
from thyra_graph.types import PortType
from thyra_graph.types.base import check_array

CHANNEL_LETTERS = "rgb"
BINS = 256
_BAR_COLOURS = {"r": (230, 60, 60), "g": (60, 200, 60), "b": (70, 110, 240)}


@dataclass
class Histogram(PortType):
    """256 counts per channel: ``counts[i, v]`` pixels of channel ``channels[i]`` have value ``v``."""

    type_name = "example.Histogram"
    color = (200, 150, 60)
    doc = "pixel counts per grey level (0-255) for each colour channel"

    counts: np.ndarray
    channels: str = CHANNEL_LETTERS
    meta: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        check_array(self.counts, name="Histogram.counts", shape=(len(self.channels), BINS), kind="iu")
        if (self.counts < 0).any():
            raise ValueError("Histogram.counts must not be negative")
        parse_channels(self.channels)

    def nbytes(self) -> int:
        return int(self.counts.nbytes)

    def to_record(self):
        return {"channels": self.channels, "meta": self.meta}, {"counts": self.counts}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["counts"], meta["channels"], dict(meta.get("meta", {})))

    def summary(self) -> Any:
        totals = self.counts.sum(axis=1)
        return {"channels": self.channels, "pixels": int(totals[0]) if len(totals) else 0,
                "peak": {c: int(np.argmax(row)) for c, row in zip(self.channels, self.counts)}}


def parse_channels(value: Any) -> str:
    """'rgb', 'g', 'br', ...: distinct letters from r, g, b (the order is kept)."""
    if not isinstance(value, str):
        raise TypeError(f"channels are written as letters like 'rgb', got {value!r}")
    letters = value.strip().lower()
    wrong = sorted(set(letters) - set(CHANNEL_LETTERS))
    if not letters or wrong or len(set(letters)) != len(letters):
        raise ValueError(f"{value!r} is not a set of channel letters")
    return letters


CHANNELS = ParamKind(
    "example.channels", coerce=parse_channels, widget="str",
    describe="distinct channel letters from 'rgb', e.g. 'rgb', 'g' or 'rb'",
    help="which colour channels a node looks at")


def render_histogram(value: Histogram, *, height: int = 120) -> tuple[np.ndarray, str]:
    """A bar chart (one column per grey level, channels in their colours, summed where they overlap)."""
    counts = value.counts.astype(np.float64)
    peak = counts.max() if counts.size else 0.0
    picture = np.full((height, BINS, 3), 24, dtype=np.int32)
    rows = np.arange(height)[::-1, None]  # row 0 is the top of the picture
    for letter, row in zip(value.channels, counts):
        # ceil: any level with pixels gets at least a one-pixel bar, the peak the full height
        bar = np.ceil(row / peak * height).astype(int) if peak > 0 else np.zeros(BINS, int)
        filled = rows < bar[None, :]  # height × 256: True where the bar reaches
        picture[filled] += np.array(_BAR_COLOURS[letter]) * 3 // 4
    caption = f"histogram of {', '.join(value.channels)}: {int(counts[0].sum()) if len(counts) else 0} pixels"
    return np.clip(picture, 0, 255).astype(np.uint8), caption
