"""The editor's "missing models" dialog, and the badges of nodes whose model is not on this machine.

When a graph is opened or run, :class:`ModelsCheck` asks the nodes' ``models=`` declarations
what they load and looks for each model where the node will (``thyra models`` does the same).
Nodes whose model is missing say so on their badge at once; one dialog lists the missing
models with their sizes (asked from the hub in the background) and a Download button. The
download runs on a worker thread, with a progress bar and a Cancel button; the run the user
asked for goes ahead once everything is there.
"""

from __future__ import annotations

import io
import threading
from typing import Any, Callable

from PySide6 import QtCore, QtWidgets

from thyra_graph.engine.graph import Graph
from thyra_graph.engine.subgraph import SEPARATOR, is_subgraph

from .run_states import IDLE, MISSING_MODEL, NodeState

COLUMNS = ("Model", "Used by", "Size", "Status")


class DownloadCancelled(Exception):
    """Raised inside a download's progress callback when the user pressed Cancel."""


def missing_models(graph: Graph) -> list[Any]:
    """The models ``graph``'s nodes load that are not on this machine (no network used)."""
    from thyra_graph.nodes.models.inventory import graph_needs, models_of  # heavy-free, but nodes-side

    return [model for model in models_of(graph_needs(graph)) if not model.present]


def _size(n: int | None) -> str:
    from thyra_graph.nodes.models.inventory import format_size  # nodes-side, as missing_models

    return format_size(n, unknown="…")


class _Worker(QtCore.QThread):
    """Asks the server about each model (``sizes``) or fetches them (``download``), one after the other."""

    row_changed = QtCore.Signal(int)
    progress = QtCore.Signal(int, str, object, object)  # row, file, bytes done, bytes total

    def __init__(self, models: list[Any], job: str) -> None:
        super().__init__()
        self.models, self.job = models, job
        self.cancel = threading.Event()
        self.errors: dict[int, str] = {}

    def run(self) -> None:
        from thyra_graph.engine.declaration import NodeError
        from thyra_graph.nodes.models.inventory import describe_remote, pull

        for row, model in enumerate(self.models):
            if self.cancel.is_set():
                break
            if self.job == "sizes":
                describe_remote(model)
            else:
                try:
                    pull(model, tqdm_class=self._bar(row))
                except DownloadCancelled:
                    self.errors[row] = "cancelled"
                except NodeError as exc:  # pull() words every failure, a cancelled transfer included
                    self.errors[row] = "cancelled" if self.cancel.is_set() else str(exc)
                except Exception as exc:  # noqa: BLE001 - shown in the dialog, never raised into Qt
                    self.errors[row] = f"{type(exc).__name__}: {exc}"
            self.row_changed.emit(row)

    def _bar(self, row: int):
        from tqdm import tqdm

        worker = self

        class Progress(tqdm):
            """A silent tqdm whose updates become the dialog's progress, and where Cancel strikes."""

            def __init__(self, *args, **kwargs):
                kwargs.pop("name", None)
                kwargs["file"] = io.StringIO()
                super().__init__(*args, **kwargs)
                self._done = kwargs.get("initial") or 0

            def update(self, n=1):
                if worker.cancel.is_set():
                    raise DownloadCancelled("cancelled")
                self._done += n or 0
                worker.progress.emit(row, str(self.desc or ""), self._done, self.total)
                return super().update(n)

        return Progress


class MissingModelsDialog(QtWidgets.QDialog):
    """Lists missing models with their sizes; Download fetches them in the background."""

    downloaded = QtCore.Signal(bool)  # True when every listed model is now present

    def __init__(self, models: list[Any], parent: QtWidgets.QWidget | None = None, *, for_run: bool = False) -> None:
        super().__init__(parent)
        from thyra_graph.nodes.models.weights import offline

        self.models = models
        self.setWindowTitle("Missing models")
        self.setObjectName("missing-models")
        self.setMinimumWidth(720)
        layout = QtWidgets.QVBoxLayout(self)
        intro = (f"This graph needs {len(models)} model(s) that are not on this machine. Download them into the "
                 "Hugging Face cache (or THYRA_MODELS_DIR for Meta's checkpoints)?")
        self.intro = QtWidgets.QLabel(intro + ("\nThe graph runs once they are here." if for_run else ""))
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.table = QtWidgets.QTreeWidget()
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        for model in models:
            users = ", ".join(f"{n.node} ({n.ref.param})" for n in model.users)
            local = model.ref.source == "path"  # nothing to download: the user's own file
            item = QtWidgets.QTreeWidgetItem([model.label, users, "" if local else _size(model.size),
                                              "local file missing: fix the path" if local else "missing"])
            item.setToolTip(0, "looks at " + ", ".join(model.looked))
            self.table.addTopLevelItem(item)
        for column in range(len(COLUMNS)):
            self.table.resizeColumnToContents(column)
        layout.addWidget(self.table)
        self.total = QtWidgets.QLabel("")
        layout.addWidget(self.total)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        self.download_button = QtWidgets.QPushButton("Download")
        self.download_button.setDefault(True)
        self.cancel_button = QtWidgets.QPushButton("Cancel download")
        self.cancel_button.setEnabled(False)
        # Before a run, closing runs without them: the nodes then fail with their own message.
        self.close_button = QtWidgets.QPushButton("Run without them" if for_run else "Close")
        for button in (self.download_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.close_button.clicked.connect(self.reject)
        self._worker: _Worker | None = None
        self._sizes: _Worker | None = None
        if all(m.ref.source == "path" for m in models):
            self.download_button.setEnabled(False)
            self.status.setText("These are files of your own: set the node's path param to where they are, "
                                "or put them in THYRA_MODELS_DIR.")
        elif offline():
            self.download_button.setEnabled(False)
            self.status.setText("Offline mode is on (THYRA_OFFLINE / HF_HUB_OFFLINE): nothing is downloaded. "
                                "Turn it off, or put the models in THYRA_MODELS_DIR.")
        else:
            self._sizes = _Worker(models, "sizes")
            self._sizes.row_changed.connect(self._show_row)
            self._sizes.start()
        self._update_total()

    # -- the rows ----------------------------------------------------------------------------
    def row_status(self, row: int) -> str:
        return self.table.topLevelItem(row).text(3)

    def _show_row(self, row: int) -> None:
        model, item = self.models[row], self.table.topLevelItem(row)
        item.setText(2, _size(model.size))
        worker = self._worker
        if worker is not None and row in worker.errors:
            item.setText(3, "cancelled" if worker.errors[row] == "cancelled" else "failed")
            item.setToolTip(3, worker.errors[row])
            if worker.errors[row] != "cancelled":
                self.status.setText(f"{model.label}: {worker.errors[row]}")
        elif model.present:
            item.setText(3, "downloaded" if worker is not None else "present")
        elif model.remote_error:
            item.setText(3, "unavailable")
            item.setToolTip(3, model.remote_error)
            self.status.setText(f"{model.label}: {model.remote_error}")
        self._update_total()

    def _update_total(self) -> None:
        sizes = [m.size for m in self.models]
        known = sum(s for s in sizes if s is not None)
        self.total.setText(f"{len(self.models)} model(s), {_size(known)}"
                           + (" so far (asking the hub…)" if None in sizes and self._sizes is not None
                              and self._sizes.isRunning() else ""))

    # -- downloading ---------------------------------------------------------------------------
    def start_download(self) -> None:
        if self._worker is not None and self._worker.isRunning():
            return
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText("downloading…")
        self._worker = _Worker(self.models, "download")
        self._worker.row_changed.connect(self._show_row)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        for row, model in enumerate(self.models):
            if not model.present:
                self.table.topLevelItem(row).setText(3, "waiting")
        self._worker.start()

    def cancel_download(self) -> None:
        if self._worker is not None:
            self._worker.cancel.set()
            self.status.setText("cancelling… (a partly fetched file is not kept as if complete)")

    def _on_progress(self, row: int, name: str, done: int, total: int | None) -> None:
        self.table.topLevelItem(row).setText(3, f"{name} {_size(done)}" + (f" / {_size(total)}" if total else ""))
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done / total, 1.0)))
        self.progress.setFormat(f"{name}: %p%")

    def _on_finished(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)
        complete = all(m.present for m in self.models)
        if complete:
            self.status.setText("every model is here")
        else:
            self.download_button.setEnabled(True)
            self.download_button.setText("Retry download")
            if not self.status.text() or self.status.text().startswith(("downloading", "cancelling")):
                self.status.setText("download cancelled" if self._worker.cancel.is_set() else "some models failed")
        self.downloaded.emit(complete)
        if complete:
            self.accept()

    def wait(self, ms: int = 10_000) -> None:
        """Stop and wait for the worker threads (closing, tests)."""
        for worker in (self._worker, self._sizes):
            if worker is not None:
                worker.cancel.set()
                worker.wait(ms)

    def done(self, result: int) -> None:
        if result == QtWidgets.QDialog.Rejected:
            self.wait()
        super().done(result)


class ModelsCheck:
    """The window's side: badges of nodes with missing models, and the dialog on open and run."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.dialog: MissingModelsDialog | None = None
        self._marked: set[str] = set()

    def mark(self, graph: Graph) -> list[Any]:
        """Badge every node whose model is missing; returns the missing models."""
        try:
            missing = missing_models(graph)
        except Exception as exc:  # noqa: BLE001 - a broken check must not stop editing
            self.window.show_message(f"cannot check the graph's models: {exc}")
            return []
        states = self.window.controller.states
        flagged: dict[str, list[str]] = {}
        for model in missing:
            for need in model.users:  # a node inside a subgraph instance badges the instance
                flagged.setdefault(need.node.split(SEPARATOR, 1)[0], []).append(model.label)
        for node_id, labels in flagged.items():
            if states.get(node_id).status == IDLE:
                message = ("model not on this machine: " + ", ".join(labels)
                           + " (Run offers to download it; or `thyra models pull`)")
                states.nodes[node_id] = NodeState(MISSING_MODEL, message=message)
        cleared = {n for n in self._marked - set(flagged) if states.get(n).status == MISSING_MODEL}
        for node_id in cleared:
            states.nodes[node_id] = NodeState()
        self._marked = set(flagged)
        self.window.canvas.set_states(states, set(flagged) | cleared)
        return missing

    def ask(self, graph: Graph, then: Callable[[], None] | None = None, targets: list[str] | None = None) -> bool:
        """True when nothing a run of ``targets`` (default: the whole graph) loads is missing;
        otherwise shows the dialog (once) and returns False. ``then`` runs after a download that
        brought every model."""
        missing = self.mark(graph)
        if targets:  # a run of some nodes needs only their ancestors' models
            nodes = _planned(graph, targets)
            missing = [m for m in missing if any(need.node in nodes for need in m.users)]
        if not missing:
            return True
        if self.dialog is not None and self.dialog.isVisible():
            return False
        self.dialog = MissingModelsDialog(missing, self.window, for_run=then is not None)
        self.dialog.downloaded.connect(lambda ok: self._after_download(graph, ok, then))
        if then is not None:
            self.dialog.rejected.connect(then)
        self.dialog.show()
        return False

    def edited(self, graph: Graph, nodes: set[str]) -> None:
        """Params of ``nodes`` changed, or they were added: re-badge when one of them loads a model."""
        if any(n in graph.nodes and (graph.spec(n).models is not None or is_subgraph(graph.spec(n))) for n in nodes):
            self.mark(graph)

    def stop(self) -> None:
        """Cancel a download or size question in flight and wait for it (the window is closing)."""
        if self.dialog is not None:
            self.dialog.wait()

    def _after_download(self, graph: Graph, ok: bool, then: Callable[[], None] | None) -> None:
        self.mark(graph)
        if ok:
            self.window.show_message("models downloaded")
            if then is not None:
                then()


def _planned(graph: Graph, targets: list[str]) -> set[str]:
    """The nodes a run of ``targets`` executes (all of them when the plan itself is broken)."""
    from thyra_graph.engine.graph import GraphError
    from thyra_graph.engine.planner import make_plan

    try:
        return set(make_plan(graph, targets).order)
    except (GraphError, ValueError):
        return set(graph.nodes)  # the run reports what is wrong with the plan
