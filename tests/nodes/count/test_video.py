"""count.video: a count per sampled frame, as a table and a chart, streaming the video."""

from __future__ import annotations

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.video import count_video
from thyra_graph.types import Image, Table, Video

from .conftest import disc_image

FPS = 10.0


@pytest.fixture(scope="module")
def dotted_video(tmp_path_factory):
    """12 frames; frame i shows i + 1 bright dots (MJPG, so compression noise is real)."""
    import cv2

    path = tmp_path_factory.mktemp("video") / "dots.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (160, 120))
    for index in range(12):
        centres = [(15 + 26 * (k % 6), 20 + 40 * (k // 6)) for k in range(index + 1)]
        writer.write(cv2.cvtColor(disc_image(centres, radius=4, noise=2, seed=index), cv2.COLOR_GRAY2BGR))
    writer.release()
    return Video(str(path), fps=FPS, frame_count=12, width=160, height=120)


def test_every_frame_is_counted_with_its_index_and_time(dotted_video):
    result = count_video(dotted_video, method="blobs", every_n=1, max_frames=None, min_size=4, max_size=12,
                         threshold=5.0, polarity="bright")
    table = result["counts"]
    assert isinstance(table, Table) and table.names == ["frame", "time", "count"]
    assert table["frame"].tolist() == list(range(12))
    np.testing.assert_allclose(table["time"], np.arange(12) / FPS)
    assert table["count"].tolist() == list(range(1, 13))


def test_sampling_every_third_frame_up_to_a_cap(dotted_video):
    table = count_video(dotted_video, method="clumps", every_n=3, max_frames=3, min_size=4, max_size=12,
                        threshold=5.0, polarity="auto")["counts"]
    assert table["frame"].tolist() == [0, 3, 6]
    assert table["count"].tolist() == [1, 4, 7]


def test_the_plot_is_a_picture_with_a_line_on_it(dotted_video):
    plot = count_video(dotted_video, method="blobs", every_n=1, max_frames=None, min_size=4, max_size=12,
                       threshold=5.0, polarity="bright")["plot"]
    assert isinstance(plot, Image) and plot.data.shape == (400, 800, 3) and plot.data.dtype == np.uint8
    line_blue = (plot.data[:, :, 2] > 180) & (plot.data[:, :, 0] < 80)
    assert line_blue.sum() > 500


def test_a_video_view_with_no_frames_is_refused(dotted_video):
    with pytest.raises(NodeError, match="no frames"):
        count_video(dotted_video.view(start=12), method="blobs", every_n=1, max_frames=None, min_size=4,
                    max_size=12, threshold=5.0, polarity="auto")
