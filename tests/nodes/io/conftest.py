"""Fixtures for the io node tests: the bundled samples and small synthetic videos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import thyra_graph

SAMPLES = Path(thyra_graph.__file__).parent / "samples"


@pytest.fixture
def samples() -> Path:
    """The folder of bundled sample files (coins.png, bikes.mp4)."""
    return SAMPLES


@pytest.fixture
def bikes_path() -> str:
    return str(SAMPLES / "bikes.mp4")


def numbered_frame(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A BGR frame that says which frame it is: its grey level and a bar position change."""
    frame = np.full((height, width, 3), (index * 4) % 200 + 20, dtype=np.uint8)
    x = (index * 3) % (width - 8)
    frame[8:24, x:x + 8] = 255
    return frame


def write_video(path: Path, count: int, *, fps: float = 10.0, fourcc: str = "MJPG") -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (64, 48))
    assert writer.isOpened(), f"this OpenCV build cannot write {fourcc}"
    for index in range(count):
        writer.write(numbered_frame(index))
    writer.release()
    return path


@pytest.fixture
def make_video(tmp_path):
    """``make_video(name, count, fps=, fourcc=)`` writes a synthetic clip and returns its path."""

    def make(name: str = "clip.avi", count: int = 60, **kwargs) -> Path:
        return write_video(tmp_path / name, count, **kwargs)

    return make
