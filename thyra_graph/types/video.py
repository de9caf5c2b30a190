"""Video: a lazy handle on a video file; frames are decoded on demand, never all at once."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Iterator

import numpy as np

from .base import PortType


class VideoDecodeError(RuntimeError):
    """A video file could not be opened or a frame could not be decoded."""


# Containers often overstate the frame count by a frame or two (it is derived from the
# duration); decoding that stops within this many frames of the end is not an error.
_COUNT_SLACK = 2
# Gaps up to this many frames are decoded through; longer ones are seeked over.
_SEEK_GAP = 64


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
        """Yield ``(source_index, RGB uint8 frame)`` for every frame of the view, streaming.

        Only one decoded frame is alive at a time. Raises :class:`VideoDecodeError` when the
        file cannot be opened or decoding stops well before the frame count in the container.
        """
        import cv2  # decoding needs OpenCV; importing it here keeps `import thyra_graph` light

        indices = self.indices
        if len(indices) == 0:
            return
        capture = self._open(cv2)
        try:
            position = 0  # the source index the next read() returns
            seekable = True
            for target in indices:
                if seekable and target - position > _SEEK_GAP:
                    if self._seek(cv2, capture, target):
                        position = target
                    else:
                        # A seek that lands elsewhere would yield the wrong frame: walk instead.
                        capture.release()
                        capture, position, seekable = self._open(cv2), 0, False
                while position < target:  # small gaps are cheaper to grab through than to seek over
                    if not capture.grab():
                        self._check_end(position)
                        return
                    position += 1
                ok, frame = capture.read()
                if not ok or frame is None:
                    self._check_end(position)
                    return
                position += 1
                yield target, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()

    def _open(self, cv2: Any) -> Any:
        if not os.path.isfile(self.path):
            raise VideoDecodeError(f"no video file at {self.path!r}: it was moved or deleted after the video was loaded")
        capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            capture.release()
            raise VideoDecodeError(f"cannot open video {self.path!r}: the file is corrupt or not a video OpenCV can decode")
        return capture

    def _seek(self, cv2: Any, capture: Any, target: int) -> bool:
        """Jump so the next read returns ``target``; False when the backend cannot land there."""
        return bool(capture.set(cv2.CAP_PROP_POS_FRAMES, target)) and int(capture.get(cv2.CAP_PROP_POS_FRAMES)) == target

    def _check_end(self, position: int) -> None:
        """Decoding stopped at ``position``: fine at the end of the file, an error before it."""
        if position < self.frame_count - _COUNT_SLACK:
            raise VideoDecodeError(
                f"video {self.path!r}: decoding failed at frame {position} of {self.frame_count} "
                "(the file is truncated or corrupt; re-encode it, e.g. with ffmpeg, or cut the "
                "frame range before this point)")

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
