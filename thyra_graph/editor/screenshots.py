"""Write PNGs of the editor after a run: ``python -m thyra_graph.editor.screenshots``.

Used by ``make screenshots`` (offscreen, no display needed) so people can see the editor
without running it: the whole window, the canvas, the properties and the preview.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def take(graph: Path, folder: Path, *, select: str | None = None, size: tuple[int, int] = (1800, 1000)) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if "THYRA_CACHE_DIR" not in os.environ:
        import tempfile

        # A fresh cache, so the badges show computed nodes with their times.
        os.environ["THYRA_CACHE_DIR"] = tempfile.mkdtemp(prefix="thyra-screenshots-")
    from PySide6 import QtWidgets

    from .main_window import MainWindow
    from .theme import apply_dark_theme

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    apply_dark_theme(app)
    window = MainWindow(config_dir=folder / ".editor-config")
    window.resize(*size)
    window.show()
    if not window.open_file(graph):
        raise SystemExit(f"cannot open {graph}")
    window.run()
    window.controller.wait(120_000)
    node = select or next(iter(window.document.graph.nodes))
    window.canvas.select([node])
    window.controller.wait(30_000)
    for _ in range(5):
        app.processEvents()
    window.canvas.fit()
    app.processEvents()
    folder.mkdir(parents=True, exist_ok=True)
    shots = {
        "editor.png": window, "canvas.png": window.canvas.widget,
        "properties.png": window.properties, "preview.png": window.preview,
    }
    written = []
    for name, widget in shots.items():
        path = folder / name
        widget.grab().save(str(path))
        written.append(path)
    window.document.undo_stack.mark_clean()
    window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path, nargs="?", default=Path("graphs/quickstart.yaml"))
    parser.add_argument("--out", type=Path, default=Path("out/screenshots"))
    parser.add_argument("--select", default="coins", help="the node whose properties and preview are shown")
    args = parser.parse_args(argv)
    for path in take(args.graph, args.out, select=args.select):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
