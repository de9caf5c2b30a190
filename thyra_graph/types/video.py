"""Video: a lazy handle on a video file; frames are decoded on demand, never all at once."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Iterator

import numpy as np

from .base import PortType


class VideoDecodeError(RuntimeError):
    """A video file could not be opened or a frame could not be decoded."""


@dataclass(frozen=True)
class Video(PortType):
    """A view on a video file: frames ``start, start+stride, …`` below ``stop``.

    Only metadata lives here (path, fps, size, frame range), so a Video is cheap to pass,
    cache and fingerprint; ``frames()`` streams decoded frames as H×W×3 uint8 RGB.
    """

    path: str
    fps: float
    frame_count: int  # frames in the source file
    width: int
    height: int
    start: int = 0
    stop: int | None = None  # exclusive; None = end of file
    stride: int = 1

    type_name: ClassVar[str] = "Video"
    color: ClassVar[tuple[int, int, int]] = (170, 110, 220)
    doc: ClassVar[str] = "a lazy video handle (frames decoded on demand)"

    # -- the view -----------------------------------------------------------------------------
    @property
    def indices(self) -> range:
        """Source frame indices this view covers."""
        stop = self.frame_count if self.stop is None else min(self.stop, self.frame_count)
        return range(self.start, max(stop, self.start), self.stride)

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def effective_fps(self) -> float:
        return self.fps / self.stride

    def view(self, *, start: int | None = None, stop: int | None = None, stride: int = 1) -> "Video":
        """A sub-view: ``start``/``stop`` count frames *of this view*, ``stride`` multiplies."""
        indices = self.indices[slice(start, stop, stride)]
        if len(indices) == 0:
            return replace(self, start=self.start, stop=self.start, stride=self.stride * stride)
        return replace(self, start=indices.start, stop=indices.stop, stride=indices.step)

    def time_of(self, source_index: int) -> float:
        return source_index / self.fps if self.fps > 0 else 0.0

    # -- decoding ----------------------------------------------------------------------------
    def frames(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(source_index, RGB uint8 frame)`` for every frame of the view, streaming."""
        import cv2  # decoding needs OpenCV; importing it here keeps `import thyra_graph` light

        indices = self.indices
        if len(indices) == 0:
            return
        capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            raise VideoDecodeError(f"cannot open video {self.path!r}: the file is missing or not a video OpenCV can decode")
        try:
            wanted = iter(indices)
            target = next(wanted)
            if target > 0:
                capture.set(cv2.CAP_PROP_POS_FRAMES, target)
            position = int(capture.get(cv2.CAP_PROP_POS_FRAMES))
            while True:
                if position < target:
                    # Small gaps are cheaper to grab through than to seek over.
                    if target - position > 64:
                        capture.set(cv2.CAP_PROP_POS_FRAMES, target)
                        position = int(capture.get(cv2.CAP_PROP_POS_FRAMES))
                        continue
                    if not capture.grab():
                        return
                    position += 1
                    continue
                ok, frame = capture.read()
                if not ok:
                    if position == target and target < indices[-1] + 1 and position < self.frame_count - 1:
                        raise VideoDecodeError(f"video {self.path!r}: frame {target} could not be decoded (the file may be truncated or corrupt)")
                    return
                yield target, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                position += 1
                try:
                    target = next(wanted)
                except StopIteration:
                    return
        finally:
            capture.release()

    def read(self, view_index: int) -> np.ndarray:
        """Decode one frame of the view (0-based within the view)."""
        source_index = self.indices[view_index]
        for _, frame in replace(self, start=source_index, stop=source_index + 1, stride=1).frames():
            return frame
        raise VideoDecodeError(f"video {self.path!r}: frame {source_index} could not be decoded")

    # -- contract ----------------------------------------------------------------------------
    def validate(self) -> None:
        if self.stride < 1:
            raise ValueError(f"Video stride must be >= 1, got {self.stride}")
        if self.fps < 0 or self.frame_count < 0 or self.width < 0 or self.height < 0:
            raise ValueError("Video fps, frame count and size must be non-negative")

    def nbytes(self) -> int:
        return 256

    def to_record(self):
        return {
            "path": self.path, "fps": self.fps, "frame_count": self.frame_count,
            "width": self.width, "height": self.height,
            "start": self.start, "stop": self.stop, "stride": self.stride,
        }, {}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(**meta)

    def summary(self) -> Any:
        return {"path": self.path, "frames": len(self), "fps": round(self.effective_fps, 3),
                "size": [self.width, self.height]}
