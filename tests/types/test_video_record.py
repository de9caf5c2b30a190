"""Video's record (thyra_graph.types.video): the handle is stored, never the frames."""

from __future__ import annotations

import json

import pytest

from thyra_graph.types import Video


@pytest.mark.parametrize("video", [
    Video("clips/birds.mp4", 29.97, 300, 640, 360),
    Video("C:/data/run 1.avi", 25.0, 1000, 1920, 1080, start=100, stop=900, stride=4),
    Video("clip.mp4", 30.0, 0, 0, 0, stop=None),
], ids=["whole", "view", "empty"])
def test_video_round_trips_as_metadata_only(video, roundtrip):
    meta, arrays = video.to_record()
    assert arrays == {}
    json.dumps(meta)
    assert roundtrip(video) == video


def test_a_record_needs_no_file_on_disk(tmp_path, roundtrip):
    missing = Video(str(tmp_path / "gone.mp4"), 24.0, 48, 32, 32, stride=2)
    assert roundtrip(missing) == missing


def test_video_validate_refuses_a_zero_stride_and_negative_sizes():
    with pytest.raises(ValueError, match="stride must be >= 1"):
        Video("a.mp4", 25.0, 10, 4, 4, stride=0).validate()
    with pytest.raises(ValueError, match="non-negative"):
        Video("a.mp4", -1.0, 10, 4, 4).validate()


def test_video_summary_is_json_and_nbytes_is_small():
    video = Video("a.mp4", 30.0, 300, 64, 48, stride=3)
    assert json.loads(json.dumps(video.summary())) == {"path": "a.mp4", "frames": 100, "fps": 10.0, "size": [64, 48]}
    assert 0 < video.nbytes() < 1024
