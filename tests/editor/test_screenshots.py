"""``make screenshots`` (thyra_graph/editor/screenshots.py) writes the README's pictures: the
quickstart at first open, after a run with the results panel (when the editor has one), and
a subgraph; small palette PNGs."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PIL import Image  # noqa: E402
from PySide6 import QtCore, QtWidgets  # noqa: E402

from thyra_graph.editor import main_window, screenshots  # noqa: E402

from .conftest import REPO  # noqa: E402


@pytest.fixture
def scratch_env(monkeypatch, tmp_path):
    # The scripts set these for themselves; the test gives them back afterwards.
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("THYRA_LIBRARY", str(tmp_path / "library"))


def test_the_readme_pictures_are_written_as_small_palette_pngs(scratch_env, tmp_path):
    assert screenshots.main([str(REPO / "graphs" / "quickstart.yaml"), "--out", str(tmp_path / "docs")]) == 0
    for name in ("editor.png", "subgraph.png", "subgraph_inside.png"):
        path = tmp_path / "docs" / name
        with Image.open(path) as image:
            assert image.size == screenshots.SIZE
            assert image.mode == "P"  # 256 colours
        assert path.stat().st_size < 250_000


def test_the_results_picture_shows_the_editors_results_panel_after_a_run(scratch_env, tmp_path, monkeypatch):
    seen = []

    class Watched(main_window.MainWindow):
        def close(self):  # what the results panel held when the picture was taken
            dock = screenshots.results_dock(self)
            seen.append((dock is not None and dock.isVisible(), self.results_panel_text()))
            return super().close()

        def results_panel_text(self) -> str:
            dock = screenshots.results_dock(self)
            return " ".join(w.text() for w in dock.findChildren(QtWidgets.QLabel)) + " ".join(
                item.text() for table in dock.findChildren(QtWidgets.QTableWidget)
                for row in range(table.rowCount()) for col in range(table.columnCount())
                if (item := table.item(row, col)) is not None)

    monkeypatch.setattr(main_window, "MainWindow", Watched)
    written = screenshots.take(REPO / "graphs" / "quickstart.yaml", tmp_path / "docs")
    assert [p.name for p in written] == ["editor.png", "results.png"]
    visible, text = seen[-1]
    assert visible  # the panel was shown for the picture
    assert "coins.count" in text and "24" in text
