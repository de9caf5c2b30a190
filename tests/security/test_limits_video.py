"""A video whose container declares giant frames is refused before any frame is decoded."""

from __future__ import annotations

import sys

import pytest
from hostile_files import refused_in_fresh_process, y4m_bomb

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.io.video_files import load_video


@pytest.mark.skipif(sys.platform == "win32", reason="peak memory is read with the resource module")
def test_a_forged_frame_size_is_refused_naming_the_file_within_bounded_memory(tmp_path):
    bomb = y4m_bomb(tmp_path / "bomb.y4m")  # 15000×15000: 675 MB per RGB frame
    message, peak_mb = refused_in_fresh_process(
        f"from thyra_graph.nodes.io.video_files import load_video\nload_video(path={str(bomb)!r})")
    assert str(bomb) in message and "15000×15000" in message and "THYRA_MAX_VIDEO_PIXELS" in message
    assert peak_mb < 300


def test_the_video_limit_follows_its_environment_variable(tmp_path, monkeypatch):
    small = y4m_bomb(tmp_path / "small.y4m", side=64)
    monkeypatch.setenv("THYRA_MAX_VIDEO_PIXELS", "1000")
    with pytest.raises(NodeError, match=r"small\.y4m.*64×64.*over the limit"):
        load_video(path=str(small))
    monkeypatch.setenv("THYRA_MAX_VIDEO_PIXELS", "0")  # lifted: the next check speaks (no whole frame)
    with pytest.raises(NodeError, match="reports no frames"):
        load_video(path=str(small))
