"""sim.render_waves: height snapshots become an MP4 that looks like water."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.sim.render_waves import render_waves
from thyra_graph.types import FieldSequence, Image, Video
from thyra_graph.engine.chunks import FieldSequenceWriter

ROWS, COLS, DX = 48, 64, 0.5


def travelling_waves(root, count: int = 12, fps: float = 10.0) -> FieldSequence:
    """A swell moving right at 4 m/s past a square rock."""
    y, x = (np.mgrid[0:ROWS, 0:COLS] + 0.5) * DX
    rock = np.zeros((ROWS, COLS), np.float32)
    rock[20:28, 36:44] = 1
    with FieldSequenceWriter(root, (ROWS, COLS), ["height"], dx=DX, dy=DX, static={"obstacle": rock},
                             meta={"fps": fps}) as writer:
        for i in range(count):
            t = i / fps
            h = 0.3 * np.cos(2 * math.pi / 6.0 * (x - 4.0 * t)) * (rock == 0)
            writer.append(t, i, {"height": h.astype(np.float32)})
        return writer.finish()


def render(frames: FieldSequence, path, image: Image | None = None, **params):
    values = dict(style="topdown", width=128, height=0, composite=1.0)
    values.update(params)
    return render_waves(frames, image, path=str(path), ctx=Context.standalone("sim.render_waves"), **values)


def read_frames(path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


@pytest.mark.parametrize("style, size", [("perspective", (128, 72)), ("topdown", (128, 96)), ("heightmap", (128, 96))])
def test_every_snapshot_becomes_one_frame_of_the_video(tmp_path, style, size):
    frames = travelling_waves(tmp_path / "fields")
    result = render(frames, tmp_path / "out" / "waves.mp4", style=style)
    video, written = result["video"], result["path"]
    assert isinstance(video, Video) and written.path == str(tmp_path / "out" / "waves.mp4")
    assert (video.width, video.height, video.frame_count, video.fps) == (*size, 12, 10.0)
    decoded = read_frames(written.path)
    assert len(decoded) == 12 and decoded[0].shape == (size[1], size[0], 3)
    assert np.abs(decoded[0].astype(int) - decoded[3].astype(int)).mean() > 2, "the waves do not move"
    assert sum(1 for _ in video.frames()) == 12, "the Video output does not stream the file"


def test_water_is_blue_green_and_rocks_are_not(tmp_path):
    frames = travelling_waves(tmp_path / "fields")
    first = read_frames(render(frames, tmp_path / "w.mp4", width=COLS * 2)["path"].path)[0].astype(float)
    rock = cv2.resize(frames.static["obstacle"], (COLS * 2, ROWS * 2), interpolation=cv2.INTER_NEAREST) > 0.5
    water = first[~rock].mean(axis=0)
    stone = first[cv2.erode(rock.astype(np.uint8), np.ones((5, 5))) > 0].mean(axis=0)
    assert water[2] > water[0] and water[1] > water[0], f"water is not blue-green: {water}"
    assert stone[0] > water[0] + 40, f"rocks do not stand out from the water: {stone} vs {water}"


def test_crests_are_lighter_than_troughs_in_the_heightmap(tmp_path):
    frames = travelling_waves(tmp_path / "fields")
    picture = read_frames(render(frames, tmp_path / "h.mp4", style="heightmap", width=COLS)["path"].path)[0]
    h = frames.at(0)["height"]
    bright = picture.astype(float).sum(axis=2)
    assert bright[h > 0.25].mean() > bright[h < -0.25].mean() + 100


def test_with_the_photo_the_first_frame_is_the_photo_and_the_simulation_takes_over(tmp_path):
    frames = travelling_waves(tmp_path / "fields", count=30)
    rng = np.random.default_rng(0)
    photo = cv2.resize(rng.integers(40, 200, (ROWS // 4, COLS // 4, 3), dtype=np.uint8), (COLS * 2, ROWS * 2))
    decoded = read_frames(render(frames, tmp_path / "c.mp4", Image(photo), width=COLS * 2, composite_fade=0.5)["path"].path)
    plain = read_frames(render(frames, tmp_path / "p.mp4", width=COLS * 2)["path"].path)
    assert np.abs(decoded[0].astype(int) - photo).mean() < 6, "the first frame is not the photo"
    assert np.abs(decoded[-1].astype(int) - plain[-1]).mean() < 6, "the photo did not hand over to the render"


def test_a_camera_looking_above_the_water_is_refused(tmp_path):
    with pytest.raises(NodeError, match="camera_elevation 15° must exceed half the field of view"):
        render(travelling_waves(tmp_path / "fields"), tmp_path / "v.mp4", style="perspective",
               camera_elevation=15.0, fov=40.0)


def test_an_unknown_video_suffix_is_refused(tmp_path):
    with pytest.raises(NodeError, match="end the path with one of .mp4"):
        render(travelling_waves(tmp_path / "fields"), tmp_path / "v.gif")


def test_a_file_thyra_did_not_write_is_not_overwritten(tmp_path):
    target = tmp_path / "mine.mp4"
    target.write_bytes(b"precious")
    with pytest.raises(NodeError, match="were not written by Thyra"):
        render(travelling_waves(tmp_path / "fields"), target)
    assert target.read_bytes() == b"precious"


def test_deleted_snapshots_are_reported_as_a_node_error(tmp_path):
    frames = travelling_waves(tmp_path / "fields")
    for path in frames.chunk_paths():
        path.unlink()
    with pytest.raises(NodeError, match="deleted or moved after the solve"):
        render(frames, tmp_path / "v.mp4")
