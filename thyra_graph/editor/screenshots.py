"""Write the README's pictures of the editor: ``python -m thyra_graph.editor.screenshots``.

``make screenshots`` runs it on Qt's offscreen platform (no display needed) and writes into
``docs/``, which the README shows:

- ``editor.png``: ``graphs/quickstart.yaml`` as it first opens (the readable first view, the
  minimap in the corner), nothing run yet;
- ``results.png``: the same window after a run, ``coins`` selected (its preview), and the
  results panel (the dock whose object name is ``results``) showing the graph's outputs;
  skipped with a note when this editor has no such dock;
- ``subgraph.png``: a subgraph made from three quickstart nodes
  (:mod:`thyra_graph.editor.subgraph_screenshot`).

Every window gets a scratch config folder (the user's remembered layout does not leak into
the pictures) and a scratch cache (so the badges show computed nodes with their times). The
PNGs are reduced to a 256-colour palette: a fifth of the size, no visible loss on a UI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SIZE = (1600, 900)


def save_png(widget, path: Path) -> Path:
    """Grab ``widget`` into an optimised palette PNG at ``path``."""
    import io

    from PIL import Image
    from PySide6 import QtCore

    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.WriteOnly)
    widget.grab().save(buffer, "PNG")
    pixels = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels.quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def settle(app, window=None, rounds: int = 5) -> None:
    """Let pending paints happen; the minimap redraws on a timer, so it is refreshed at once."""
    for _ in range(rounds):
        app.processEvents()
    if window is not None:
        window.minimap.refresh()
        app.processEvents()


def results_dock(window):
    """The results panel's dock, when this editor has one (found by its object name)."""
    from PySide6 import QtWidgets

    return next((d for d in window.findChildren(QtWidgets.QDockWidget) if d.objectName().lower() == "results"), None)


def take(graph: Path, folder: Path, *, select: str = "coins", size: tuple[int, int] = SIZE) -> list[Path]:
    """The quickstart at first open and after a run; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="thyra-screenshots-"))
    os.environ["THYRA_CACHE_DIR"] = str(scratch / "cache")
    # A copy runs as it is anywhere (samples: paths); its files go into the scratch folder.
    shutil.copy(graph, scratch / graph.name)
    from PySide6 import QtCore, QtWidgets

    from .main_window import MainWindow
    from .theme import apply_dark_theme

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    apply_dark_theme(app)
    window = MainWindow(config_dir=scratch / "config")
    window.resize(*size)
    window.show()
    written = []
    try:
        if not window.open_file(scratch / graph.name):
            raise SystemExit(f"cannot open {graph}")
        settle(app, window)
        written.append(save_png(window, folder / "editor.png"))

        dock = results_dock(window)
        window.run()
        window.controller.wait(120_000)
        settle(app)
        window.canvas.select([select])
        window.controller.wait(30_000)
        settle(app)
        if dock is None:
            print("this editor has no results panel (a dock named 'results'): results.png not taken", file=sys.stderr)
        else:
            dock.show()
            dock.raise_()
            window.resizeDocks([dock], [170], QtCore.Qt.Vertical)  # a few rows of outputs in view
            settle(app, window)
            written.append(save_png(window, folder / "results.png"))
    finally:
        window.document.undo_stack.mark_clean()
        window.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path, nargs="?", default=REPO / "graphs" / "quickstart.yaml")
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--select", default="coins", help="the node whose properties and preview are shown after the run")
    parser.add_argument("--no-subgraph", action="store_true", help="skip the subgraph picture")
    args = parser.parse_args(argv)
    written = take(args.graph, args.out, select=args.select)
    if not args.no_subgraph:
        from .subgraph_screenshot import take as take_subgraph

        written += take_subgraph(args.out)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
