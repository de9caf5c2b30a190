"""The editor never loses what the user wrote, and never brings back what they threw away."""

from __future__ import annotations

from .conftest import COINS, REPO

QUICKSTART = REPO / "graphs" / "quickstart.yaml"


def open_copy(window, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(QUICKSTART.read_text().replace("../thyra_graph/samples/coins.png", COINS.as_posix()))
    assert window.open_file(path)
    return path


def test_discarded_changes_are_not_autosaved_while_the_open_dialog_is_up(window, tmp_path, qtbot):
    path = open_copy(window, tmp_path)
    window.document.set_param("blur", "sigma", 4.0)
    assert window.autosave() is not None  # the change is autosaved while it is wanted
    window._autosave_timer.setInterval(10)
    window.prompter.save_answer = "discard"

    def slow_dialog(start):  # the user looks for a file while the timer keeps firing
        qtbot.wait(200)
        return None  # ... and cancels

    window.prompter.open_path = slow_dialog
    assert not window.open_file()
    assert window.recovery.pending(path) is None  # nothing to offer back: it was discarded

    window.document.set_param("blur", "sigma", 5.0)  # new work after the discard is autosaved again
    qtbot.waitUntil(lambda: window.recovery.pending(path) is not None, timeout=2_000)
