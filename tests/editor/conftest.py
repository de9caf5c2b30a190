"""Editor tests run headless, on a private X display when there is one, with a private cache
and config folder.

**One platform per test process.** Qt picks its platform plugin once, when the suite's
QApplication is made, so the choice is made here for the whole session, before anything
creates it (:func:`choose_platform`):

- ``Xvfb`` on the PATH (``make test`` installs the ``xvfb`` package): a private X server is
  started on a free display (``-displayfd``, ``-nolisten tcp``) and every editor test runs on
  Qt's ``xcb`` platform, the one a Linux desktop uses. The real-input tests
  (``tests/editor/real_input/``) drive the canvas there with QTest mouse and key events on the
  view's viewport.
- no Xvfb: Qt's ``offscreen`` platform; the real-input tests are skipped with the reason.
- ``QT_QPA_PLATFORM`` already set by the caller is respected (``offscreen`` for a quick run;
  the real-input tests then skip, saying so).

Tests where real input is not the point keep calling the document and the window's methods
directly: they are faster and run on either platform. Without PySide6 (the ``editor`` extra)
the Qt tests are skipped; the Qt-free ones still run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
from pathlib import Path

import pytest

XVFB_MISSING = ("no X server for real input: install the 'xvfb' package (make test does) or unset "
                "QT_QPA_PLATFORM; these tests drive the canvas with real mouse and key events")


def choose_platform() -> str:
    """The Qt platform for this test process: ``xcb`` on a private Xvfb, else ``offscreen``."""
    chosen = os.environ.get("QT_QPA_PLATFORM")
    if chosen:
        return chosen
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return "offscreen"
    # -displayfd: the server picks a free display and writes its number to the pipe, so test
    # runs beside each other (or beside a desktop) never collide.
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1920x1080x24"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=_die_with_parent)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number.isdigit():
        server.kill()
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return "offscreen"
    atexit.register(_stop, server)
    os.environ["DISPLAY"] = f":{number}"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    return "xcb"


def _die_with_parent() -> None:
    """A test process killed outright (no atexit) must not leave its X server behind."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM (Linux; Xvfb runs nowhere else here)
    except (OSError, AttributeError):
        pass


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        server.kill()


PLATFORM = choose_platform()  # before anything makes the QApplication

from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.nodes.discovery import discover

REPO = Path(__file__).resolve().parents[2]
GRAPHS = sorted((REPO / "graphs").glob("*.yaml"))
COINS = REPO / "thyra_graph" / "samples" / "coins.png"
PLUGIN_FOLDERS = [Path(__file__).parent / "plugins", REPO / "tests" / "fixtures" / "plugins"]


def pytest_configure(config):
    # NodeGraphQt compares Qt versions with distutils; not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:distutils Version classes:DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:NodeGraphQt.*")


@pytest.fixture(scope="session")
def registry():
    """Built-in nodes plus the test plugins (a promptable node, slow nodes)."""
    return discover(plugin_path=PLUGIN_FOLDERS, user_plugins=False)


@pytest.fixture
def executor(tmp_path, monkeypatch):
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    return Executor(disk=DiskCache(tmp_path / "cache"))


@pytest.fixture
def window(qtbot, registry, executor, tmp_path):
    """An editor window whose questions are answered by ``window.prompter`` (a stub)."""
    pytest.importorskip("PySide6")
    from thyra_graph.editor.main_window import MainWindow

    answers = StubPrompter()
    win = MainWindow(registry, executor, config_dir=tmp_path / "config", prompter=answers)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.controller.stop()
    win.controller.wait(10_000)
    win.document.undo_stack.mark_clean()  # closing must not ask


class StubPrompter:
    """Scripted answers to the editor's questions; records what was asked."""

    def __init__(self) -> None:
        self.save_answer = "discard"
        self.restore_answer = True
        self.open_answer: Path | None = None
        self.save_path_answer: Path | None = None
        self.text_answer: str | None = None
        self.hosts_answer = False
        self.errors: list[tuple[str, str]] = []
        self.asked: list[str] = []

    def save_changes(self, title: str) -> str:
        self.asked.append(f"save {title}")
        return self.save_answer

    def restore_autosave(self, file: Path) -> bool:
        self.asked.append(f"restore {file.name}")
        return self.restore_answer

    def ask_text(self, title: str, label: str, text: str):
        self.asked.append(f"text {title}")
        return self.text_answer

    def open_path(self, start: str):
        return self.open_answer

    def save_path(self, start: str):
        return self.save_path_answer

    def allow_hosts(self, hosts: list[str], details: list[str]) -> bool:
        self.asked.append("hosts " + ", ".join(hosts))
        return self.hosts_answer

    def error(self, title: str, text: str) -> None:
        self.errors.append((title, text))


def redirect_outputs(document, folder: Path) -> None:
    """Point every file a sink writes into ``folder`` (tests never write into the repo)."""
    graph = document.graph
    for node_id in graph.nodes:
        for param in graph.spec(node_id).params:
            if param.kind == "path" and param.io == "write":
                written = Path(graph.params(node_id)[param.name])
                graph.set_param(node_id, param.name, str(folder / node_id / written.name))


def run_and_wait(window, qtbot, targets=None, timeout: int = 30_000):
    with qtbot.waitSignal(window.controller.run_finished, timeout=timeout) as blocker:
        window.run(targets)
    return blocker.args[0]
