"""The window layout is remembered: size, position, docks (where, shown or not, how big) come
back on the next start; a broken or foreign layout file never stops the editor from starting."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from thyra_graph.editor.main_window import MainWindow  # noqa: E402
from thyra_graph.editor.window_state import FILE_NAME  # noqa: E402

from .conftest import StubPrompter  # noqa: E402


def open_window(qtbot, registry, executor, folder) -> MainWindow:
    win = MainWindow(registry, executor, config_dir=folder, prompter=StubPrompter())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def dock(win: MainWindow, name: str) -> QtWidgets.QDockWidget:
    return win.findChild(QtWidgets.QDockWidget, name)


def fitting(width: int, height: int) -> tuple[int, int]:
    """A size that fits the screen (offscreen's is 800×600): Qt moves and shrinks a restored
    window into the screen, as it should."""
    available = QtGui.QGuiApplication.primaryScreen().availableGeometry()
    return min(width, available.width() - 40), min(height, available.height() - 40)


def close(win: MainWindow) -> None:
    assert win.close()
    QtWidgets.QApplication.processEvents()


def test_size_docks_and_their_sizes_come_back_after_a_restart(qtbot, registry, executor, tmp_path):
    folder = tmp_path / "config"
    first = open_window(qtbot, registry, executor, folder)
    size = fitting(1100, 760)
    first.resize(*size)
    first.addDockWidget(QtCore.Qt.LeftDockWidgetArea, dock(first, "Preview"))  # moved under the palette
    dock(first, "Problems").hide()
    first.resizeDocks([dock(first, "Nodes")], [size[0] // 4], QtCore.Qt.Horizontal)
    qtbot.wait(50)
    left_width = dock(first, "Nodes").width()
    close(first)
    assert (folder / FILE_NAME).is_file()

    second = open_window(qtbot, registry, executor, folder)
    qtbot.wait(50)
    assert (second.width(), second.height()) == size
    assert second.dockWidgetArea(dock(second, "Preview")) == QtCore.Qt.LeftDockWidgetArea
    assert second.dockWidgetArea(dock(second, "Properties")) == QtCore.Qt.RightDockWidgetArea
    assert dock(second, "Problems").isHidden()
    assert not dock(second, "Nodes").isHidden()
    assert abs(dock(second, "Nodes").width() - left_width) <= 2
    close(second)


def test_the_first_start_uses_the_default_layout(window, tmp_path):
    assert not (tmp_path / "config" / FILE_NAME).exists()
    assert window.dockWidgetArea(dock(window, "Preview")) == QtCore.Qt.RightDockWidgetArea
    assert not dock(window, "Problems").isHidden()


@pytest.mark.parametrize("content", [
    b"\x00\xff\xfe garbage \x89PNG\r\n",
    b"[window]\ngeometry=not a geometry\nstate=@ByteArray(\\0\\0\\0\\xff junk)\nversion=1\n",
    b"[General]\nsomething=else\n",  # another program's settings file
])
def test_a_broken_or_foreign_layout_file_opens_the_default_layout_and_is_replaced(
        qtbot, registry, executor, tmp_path, content):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / FILE_NAME).write_bytes(content)
    win = open_window(qtbot, registry, executor, folder)
    assert win.dockWidgetArea(dock(win, "Preview")) == QtCore.Qt.RightDockWidgetArea
    assert not dock(win, "Problems").isHidden()
    size = fitting(1000, 700)
    win.resize(*size)
    close(win)
    again = open_window(qtbot, registry, executor, folder)
    assert (again.width(), again.height()) == size  # the next close wrote a good file
    close(again)
