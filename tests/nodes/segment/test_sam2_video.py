"""segment.sam2_video: prompts, chunked streaming, object ids, re-prompting and bad input.

The chunking logic is specified with a stand-in tracker whose answers are known (it repeats each
object's last mask); the real backends run the same node end to end with the tiny models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thyra_graph.nodes.models.loading import ModelIdentity

import thyra_graph
from thyra_graph.engine.context import Cancelled, Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.engine.resources import ResourceCache
from thyra_graph.nodes.segment import sam2_video as node_module
from thyra_graph.nodes.segment.sam2_video import sam2_video
from thyra_graph.nodes.segment.sam2_video_backends import TrackedFrame
from thyra_graph.types import Boxes, FrameSeries, Instances, Points, Video

BIKES = Path(thyra_graph.__file__).parent / "samples" / "bikes.mp4"
WIDTH, HEIGHT = 64, 48


def disc_frame(index: int) -> np.ndarray:
    """A bright disc moving right by 2 pixels a frame over a dark background (RGB)."""
    yy, xx = np.mgrid[:HEIGHT, :WIDTH]
    frame = np.full((HEIGHT, WIDTH, 3), 25, np.uint8)
    frame[(yy - 24) ** 2 + (xx - (12 + 2 * index)) ** 2 < 8 ** 2] = (230, 210, 90)
    return frame


def write_disc_video(path: Path, count: int) -> Video:
    import cv2

    from thyra_graph.nodes.io.video_files import load_video

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (WIDTH, HEIGHT))
    for index in range(count):
        writer.write(cv2.cvtColor(disc_frame(index), cv2.COLOR_RGB2BGR))
    writer.release()
    return load_video(path=str(path))


@pytest.fixture
def disc_video(tmp_path) -> Video:
    return write_disc_video(tmp_path / "disc.avi", 12)


class RepeatingTracker:
    """A stand-in tracker with known answers: a prompted object's mask is its mask prompt, or a
    square around its first point / its box; on other frames each object keeps its last mask."""

    key, device = "fake", "cpu"

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def track(self, frames, prompts):
        self.calls.append({"length": len(frames), "prompts": {i: [p.object_id for p in ps] for i, ps in prompts.items()},
                           "mask_prompts": {i: [p.object_id for p in ps if p.mask is not None] for i, ps in prompts.items()}})
        if not prompts:
            return
        height, width = frames[0].shape[:2]
        current: dict[int, np.ndarray] = {}
        for index in range(min(prompts), len(frames)):
            for prompt in prompts.get(index, ()):
                current[prompt.object_id] = self._mask(prompt, height, width)
            ids = list(current)
            yield TrackedFrame(index, ids, np.stack([current[i] for i in ids]), np.full(len(ids), 0.9, np.float32))

    @staticmethod
    def _mask(prompt, height, width) -> np.ndarray:
        if prompt.mask is not None:
            return prompt.mask.copy()
        mask = np.zeros((height, width), bool)
        if prompt.box is not None:
            x0, y0, x1, y1 = (int(v) for v in prompt.box)
        else:
            x, y = (int(v) for v in prompt.points[0])
            x0, y0, x1, y1 = x - 3, y - 3, x + 4, y + 4
        mask[max(y0, 0):y1, max(x0, 0):x1] = True
        return mask


@pytest.fixture
def fake_tracker(monkeypatch) -> RepeatingTracker:
    tracker = RepeatingTracker()
    monkeypatch.setattr(node_module, "load_tracker", lambda ctx, **_: tracker)
    return tracker


def object_ids(item: Instances) -> list[int]:
    return [entry["object"] for entry in item.extra]


def centre_x(item: Instances, object_id: int) -> float:
    mask = item.masks[object_ids(item).index(object_id)]
    return float(np.flatnonzero(mask.any(axis=0)).mean())


# -- the node's logic, with known answers ------------------------------------------------------------
def test_forward_gives_every_frame_from_the_first_prompt_in_order(fake_tracker, disc_video):
    series = sam2_video(disc_video, prompts=[{"frame": 3, "object": 1, "points": [[20, 24, 1]]}], chunk_frames=4,
                        direction="forward")
    assert isinstance(series, FrameSeries) and series.item_type is Instances
    assert list(series.frames) == list(range(3, 12))
    assert list(series.times) == pytest.approx([i / 10 for i in range(3, 12)])
    assert all(object_ids(item) == [1] for _, _, item in series)


def test_chunks_overlap_by_one_frame_and_carry_each_object_as_a_mask(fake_tracker, disc_video):
    sam2_video(disc_video, prompts=[{"frame": 0, "object": 1, "points": [[20, 24, 1]]},
                                    {"frame": 0, "object": 2, "box": [40, 5, 60, 20]}], chunk_frames=5)
    # 12 frames in chunks of 5 sharing their boundary frame: 0-4, 4-8, 8-11.
    assert [call["length"] for call in fake_tracker.calls] == [5, 5, 4]
    assert fake_tracker.calls[0]["mask_prompts"] == {0: []}
    assert fake_tracker.calls[1]["mask_prompts"] == {0: [1, 2]}
    assert fake_tracker.calls[2]["mask_prompts"] == {0: [1, 2]}


def test_chunk_boundaries_change_neither_the_ids_nor_the_masks(fake_tracker, disc_video):
    prompts = [{"frame": 0, "object": 7, "points": [[20, 24, 1]]}, {"frame": 2, "object": 3, "box": [40, 5, 60, 20]}]
    small = sam2_video(disc_video, prompts=prompts, chunk_frames=3)
    whole = sam2_video(disc_video, prompts=prompts, chunk_frames=100)
    assert list(small.frames) == list(whole.frames)
    for (_, _, a), (_, _, b) in zip(small, whole):
        assert object_ids(a) == object_ids(b) and list(a.class_ids) == list(b.class_ids)
        np.testing.assert_array_equal(a.masks, b.masks)
    assert object_ids(whole.at(0)) == [7] and object_ids(whole.at(5)) == [7, 3]


def test_an_object_appears_from_its_first_prompt_on(fake_tracker, disc_video):
    series = sam2_video(disc_video, prompts=[{"frame": 0, "object": 1, "points": [[20, 24, 1]]},
                                             {"frame": 6, "object": 2, "points": [[50, 10, 1]]}], chunk_frames=4)
    assert all(object_ids(series.at(f)) == [1] for f in range(6))
    assert all(object_ids(series.at(f)) == [1, 2] for f in range(6, 12))


def test_a_later_prompt_corrects_the_object_from_that_frame_on(fake_tracker, disc_video):
    first = {"frame": 0, "object": 1, "points": [[20, 24, 1]]}
    plain = sam2_video(disc_video, prompts=[first], chunk_frames=4)
    corrected = sam2_video(disc_video, prompts=[first, {"frame": 5, "object": 1, "points": [[40, 24, 1]]}], chunk_frames=4)
    for frame in range(5):
        np.testing.assert_array_equal(plain.at(frame).masks, corrected.at(frame).masks)
    for frame in range(5, 12):
        assert centre_x(plain.at(frame), 1) == pytest.approx(20)
        assert centre_x(corrected.at(frame), 1) == pytest.approx(40)


def test_points_and_boxes_inputs_prompt_the_first_frame(fake_tracker, disc_video):
    series = sam2_video(disc_video, Points([[20, 24]]), Boxes([[40, 5, 60, 20], [2, 2, 10, 10]]), chunk_frames=4)
    assert object_ids(series.at(0)) == [1, 2, 3]
    assert fake_tracker.calls[0]["prompts"] == {0: [1, 2, 3]}


def test_frames_are_those_of_the_video_view_and_max_frames_limits_them(fake_tracker, disc_video):
    every_third = disc_video.view(stride=3)  # frames 0, 3, 6, 9
    series = sam2_video(every_third, prompts=[{"frame": 3, "object": 1, "points": [[20, 24, 1]]}], max_frames=2,
                        direction="forward")
    assert list(series.frames) == [3, 6]
    both = sam2_video(every_third, prompts=[{"frame": 3, "object": 1, "points": [[20, 24, 1]]}], max_frames=2)
    assert list(both.frames) == [0, 3, 6]


def test_both_directions_follow_the_object_back_to_the_first_frame_chunk_by_chunk(fake_tracker, disc_video):
    prompt = {"frame": 7, "object": 1, "points": [[20, 24, 1]]}
    series = sam2_video(disc_video, prompts=[prompt], chunk_frames=4)
    series.validate()
    assert list(series.frames) == list(range(12))
    assert all(object_ids(item) == [1] for _, _, item in series)
    # Backwards: frames 7..4, then 4..1 (from frame 4's mask), then 1..0; each fed in reverse.
    backward = fake_tracker.calls[:3]
    assert [call["length"] for call in backward] == [4, 4, 2]
    assert backward[0]["prompts"] == {0: [1]} and backward[0]["mask_prompts"] == {0: []}  # the click itself
    assert backward[1]["mask_prompts"] == {0: [1]} and backward[2]["mask_prompts"] == {0: [1]}
    # Then forwards from frame 7 as before: frames 7..10, 10..11.
    assert [call["length"] for call in fake_tracker.calls[3:]] == [4, 2]
    # The stand-in tracker keeps the clicked square, so every frame holds the same mask.
    assert all(np.array_equal(item.masks, series.at(7).masks) for _, _, item in series)


def test_an_object_hidden_at_a_chunk_boundary_starts_the_next_chunk_from_where_it_was_last_seen(
        fake_tracker, disc_video, monkeypatch):
    original = RepeatingTracker.track
    first_chunk_masks = {}

    def hiding(self, frames, prompts):
        for tracked in original(self, frames, prompts):
            if len(self.calls) == 1:
                if tracked.index == len(frames) - 1:
                    tracked.masks[:] = False  # the object is hidden on the first chunk's last frame
                else:
                    first_chunk_masks[tracked.index] = tracked.masks[0].copy()
            yield tracked

    monkeypatch.setattr(RepeatingTracker, "track", hiding)
    series = sam2_video(disc_video, prompts=[{"frame": 0, "object": 1, "points": [[20, 24, 1]]}], chunk_frames=4)
    assert list(series.frames) == list(range(12))
    # Hidden on frame 3 only; the stand-in tracker finds it again from its last mask (frame 2).
    assert [len(series.at(f)) for f in range(12)] == [1, 1, 1, 0] + [1] * 8
    second = fake_tracker.calls[1]
    # Frame 2 (last seen) goes in front of the chunk [3, 4, 5, 6] with the object's mask as its prompt.
    assert second["length"] == 5 and second["mask_prompts"] == {0: [1]}
    assert np.array_equal(series.at(4).masks[0], first_chunk_masks[2])
    # Once seen again it starts later chunks from their first frame, with no extra frame.
    assert fake_tracker.calls[2]["length"] == 4 and fake_tracker.calls[2]["mask_prompts"] == {0: [1]}


def test_progress_is_reported_per_frame_and_cancellation_stops_the_run(fake_tracker, disc_video):
    import threading

    seen = []
    cancel = threading.Event()

    def on_progress(node, done, total, message):
        seen.append((done, total))
        if done == 3:
            cancel.set()

    ctx = Context("track", "segment.sam2_video", cancel_event=cancel, on_progress=on_progress, resources=ResourceCache())
    with pytest.raises(Cancelled):
        sam2_video(disc_video, prompts=[{"frame": 0, "object": 1, "points": [[20, 24, 1]]}], chunk_frames=4, ctx=ctx)
    assert seen[:3] == [(1, 12), (2, 12), (3, 12)]


def test_a_video_that_stops_decoding_keeps_its_frames_and_warns_naming_the_frame(fake_tracker, tmp_path):
    from dataclasses import replace

    whole = write_disc_video(tmp_path / "short.avi", 10)
    # The container promises 30 frames but only 10 decode: as a truncated download looks.
    truncated = replace(whole, frame_count=30)
    ctx = Context("track", "segment.sam2_video", resources=ResourceCache())
    series = sam2_video(truncated, prompts=[{"frame": 0, "object": 1, "points": [[20, 24, 1]]}], chunk_frames=4, ctx=ctx)
    assert list(series.frames) == list(range(10))
    assert len(ctx.warnings) == 1 and "frame 10" in ctx.warnings[0] and "kept the 10 frames" in ctx.warnings[0]


def test_a_video_that_fails_before_any_frame_is_an_error(fake_tracker, tmp_path):
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"not a video at all" * 100)
    video = Video(str(broken), 10.0, 30, WIDTH, HEIGHT)
    with pytest.raises(NodeError, match="tracked no frame.*broken.avi"):
        sam2_video(video, prompts=[{"frame": 0, "object": 1, "points": [[20, 24, 1]]}])


@pytest.mark.parametrize("prompts, message", [
    ([], "nothing to follow"),
    ([{"frame": 0, "object": 1, "points": [[200, 24, 1]]}], r"\(200, 24\), outside the 64×48 frame"),
    ([{"frame": 0, "object": 1, "box": [10, 10, 5, 20]}], "x1 > x0"),
    ([{"frame": 40, "object": 1, "points": [[20, 24, 1]]}], "frame 40, which this video does not process .frames 0 to 11"),
    ([{"frame": 0, "object": 0, "points": [[20, 24, 1]]}], "object must be an id >= 1"),
    ([{"frame": 0, "object": 1}], "neither points nor a box"),
    ([{"frame": 0, "object": 1, "points": [[20, 24, 2]]}], "label 1 or 0"),
    ([{"frame": 0, "objects": 1, "points": [[20, 24]]}], "unknown keys objects"),
    ([{"frame": 0, "object": 1, "points": [[1, 1]]}, {"frame": 0, "object": 1, "points": [[2, 2]]}], "two prompts on frame 0"),
])
def test_bad_prompts_are_refused_with_a_message_naming_the_problem(fake_tracker, disc_video, prompts, message):
    with pytest.raises(NodeError, match=message):
        sam2_video(disc_video, prompts=prompts)


# -- both real backends, tiny models -----------------------------------------------------------------
def test_both_backends_track_a_moving_disc_across_chunks(backend_params, disc_video, sam2_ctx):
    prompts = [{"frame": 0, "object": 1, "points": [[12, 24, 1]]}, {"frame": 0, "object": 2, "box": [30, 5, 60, 40]}]
    series = sam2_video(disc_video, prompts=prompts, chunk_frames=3, max_frames=5, ctx=sam2_ctx, **backend_params)
    series.validate()
    assert list(series.frames) == list(range(5))
    for _, _, item in series:
        assert item.shape == (HEIGHT, WIDTH)
        # The tiny models always score the object present (tests/tiny_models/sam2.py), so both
        # objects are followed through every frame, across the chunk boundaries.
        assert object_ids(item) == [1, 2] and list(item.class_ids) == [1, 2]
        assert ((item.scores >= 0) & (item.scores <= 1)).all()


def test_both_backends_follow_an_object_clicked_mid_video_back_to_the_first_frame(backend_params, disc_video,
                                                                                   sam2_ctx):
    prompts = [{"frame": 4, "object": 1, "points": [[24, 24, 1]]}]
    series = sam2_video(disc_video, prompts=prompts, chunk_frames=3, max_frames=3, ctx=sam2_ctx, **backend_params)
    series.validate()
    assert list(series.frames) == list(range(7))  # 4 frames back (0-3), the clicked one, 2 after
    assert all(object_ids(item) == [1] for _, _, item in series)


def test_a_reprompt_changes_the_real_models_masks_from_its_frame(backend_params, disc_video, sam2_ctx):
    first = {"frame": 0, "object": 1, "box": [4, 16, 20, 32]}
    plain = sam2_video(disc_video, prompts=[first], chunk_frames=4, max_frames=6, ctx=sam2_ctx, **backend_params)
    again = sam2_video(disc_video, prompts=[first, {"frame": 3, "object": 1, "box": [30, 2, 62, 46]}],
                       chunk_frames=4, max_frames=6, ctx=sam2_ctx, **backend_params)
    if backend_params["backend"] == "transformers":
        # Meta's predictor attends to every prompted frame of the chunk, later ones included, so
        # there a correction on frame 3 may also move frames 0-2 of the same chunk.
        for frame in range(3):
            np.testing.assert_array_equal(plain.at(frame).masks, again.at(frame).masks)
    assert any(plain.at(f).masks.shape != again.at(f).masks.shape or (plain.at(f).masks != again.at(f).masks).any()
               for f in range(3, 6))


def test_transformers_backend_runs_on_the_bikes_sample(transformers_params, sam2_ctx):
    from thyra_graph.nodes.io.video_files import load_video

    video = load_video(path=str(BIKES)).view(stop=4)
    series = sam2_video(video, Points([[video.width / 2, video.height / 2]]), chunk_frames=3, ctx=sam2_ctx,
                        **transformers_params)
    assert list(series.frames) == [0, 1, 2, 3]
    assert all(item.shape == (video.height, video.width) for _, _, item in series)


def test_unload_frees_the_model(transformers_params, disc_video, sam2_ctx):
    sam2_video(disc_video, prompts=[{"frame": 0, "object": 1, "points": [[12, 24, 1]]}], max_frames=2,
               unload=True, ctx=sam2_ctx, **transformers_params)
    assert not [key for key in sam2_ctx.resources.keys() if isinstance(key, ModelIdentity) and key.kind == "sam2_video"]
