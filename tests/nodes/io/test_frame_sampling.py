"""io.sample_frames: which frames a rate, a range and a cap select (no decoding involved)."""

from __future__ import annotations

import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.frame_sampling import sample_frames, stride_for_rate
from thyra_graph.types import Video


def clip(fps: float = 25.0, frames: int = 250) -> Video:
    # A handle on a file that does not exist: sampling must never touch the file.
    return Video("/nowhere/clip.mp4", fps=fps, frame_count=frames, width=64, height=48)


def test_sample_frames_defaults_keep_every_frame():
    assert sample_frames(clip()).indices == range(0, 250)


def test_sample_frames_every_n_keeps_every_nth_frame():
    assert list(sample_frames(clip(), every_n=10).indices) == list(range(0, 250, 10))


@pytest.mark.parametrize("fps, target, stride", [(25, 5, 5), (25, 10, 3), (30, 10, 3), (29.97, 10, 3), (25, 25, 1), (25, 1, 25)])
def test_target_fps_keeps_at_most_that_many_frames_per_second(fps, target, stride):
    assert stride_for_rate(fps, target) == stride
    frames = sample_frames(clip(fps=fps), target_fps=target)
    assert frames.indices.step == stride
    assert frames.effective_fps <= target + 1e-9


def test_target_fps_above_the_video_rate_keeps_all_frames_and_warns():
    ctx = Context.standalone("io.sample_frames")
    frames = sample_frames(clip(fps=10), target_fps=30, ctx=ctx)
    assert frames.indices.step == 1
    assert ctx.warnings and "10 fps" in ctx.warnings[0]


def test_max_frames_caps_the_count_after_the_rate():
    frames = sample_frames(clip(), every_n=4, max_frames=7)
    assert list(frames.indices) == [0, 4, 8, 12, 16, 20, 24]


def test_start_and_end_select_a_half_open_time_range():
    frames = sample_frames(clip(), start_s=2.0, end_s=4.0)
    assert frames.indices == range(50, 100)
    assert frames.time_of(frames.indices[0]) == pytest.approx(2.0)


def test_time_range_on_a_non_integer_frame_rate_rounds_to_the_next_frame():
    frames = sample_frames(clip(fps=29.97, frames=600), start_s=2.0, end_s=3.0)
    assert frames.indices[0] == 60 and frames.time_of(60) >= 2.0
    assert frames.time_of(frames.indices[-1]) < 3.0


def test_sampling_an_already_sampled_view_keeps_source_times_and_multiplies_strides():
    first = sample_frames(clip(), every_n=2)
    second = sample_frames(first, every_n=3, start_s=1.0, end_s=3.0)
    assert list(second.indices) == list(range(26, 75, 6))  # t in [1, 3) on the even-frame grid


def test_range_rate_and_cap_combine():
    frames = sample_frames(clip(), target_fps=5, start_s=1.0, max_frames=3)
    assert list(frames.indices) == [25, 30, 35]


def test_every_n_and_target_fps_together_are_refused():
    with pytest.raises(NodeError, match="either every_n .* or target_fps"):
        sample_frames(clip(), every_n=2, target_fps=5)


def test_end_before_start_is_refused():
    with pytest.raises(NodeError, match="end_s .* must be after start_s"):
        sample_frames(clip(), start_s=3, end_s=2)


def test_a_range_past_the_end_of_the_video_says_how_long_it_is():
    with pytest.raises(NodeError, match="run from 0.00 s to 9.96 s, and start_s=20 select none"):
        sample_frames(clip(), start_s=20)
