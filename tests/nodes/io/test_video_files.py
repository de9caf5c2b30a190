"""io.load_video, io.video_frame and io.save_video: metadata only on load, streaming on save."""

from __future__ import annotations

import os
import tracemalloc

import cv2
import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.frame_sampling import sample_frames
from thyra_graph.nodes.io.video_files import load_video, save_video, video_frame
from thyra_graph.types import Image, Path, Video


_RealCapture = cv2.VideoCapture


class CaptureSpy:
    """Stands in for cv2.VideoCapture and counts the calls that decode frames."""

    decoded = 0

    def __init__(self, *args):
        self._capture = _RealCapture(*args)

    def __getattr__(self, name):
        attribute = getattr(self._capture, name)
        if name in ("read", "grab", "retrieve"):
            def counted(*args, **kwargs):
                CaptureSpy.decoded += 1
                return attribute(*args, **kwargs)
            return counted
        return attribute


def test_load_video_reads_metadata_without_decoding_a_frame(bikes_path, monkeypatch):
    CaptureSpy.decoded = 0
    monkeypatch.setattr(cv2, "VideoCapture", CaptureSpy)
    video = load_video(path=bikes_path)
    assert CaptureSpy.decoded == 0
    assert isinstance(video, Video)
    assert (video.frame_count, video.width, video.height) == (250, 640, 272)
    assert video.fps == pytest.approx(25.0)
    assert os.path.isabs(video.path) and len(video) == 250


def test_load_video_missing_file_names_the_path(tmp_path):
    with pytest.raises(NodeError, match="no video file at .*gone.mp4"):
        load_video(path=str(tmp_path / "gone.mp4"))


def test_load_video_random_bytes_give_a_node_error_not_a_crash(tmp_path):
    corrupt = tmp_path / "noise.mp4"
    corrupt.write_bytes(np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(NodeError, match="noise.mp4.*could not be opened as a video"):
        load_video(path=str(corrupt))


def test_video_frame_returns_the_indexed_frame_of_a_sampled_view(bikes_path):
    video = load_video(path=bikes_path)
    every_tenth = sample_frames(video, every_n=10)
    frame = video_frame(every_tenth, index=3)
    assert isinstance(frame, Image) and frame.data.shape == (272, 640, 3)
    assert frame.meta["frame"] == 30 and frame.meta["time_s"] == pytest.approx(1.2)
    np.testing.assert_array_equal(frame.data, video_frame(video, index=30).data)


def test_video_frame_out_of_range_says_how_many_frames_exist(bikes_path):
    video = sample_frames(load_video(path=bikes_path), max_frames=5)
    with pytest.raises(NodeError, match="5 frame.*0 to 4"):
        video_frame(video, index=5)


def test_save_video_round_trip_keeps_frame_count_size_and_rate(bikes_path, tmp_path):
    clip = sample_frames(load_video(path=bikes_path), every_n=5, max_frames=12)
    target = tmp_path / "out" / "clip.avi"
    assert save_video(clip, path=str(target)) == Path(str(target))
    written = load_video(path=str(target))
    assert (written.frame_count, written.width, written.height) == (12, 640, 272)
    assert written.fps == pytest.approx(5.0)
    # MJPEG is lossy but close: the content is the sampled frames, in order.
    original, copy = video_frame(clip, index=7).data, video_frame(written, index=7).data
    assert np.abs(original.astype(int) - copy).mean() < 6
    assert np.abs(video_frame(clip, index=6).data.astype(int) - copy).mean() > np.abs(original.astype(int) - copy).mean()


def test_save_video_mp4_with_explicit_fps(make_video, tmp_path):
    clip = load_video(path=str(make_video("source.avi", 30)))
    target = tmp_path / "clip.mp4"
    save_video(clip, path=str(target), fps=12.5)
    written = load_video(path=str(target))
    assert (written.frame_count, written.width, written.height) == (30, 64, 48)
    assert written.fps == pytest.approx(12.5)


def test_save_video_streams_frames_instead_of_holding_the_video(bikes_path, tmp_path):
    video = load_video(path=bikes_path)  # 250 frames of 640×272×3: 130 MB if held
    progress = []
    ctx = Context("save", "io.save_video", on_progress=lambda node, done, total, message: progress.append((done, total)))
    tracemalloc.start()
    try:
        save_video(video, path=str(tmp_path / "all.avi"), ctx=ctx)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 640 * 272 * 3
    assert progress[-1] == (250, 250) and len(progress) == 251
    assert load_video(path=str(tmp_path / "all.avi")).frame_count == 250


def test_save_video_unknown_suffix_is_refused(bikes_path, tmp_path):
    with pytest.raises(NodeError, match=r"\.mp4"):
        save_video(load_video(path=bikes_path), path=str(tmp_path / "clip.gif"))


def test_save_video_is_a_sink_with_a_path_output():
    assert save_video.is_sink and save_video.output("path").type is Path
