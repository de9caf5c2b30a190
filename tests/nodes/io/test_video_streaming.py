"""Streaming frames out of a Video handle: correct frames after seeks, bounded memory, and
decode failures reported as VideoDecodeError / NodeError rather than silent truncation."""

from __future__ import annotations

import hashlib
import tracemalloc

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.frame_sampling import sample_frames
from thyra_graph.nodes.io.video_files import load_video, video_frame
from thyra_graph.types import Video, VideoDecodeError


def digests(video: Video) -> dict[int, str]:
    return {index: hashlib.sha1(frame.tobytes()).hexdigest() for index, frame in video.frames()}


@pytest.fixture(params=["bikes.mp4 (H.264)", "mp4v", "MJPG"])
def clip(request, bikes_path, make_video) -> Video:
    if request.param == "mp4v":
        return load_video(path=str(make_video("clip.mp4", 200, fourcc="mp4v")))
    if request.param == "MJPG":
        return load_video(path=str(make_video("clip.avi", 200, fourcc="MJPG")))
    return load_video(path=bikes_path)


def test_every_frame_read_by_index_equals_the_frame_decoded_in_sequence(clip):
    sequential = digests(clip)
    assert list(sequential) == list(range(clip.frame_count))
    # Indices past the seek gap (64) exercise seeking, the small ones decoding through.
    for index in (0, 1, 63, 64, 65, 100, 150, clip.frame_count - 1):
        assert hashlib.sha1(clip.read(index).tobytes()).hexdigest() == sequential[index], f"frame {index}"


def test_a_strided_view_yields_the_same_frames_as_sequential_decoding(clip):
    sequential = digests(clip)
    view = clip.view(start=5, stride=70)  # every step is a seek
    got = digests(view)
    assert list(got) == list(range(5, clip.frame_count, 70))
    assert all(got[i] == sequential[i] for i in got)


def test_frames_stay_correct_when_the_backend_cannot_seek(clip, monkeypatch):
    sequential = digests(clip)
    monkeypatch.setattr(Video, "_seek", lambda self, cv2, capture, target: False)
    got = digests(clip.view(start=3, stride=90))
    assert got == {i: sequential[i] for i in range(3, clip.frame_count, 90)}


def test_iterating_a_long_view_holds_one_frame_at_a_time(bikes_path):
    frames = sample_frames(load_video(path=bikes_path))  # 250 frames, 522 kB each decoded
    frame_bytes = 640 * 272 * 3
    tracemalloc.start()
    try:
        count = sum(1 for _ in frames.frames())
        _, streaming_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        held = [frame for _, frame in frames.view(stop=10).frames()]  # control: tracemalloc sees frames
        _, holding_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 250
    assert streaming_peak < 4 * frame_bytes
    assert holding_peak > len(held) * frame_bytes


def test_decoding_that_stops_mid_file_raises_video_decode_error(make_video, tmp_path):
    whole = make_video("whole.avi", 60)
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    video = load_video(path=str(truncated))  # the header still promises 60 frames
    assert video.frame_count == 60
    with pytest.raises(VideoDecodeError, match=r"truncated.avi.*decoding failed at frame \d+ of 60"):
        for _ in video.frames():
            pass
    with pytest.raises(NodeError, match="decoding failed"):
        video_frame(video, index=50)


def test_the_frames_before_a_truncation_still_decode(make_video, tmp_path):
    whole = make_video("whole.avi", 60)
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    video = load_video(path=str(truncated))
    assert video_frame(video, index=3).data.shape == (48, 64, 3)


def test_a_frame_count_overstated_by_a_frame_is_not_an_error(make_video):
    honest = load_video(path=str(make_video("clip.avi", 20)))
    overstated = Video(honest.path, honest.fps, honest.frame_count + 1, honest.width, honest.height)
    assert len(list(overstated.frames())) == 20


def test_a_video_deleted_after_loading_gives_a_clear_error(make_video):
    path = make_video("clip.avi", 5)
    video = load_video(path=str(path))
    path.unlink()
    with pytest.raises(VideoDecodeError, match="moved or deleted"):
        next(video.frames())


def test_frames_are_rgb(tmp_path):
    import cv2

    path = tmp_path / "red.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (32, 32))
    for _ in range(3):
        writer.write(np.full((32, 32, 3), (0, 0, 255), np.uint8))  # red in BGR
    writer.release()
    frame = load_video(path=str(path)).read(0)
    assert frame[16, 16, 0] > 200 and frame[16, 16, 2] < 60
