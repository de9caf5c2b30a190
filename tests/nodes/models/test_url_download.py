"""Meta's checkpoints come over plain HTTP: a download resumes from what an earlier try left
(with Range), is checked against its SHA-256, and only a complete, matching file gets its name."""

from __future__ import annotations

import hashlib

import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.models.url_download import fetch, partial_path, recorded_sha256

NAME = "sam2.1_hiera_tiny.pt"
PATH = f"segment_anything_2/092824/{NAME}"


@pytest.fixture
def url(fake_hub):
    fake_hub.requests.clear()
    fake_hub.cut_after.clear()
    return f"{fake_hub.url}/{PATH}"


def published(fake_hub) -> bytes:
    return fake_hub.loose[PATH].path.read_bytes()


def test_a_download_cut_short_keeps_its_bytes_aside_and_the_next_one_resumes(fake_hub, url, tmp_path):
    target = tmp_path / NAME
    fake_hub.cut_after[NAME] = 300_000
    with pytest.raises(NodeError, match="the next pull continues from there"):
        fetch(url, target, retries=0)
    assert not target.exists() and partial_path(target).stat().st_size == 300_000

    sha = hashlib.sha256(published(fake_hub)).hexdigest()
    assert fetch(url, target, sha256=sha) == target
    assert target.read_bytes() == published(fake_hub) and not partial_path(target).exists()
    assert [r[2] for r in fake_hub.requests if r[0] == "GET"] == ["", "bytes=300000-"]
    assert recorded_sha256(target) == sha


def test_a_dropped_connection_is_retried_from_where_it_stopped(fake_hub, url, tmp_path):
    fake_hub.cut_after[NAME] = 100_000
    target = fetch(url, tmp_path / NAME)
    assert target.read_bytes() == published(fake_hub)
    assert [r[2] for r in fake_hub.requests if r[0] == "GET"] == ["", "bytes=100000-"]


def test_a_file_that_does_not_match_the_published_sha256_is_not_kept(url, tmp_path):
    target = tmp_path / NAME
    with pytest.raises(NodeError, match="is not the published"):
        fetch(url, target, sha256="0" * 64)
    assert not target.exists() and not partial_path(target).exists()


def test_a_missing_file_and_a_down_server_are_clear_errors(fake_hub, tmp_path):
    with pytest.raises(NodeError, match="answered 404"):
        fetch(f"{fake_hub.url}/segment_anything_2/092824/nope.pt", tmp_path / "nope.pt")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NodeError, match="failed after 2 tries"):
        fetch(f"http://127.0.0.1:{port}/{PATH}", tmp_path / NAME, retries=1)
    assert not (tmp_path / NAME).exists()
