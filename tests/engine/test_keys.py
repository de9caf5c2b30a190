"""File fingerprints: what a source node read decides whether its cached result is still good."""

from __future__ import annotations

import os

from thyra_graph.engine.keys import file_fingerprint


def test_a_glob_pattern_is_fingerprinted_by_the_files_it_matches(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"1")
    pattern = tmp_path / "*.jpg"
    first = file_fingerprint(pattern)
    assert first.startswith("glob:") and file_fingerprint(pattern) == first
    (tmp_path / "notes.txt").write_text("not matched")
    assert file_fingerprint(pattern) == first
    (tmp_path / "b.jpg").write_bytes(b"2")
    second = file_fingerprint(pattern)
    assert second != first
    os.utime(tmp_path / "a.jpg", ns=(1, 1))
    assert file_fingerprint(pattern) != second


def test_a_missing_plain_path_is_still_missing(tmp_path):
    assert file_fingerprint(tmp_path / "gone.png") == f"missing:{tmp_path / 'gone.png'}"
