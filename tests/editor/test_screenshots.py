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


def test_the_results_picture_is_taken_when_the_editor_has_a_results_dock(scratch_env, tmp_path, monkeypatch):
    shown = []

    class WithResults(main_window.MainWindow):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            dock = QtWidgets.QDockWidget("Results", self)
            dock.setObjectName("Results")
            dock.setWidget(QtWidgets.QLabel("coins.count = 24"))
            self.addDockWidget(QtCore.Qt.BottomDockWidgetArea, dock)
            dock.hide()
            dock.visibilityChanged.connect(shown.append)

    monkeypatch.setattr(main_window, "MainWindow", WithResults)
    written = screenshots.take(REPO / "graphs" / "quickstart.yaml", tmp_path / "docs")
    assert [p.name for p in written] == ["editor.png", "results.png"]
    assert True in shown  # the dock was shown for the picture
