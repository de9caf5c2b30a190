"""The editor window's file commands: New, Open, Save, Save As, recent files, autosave recovery.

A part of :class:`~thyra_graph.editor.main_window.MainWindow` (it inherits them), kept in its own
module so that the window's module reads as the wiring of its views. Nothing here raises into
Qt: a file that cannot be read or written is reported in the problems list, the status bar and
a message box, and the document in the window is kept.
"""

from __future__ import annotations

from pathlib import Path

from thyra_graph.engine.graph import GraphError

from .dialogs import CANCEL, SAVE
from .document import Document


class FileCommands:
    """What File menu entries do, on the window's ``document``, ``prompter``, ``recovery``
    (autosaves) and ``recent`` (the Open Recent list)."""

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if not self.document.modified:
            return True
        answer = self.prompter.save_changes(self.document.title)
        if answer == CANCEL:
            return False
        if answer == SAVE:
            return self.save()
        self.recovery.discard(self.document.path)
        # The user threw these changes away: the autosave timer, which keeps firing while the
        # Open dialog that follows is up, must not write them back as something to recover.
        self._discarded = True
        return True

    def new_document(self) -> None:
        if self.maybe_save():
            self.set_document(Document(self.registry))

    def open_file(self, path: str | Path | None = None) -> bool:
        """Open a graph file; a file with errors opens with its valid part and the errors listed."""
        if not self.maybe_save():
            return False
        if path is None:
            start = str(self.document.path.parent) if self.document.path else str(Path.cwd())
            path = self.prompter.open_path(start)
            if path is None:
                return False
        path = Path(path)
        try:
            document = Document.open(path, self.registry)
        except GraphError as exc:
            self.add_problem(str(exc))
            self.show_message(f"cannot open {path.name}: see the problems list")
            self.prompter.error("Cannot open graph", str(exc))
            return False
        pending = self.recovery.pending(path)
        if pending is not None:
            if self.prompter.restore_autosave(pending):
                text, base_dir = self.recovery.read(pending)
                try:
                    document = Document.recovered(text, self.registry, path, base_dir or path.resolve().parent)
                except GraphError as exc:
                    self.prompter.error("Cannot restore the autosave", str(exc))
            else:
                self.recovery.discard(path)
        self.set_document(document)
        self.recent.add(path)
        errors = [d for d in document.diagnostics if d.severity == "error"]
        if errors:
            self.show_message(f"{path.name}: {len(errors)} problem(s); the valid part was loaded (see Problems)")
            self.problems_dock.show()
        else:
            self.show_message(f"opened {path}")
        self.models_check.ask(document.graph)  # badges, and the download dialog when models are missing
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = str(self.document.path or Path.cwd() / f"{self.document.graph.name}.yaml")
            path = self.prompter.save_path(start)
            if path is None:
                return False
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        old = self.document.path
        try:
            self.document.save(path)
        except (OSError, GraphError) as exc:
            self.prompter.error("Cannot save", f"cannot save {path}: {exc}")
            return False
        self.recovery.discard(old)
        self.recovery.discard(path)
        self.recent.add(path)
        self._fill_problems()  # the saved file's own diagnostics: its name, its lines
        self._update_title()
        self.show_message(f"saved {path}")
        return True

    def offer_untitled_recovery(self) -> bool:
        """At startup: an untitled graph autosaved before a crash is offered back."""
        pending = self.recovery.pending(None)
        if pending is None:
            return False
        if not self.prompter.restore_autosave(pending):
            self.recovery.discard(None)
            return False
        text, base_dir = self.recovery.read(pending)
        try:
            document = Document.recovered(text, self.registry, None, base_dir)
        except GraphError as exc:
            self.prompter.error("Cannot restore the autosave", str(exc))
            return False
        self.set_document(document)
        self.show_message("restored the untitled graph autosaved before the editor closed; save it to keep it")
        return True

    def autosave(self) -> Path | None:
        if not self.document.modified or self._discarded:
            return None
        try:
            return self.recovery.write(self.document.graph, self.document.path)
        except OSError as exc:
            self.show_message(f"autosave failed: {exc}")
            return None

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent.list():
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda checked=False, p=path: self.open_file(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)
