"""Write the README's subgraph picture: ``python -m thyra_graph.editor.subgraph_screenshot``.

Copies graphs/quickstart.yaml into a scratch folder (it finds its sample from anywhere),
makes a subgraph of gray/blur/threshold there (its library is a scratch folder too, so your
own library is not touched), runs it, and saves the window with the subgraph node selected
(``subgraph.png``) and the window inside the subgraph (``subgraph_inside.png``), as
palette PNGs (:func:`screenshots.save_png`). ``make screenshots`` runs it too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .screenshots import REPO, save_png, settle


def take(folder: Path, *, size: tuple[int, int] = (1600, 900)) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="thyra-subgraph-shot-"))
    os.environ["THYRA_LIBRARY"] = str(scratch / "library")
    os.environ["THYRA_CACHE_DIR"] = str(scratch / "cache")
    (scratch / "library").mkdir()
    (scratch / "graphs").mkdir()
    shutil.copy(REPO / "graphs" / "quickstart.yaml", scratch / "graphs")
    from PySide6 import QtWidgets

    from .main_window import MainWindow
    from .theme import apply_dark_theme

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    apply_dark_theme(app)
    window = MainWindow(config_dir=scratch / "config")
    window.resize(*size)
    window.show()
    try:
        if not window.open_file(scratch / "graphs" / "quickstart.yaml"):
            raise SystemExit("cannot open the quickstart copy")
        window.canvas.select(["gray", "blur", "threshold"])
        window.prompter.ask_text = lambda *args: "coin_mask"  # the name the dialog would ask for
        window.prompter.error = _fail  # a modal dialog would wait forever offscreen
        instance = window.subgraphs.make()
        if instance is None:
            raise SystemExit("making the subgraph failed")
        window.run(["coins.count"])
        window.controller.wait(120_000)
        window.canvas.select([instance])
        window.controller.wait(30_000)
        folder.mkdir(parents=True, exist_ok=True)
        written = [_grab(app, window, folder / "subgraph.png")]
        window.subgraphs.enter(instance)
        written.append(_grab(app, window, folder / "subgraph_inside.png"))
        return written
    finally:
        window.document.undo_stack.mark_clean()
        for document, _ in window.subgraphs.stack:
            document.undo_stack.mark_clean()
        window.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _fail(title: str, text: str) -> None:
    raise SystemExit(f"{title}: {text}")


def _grab(app, window, path: Path) -> Path:
    settle(app)
    window.canvas.fit()
    settle(app, window)
    return save_png(window, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args(argv)
    for path in take(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
