"""Editor tests run headless: Qt's offscreen platform, a private cache and config folder.

QT_QPA_PLATFORM is set here, before anything imports Qt. Without PySide6 (the ``editor``
extra) the Qt tests are skipped; the Qt-free ones still run.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

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
