"""Real input: the editor on an X display (Xvfb, Qt's ``xcb`` platform), driven with QTest
mouse and key events on the canvas view's viewport, as a user's mouse would.

When ``make test`` already runs under Xvfb (DISPLAY set, QT_QPA_PLATFORM=xcb) that display is
used; otherwise a private Xvfb is started here, on a display number it picks itself
(``-displayfd``), before Qt starts. The platform is per process, so a session that collects
these tests runs its other editor tests on that display too. Without Xvfb they are skipped.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess

import pytest


def _start_xvfb() -> str | None:
    """Start Xvfb on a free display; returns its name (":N"), None when it cannot run."""
    binary = shutil.which("Xvfb")
    if binary is None:
        return None
    read, write = os.pipe()
    proc = subprocess.Popen([binary, "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1600x1000x24"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    with os.fdopen(read, "rb") as pipe:
        while not number.endswith(b"\n"):
            chunk = pipe.read(1)
            if not chunk:
                break
            number += chunk
    if not number.strip():
        proc.kill()
        return None
    atexit.register(proc.terminate)
    return ":" + number.decode().strip()


def _real_display() -> str:
    """'' when Qt runs on a real X display here; otherwise why the tests cannot run."""
    from PySide6 import QtWidgets

    if QtWidgets.QApplication.instance() is None and not (
            os.environ.get("QT_QPA_PLATFORM") == "xcb" and os.environ.get("DISPLAY")):
        display = _start_xvfb()
        if display is None:
            return "Xvfb is not installed (apt install xvfb)"
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QtWidgets.QApplication.instance()
    platform = app.platformName() if app is not None else os.environ.get("QT_QPA_PLATFORM")
    return "" if platform == "xcb" else f"Qt already started on the {platform!r} platform in this session"


pytest.importorskip("PySide6")
pytest.importorskip("NodeGraphQt")
WHY_NOT = _real_display()


@pytest.fixture(autouse=True)
def _needs_real_display():
    if WHY_NOT:
        pytest.skip(WHY_NOT)
