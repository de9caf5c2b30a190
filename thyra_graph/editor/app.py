"""Starting the editor: the Qt application, the window, and errors that never close it."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path


def run_editor(path: str | Path | None = None) -> int:
    from PySide6 import QtWidgets

    from .main_window import MainWindow
    from .theme import apply_dark_theme

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Thyra")
    apply_dark_theme(app)
    window = MainWindow()

    def report(kind, value, tb) -> None:
        # A bug in a slot must not end the session (and lose unsaved work): show it, go on.
        text = "".join(traceback.format_exception(kind, value, tb))
        print(text, file=sys.stderr)
        window.autosave()
        window.add_problem(f"internal error: {kind.__name__}: {value} (details on the console)")
        window.show_message(f"internal error: {value}")

    sys.excepthook = report
    window.show()
    if path is not None:
        window.open_file(path)
    else:
        window.offer_untitled_recovery()
    return app.exec()
