"""Batch test helpers: the batchkit test plugin, a graph over small text files."""

from __future__ import annotations

from pathlib import Path

import pytest

BATCH_PLUGINS = Path(__file__).resolve().parents[1] / "fixtures" / "batch_plugins"


@pytest.fixture
def batchkit(tmp_path, monkeypatch):
    """A registry with the batchkit nodes; worker processes and actors find them through the
    environment (THYRA_PLUGIN_PATH), and share this test's cache folder."""
    from thyra_graph.nodes.discovery import discover

    monkeypatch.setenv("THYRA_PLUGIN_PATH", str(BATCH_PLUGINS))
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    return discover(plugin_path=[BATCH_PLUGINS], user_plugins=False)
