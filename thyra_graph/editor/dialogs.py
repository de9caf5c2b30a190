"""The questions the editor asks the user, in one place tests can replace."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"
GRAPH_FILTER = "Thyra graphs (*.yaml *.yml);;All files (*)"


class Prompter:
    def __init__(self, parent: QtWidgets.QWidget) -> None:
        self.parent = parent

    def save_changes(self, title: str) -> str:
        buttons = QtWidgets.QMessageBox.Save | QtWidgets.QMessageBox.Discard | QtWidgets.QMessageBox.Cancel
        answer = QtWidgets.QMessageBox.question(
            self.parent, "Unsaved changes", f"{title} has unsaved changes. Save them?", buttons, QtWidgets.QMessageBox.Save)
        return {QtWidgets.QMessageBox.Save: SAVE, QtWidgets.QMessageBox.Discard: DISCARD}.get(answer, CANCEL)

    def restore_autosave(self, file: Path) -> bool:
        what = "an untitled graph" if file.name.startswith("untitled.") else "this graph"
        answer = QtWidgets.QMessageBox.question(
            self.parent, "Recover unsaved work",
            f"The editor did not close cleanly last time; an autosave of {what} was found:\n{file}\n\n"
            "Restore it? (No keeps the file as it is on disk and deletes the autosave.)")
        return answer == QtWidgets.QMessageBox.Yes

    def open_path(self, start: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.parent, "Open graph", start, GRAPH_FILTER)
        return Path(path) if path else None

    def save_path(self, start: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.parent, "Save graph as", start, GRAPH_FILTER)
        if not path:
            return None
        path = Path(path)
        return path if path.suffix else path.with_suffix(".yaml")

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        """A line of text (a new id or title); None when cancelled."""
        answer, ok = QtWidgets.QInputDialog.getText(self.parent, title, label, text=text)
        return answer if ok else None

    def allow_hosts(self, hosts: list[str], details: list[str]) -> bool:
        """Whether to let this graph send data to ``hosts`` (remembered for the file this session)."""
        answer = QtWidgets.QMessageBox.question(
            self.parent, "Send data to other machines?",
            f"This graph sends data to {', '.join(hosts)}, which you have not allowed:\n\n" + "\n".join(details)
            + "\n\nA graph file chose these addresses. Allow them for this file until the editor closes? "
            "(To allow a host for good, add it to allow_hosts in your Thyra config.)",
            QtWidgets.QMessageBox.Yes | QtWidgets.QMessageBox.No, QtWidgets.QMessageBox.No)
        return answer == QtWidgets.QMessageBox.Yes

    def error(self, title: str, text: str) -> None:
        QtWidgets.QMessageBox.warning(self.parent, title, text)
