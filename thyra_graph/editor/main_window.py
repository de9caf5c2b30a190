"""The editor window: canvas in the middle, palette left, properties and preview right.

It wires the views to one :class:`Document` and one :class:`RunController`; its file commands
(New, Open, Save, Save As, recent files, autosave recovery) are in :mod:`.file_commands`. Nothing here
raises into Qt: a bad file, a refused link or a failed node is reported in the status
bar, the problems list or the node's badge, and the window stays.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from thyra_graph.engine.executor import Executor
from thyra_graph.engine.registry import Registry
from thyra_graph.engine.results import RunResult

from . import commands as cmd
from .canvas import Canvas
from .catalog import Catalog
from .minimap import SETTING as MINIMAP_SETTING, install_minimap
from .models_dialog import ModelsCheck
from .dialogs import Prompter
from .run_gate import RunGate
from .document import Document
from .file_commands import FileCommands
from .palette import Palette
from .preview_feed import PreviewFeed
from .preview_panel import PreviewPanel
from .prompting import REMOVE_RADIUS, apply_click, prompt_param
from .properties import PropertiesPanel
from .recent_files import RecentFiles, editor_config_dir
from .recovery import Recovery
from .results_panel import ResultsPanel
from .run_controller import RunController
from .run_scope import RunScope, run_scope
from .run_states import FAILED, HAS_RESULT, SKIPPED, UNCONNECTED, NodeState
from .search_popup import NodeSearch
from .subgraph import SubgraphActions
from .window_state import WindowState

AUTOSAVE_MS = 30_000
AUTO_RUN_DELAY_MS = 150


class MainWindow(FileCommands, QtWidgets.QMainWindow):
    def __init__(self, registry: Registry | None = None, executor: Executor | None = None, *,
                 config_dir: Path | None = None, prompter: Prompter | None = None) -> None:
        super().__init__()
        if registry is None or executor is None:
            from thyra_graph.api import default_executor, default_registry

            registry = registry or default_registry()
            executor = executor or default_executor()
        self.registry = registry
        self.catalog = Catalog(registry)
        self.prompter = prompter or Prompter(self)
        self.gate = RunGate(self.prompter)
        self.models_check = ModelsCheck(self)
        folder = Path(config_dir) if config_dir is not None else editor_config_dir()
        self.recent = RecentFiles(folder)
        self.recovery = Recovery(folder)
        self.window_state = WindowState(folder)
        self.controller = RunController(executor, self)
        self.auto_run = True  # re-run after a parameter edit, once the graph has run
        self._has_run = False
        self._clipboard: dict | None = None
        self._run_started_at = 0.0

        self.canvas = Canvas(self)
        self.setCentralWidget(self.canvas.widget)
        self.palette = Palette(self.catalog)
        self.search = NodeSearch(self.catalog, self.canvas, self)
        self.properties = PropertiesPanel()
        self.preview = PreviewPanel(plugin_previews=registry.previews)
        self.preview_feed = PreviewFeed(self)
        self.problems = QtWidgets.QListWidget()
        self.problems.setWordWrap(True)
        self._dock("Nodes", self.palette, QtCore.Qt.LeftDockWidgetArea)
        self._dock("Properties", self.properties, QtCore.Qt.RightDockWidgetArea)
        self._dock("Preview", self.preview, QtCore.Qt.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", self.problems, QtCore.Qt.BottomDockWidgetArea)
        self.results = ResultsPanel()
        self.results_dock = self._dock("Results", self.results, QtCore.Qt.BottomDockWidgetArea)
        self.resize(1440, 880)
        self.resizeDocks([self.findChild(QtWidgets.QDockWidget, "Nodes")], [230], QtCore.Qt.Horizontal)
        self.resizeDocks([self.findChild(QtWidgets.QDockWidget, "Properties")], [400], QtCore.Qt.Horizontal)
        self.resizeDocks([self.findChild(QtWidgets.QDockWidget, "Properties"), self.findChild(QtWidgets.QDockWidget, "Preview")],
                         [330, 470], QtCore.Qt.Vertical)
        self.resizeDocks([self.problems_dock], [90], QtCore.Qt.Vertical)

        self._build_actions()
        self.canvas.message.connect(self.show_message)
        self.canvas.selection_changed.connect(self._on_selection)
        self.canvas.search_requested.connect(self.open_search)  # Tab (subgraph.py may take it over)
        self.palette.node_chosen.connect(lambda type_id: self.canvas.add_node(type_id))
        self.properties.message.connect(self.show_message)
        self.preview.clicked.connect(self.prompt_click)
        self.problems.itemDoubleClicked.connect(self._on_problem_clicked)
        self.results.output_clicked.connect(self.show_output)
        self.controller.states_changed.connect(self._on_states)
        self.controller.run_started.connect(self._on_run_started)
        self.controller.run_finished.connect(self._on_run_finished)
        self._auto_run_timer = QtCore.QTimer(self, singleShot=True, interval=AUTO_RUN_DELAY_MS)
        self._auto_run_timer.timeout.connect(lambda: self.run())
        self._autosave_timer = QtCore.QTimer(self, interval=AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()
        self.set_document(Document(registry))
        self.subgraphs = SubgraphActions(self)
        self.window_state.restore(self)  # after every dock exists: the layout names them

    def _dock(self, title: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # -- actions -----------------------------------------------------------------------------
    def _action(self, menu: QtWidgets.QMenu, text: str, slot, shortcut=None, tip: str = "") -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(lambda checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.new_action = self._action(file, "&New", self.new_document, QtGui.QKeySequence.New)
        self.open_action = self._action(file, "&Open…", lambda: self.open_file(), QtGui.QKeySequence.Open)
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_action = self._action(file, "&Save", self.save, QtGui.QKeySequence.Save)
        self.save_as_action = self._action(file, "Save &As…", lambda: self.save_as(), QtGui.QKeySequence.SaveAs)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QtGui.QKeySequence.Quit)
        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", self.undo, QtGui.QKeySequence.Undo)
        self.redo_action = self._action(edit, "&Redo", self.redo, QtGui.QKeySequence.Redo)
        self.canvas.use_edit_actions(self.undo_action, self.redo_action)
        for action, short in ((self.undo_action, "Undo"), (self.redo_action, "Redo")):
            action.setIconText(short)  # the toolbar keeps its width; menu and tooltip name the edit
        edit.addSeparator()
        self._action(edit, "&Copy", self.copy, QtGui.QKeySequence.Copy)
        self._action(edit, "&Paste", self.paste, QtGui.QKeySequence.Paste)
        self._action(edit, "&Delete", self.delete_selected, QtGui.QKeySequence.Delete)
        self._action(edit, "Add node…", self.open_search, "Ctrl+Space", "search nodes by name (Tab on the canvas)")
        self._action(edit, "Re&name…", self.rename_selected, "F2", "change the selected node's id or backdrop's title")
        self._action(edit, "&Group in backdrop", self.group_selected, "Ctrl+G", "draw a backdrop around the selected nodes")
        run = bar.addMenu("&Run")
        self.run_action = self._action(run, "&Run graph", lambda: self.run(), "F5", "run every output; cached results are reused")
        self.run_selected_action = self._action(run, "Run to &selected", self.run_selected, "F6", "run what the selected nodes need")
        self.stop_action = self._action(run, "&Stop", self.stop, "Shift+F5", "cancel the run; finished results stay cached")
        self.auto_run_action = QtGui.QAction("Re-run after edits", self, checkable=True, checked=True)
        self.auto_run_action.toggled.connect(lambda on: setattr(self, "auto_run", on))
        run.addAction(self.auto_run_action)
        run.addSeparator()
        self.free_models_action = self._action(run, "&Free model memory", self.free_models, None,
                                               "unload every model the nodes loaded (SAM 2, CLIP, …); they load again when needed")
        view = bar.addMenu("&View")
        self._action(view, "&Frame nodes", self.canvas.fit, "Home")
        self.minimap, self.minimap_action = install_minimap(
            self.canvas, view, visible=self.window_state.flag(MINIMAP_SETTING, True))
        for dock in self.findChildren(QtWidgets.QDockWidget):
            view.addAction(dock.toggleViewAction())
        tools = self.addToolBar("Main")
        tools.setObjectName("Main")
        tools.setToolButtonStyle(QtCore.Qt.ToolButtonTextOnly)
        for action in (self.new_action, self.open_action, self.save_action, None, self.undo_action, self.redo_action,
                       None, self.run_action, self.run_selected_action, self.stop_action, self.auto_run_action):
            tools.addSeparator() if action is None else tools.addAction(action)
        self.stop_action.setEnabled(False)

    # -- the document ------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        self.document = document
        self._discarded = False
        self._run_problems: list[tuple[str, str | None]] = []
        self._left_out: list[tuple[str, str | None]] = []
        self.gate.opened(document.graph)
        document.subscribe(self._on_changes)
        self.controller.states.forget()
        self._has_run = False
        self.canvas.set_document(document)
        self.properties.set_document(document)
        self.preview.show_message("No preview", "Select a node to see its outputs.")
        self.preview_feed.forget()
        self.results.clear_results()
        self._fill_problems()
        self._update_title()

    def _fill_problems(self) -> None:
        self.problems.clear()
        for diagnostic in self.document.diagnostics:
            item = QtWidgets.QListWidgetItem(str(diagnostic))
            item.setData(QtCore.Qt.UserRole, diagnostic.node)
            item.setForeground(QtGui.QColor(230, 110, 110) if diagnostic.severity == "error" else QtGui.QColor(220, 180, 90))
            self.problems.addItem(item)
        for problem in self.registry.problems:
            item = QtWidgets.QListWidgetItem(f"plugin {problem}")
            item.setForeground(QtGui.QColor(220, 180, 90))
            self.problems.addItem(item)
        # The last run's failures only: a successful run clears them, a repeated one does not pile up.
        for text, node in self._run_problems:
            self.add_problem(text, node)

    def add_problem(self, text: str, node: str | None = None) -> None:
        item = QtWidgets.QListWidgetItem(text)
        item.setData(QtCore.Qt.UserRole, node)
        item.setForeground(QtGui.QColor(230, 110, 110))
        self.problems.addItem(item)
        self.problems.scrollToBottom()

    def _on_problem_clicked(self, item: QtWidgets.QListWidgetItem) -> None:
        node = item.data(QtCore.Qt.UserRole)
        if node and node in self.document.graph.nodes:
            self.canvas.select([node])

    def _update_title(self) -> None:
        star = "*" if self.document.modified else ""
        self.setWindowTitle(f"{star}{self.document.title} — Thyra")
        self.undo_action.setEnabled(self.document.undo_stack.can_undo())
        self.redo_action.setEnabled(self.document.undo_stack.can_redo())
        self.undo_action.setText(f"&Undo {self.document.undo_stack.undo_label()}".strip())
        self.redo_action.setText(f"&Redo {self.document.undo_stack.redo_label()}".strip())

    def _on_changes(self, changes: list[cmd.Change]) -> None:
        stale: set[str] = set()
        removed = {c.node for c in changes if c.kind == cmd.NODE_REMOVED}
        for change in changes:
            if change.kind in (cmd.PARAM, cmd.LINKS) and change.node in self.document.graph.nodes:
                stale |= {change.node} | self.document.descendants(change.node)
        self.controller.states.forget(removed)
        if stale:
            self.controller.states.mark_stale(stale)
            self.canvas.set_states(self.controller.states, stale)
            self._refresh_selected_state()
        self.models_check.edited(self.document.graph,
                                 {c.node for c in changes if c.kind in (cmd.PARAM, cmd.NODE_ADDED)})
        self._discarded = False  # an edit after a discard is new work, autosaved again
        self._update_title()
        if self.auto_run and self._has_run and any(c.kind == cmd.PARAM for c in changes):
            self._auto_run_timer.start()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 15_000)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.controller.stop()
        self.controller.wait(10_000)
        self.models_check.stop()  # a download in flight is cancelled, its partial files not kept as complete
        self.recovery.discard(self.document.path)
        self.window_state.save(self, {MINIMAP_SETTING: self.minimap_action.isChecked()})
        event.accept()

    # -- editing -----------------------------------------------------------------------------
    def undo(self) -> None:
        self.document.undo()

    def redo(self) -> None:
        self.document.redo()

    def copy(self) -> None:
        ids = self.canvas.selected_ids()
        if ids:
            self._clipboard = self.document.copy(ids)
            self.show_message(f"copied {len(ids)} node(s)")

    def paste(self) -> None:
        if self._clipboard:
            self.canvas.select(self.document.paste(self._clipboard, self.canvas.paste_offset(self._clipboard)))

    def delete_selected(self) -> None:
        for index in reversed(self.canvas.selected_backdrops()):
            self.document.remove_backdrop(index)  # the nodes it grouped stay unless selected too
        self.document.remove_nodes([*self.canvas.selected_ids(), *self.canvas.broken.selected()])

    def group_selected(self) -> None:
        index = self.canvas.group_selected()
        if index is not None:
            self.show_message("grouped in a backdrop: drag its title bar to move the group, F2 to rename it")

    def rename_selected(self) -> None:
        """F2: a new id for the selected node, or a new title for the selected backdrop."""
        backdrops = self.canvas.selected_backdrops()
        node = self.selected_node()
        if node is not None:
            new = self.prompter.ask_text("Rename node", "New id (the graph file's key for this node):", node)
            if new is not None:
                self.canvas.rename_node(node, new)
        elif len(backdrops) == 1:
            old = self.document.backdrops[backdrops[0]].get("title", "")
            new = self.prompter.ask_text("Rename backdrop", "Title:", str(old))
            if new is not None:
                self.document.set_backdrop_title(backdrops[0], new)
        else:
            self.show_message("select one node or one backdrop to rename")

    def open_search(self) -> None:
        self.search.open_at_cursor()

    # -- running -----------------------------------------------------------------------------
    def run(self, targets: list[str] | None = None) -> None:
        if not self.document.graph.nodes:
            self.show_message("nothing to run: add nodes from the palette (or press Tab on the canvas)")
            return
        graph = self.document.snapshot()
        if not self.gate.allows(graph, str(self.document.path or "untitled"), targets):
            self.show_message("not run: see the message about where the graph sends data or writes")
            return
        scope = run_scope(graph, targets)
        self._mark_left_out(scope)
        if scope.empty:
            self._run_problems = list(self._left_out)
            self._fill_problems()
            self.show_message("nothing can run yet: connect the inputs named on the badges (see Problems)")
            return

        def start() -> None:
            self._has_run = True
            self.controller.run(graph, scope.targets)

        if self.models_check.ask(graph, then=start, targets=scope.targets):
            start()
        else:
            self.show_message("not run yet: the graph's models are missing (see the dialog)")

    def _mark_left_out(self, scope: RunScope) -> None:
        """Badge every node the run leaves out, and list each unconnected one in Problems."""
        states = self.controller.states
        for node_id, ports in scope.unconnected.items():
            states.nodes[node_id] = NodeState(UNCONNECTED, message=f"input {', '.join(ports)} not connected")
        for node_id, cause in scope.waiting.items():
            states.nodes[node_id] = NodeState(SKIPPED, message=f"waits for {cause}, whose input is not connected")
        self.canvas.set_states(states, set(scope.unconnected) | set(scope.waiting))
        self._left_out = [(f"node '{n}': input {', '.join(p)} not connected: link it to run this node", n)
                          for n, p in scope.unconnected.items()]

    def run_selected(self) -> None:
        ids = self.canvas.selected_ids()
        if not ids:
            self.show_message("select the nodes to run up to")
            return
        self.run(ids)

    def free_models(self) -> int:
        """Drop every loaded model from the resource cache (and, with torch loaded, its GPU cache)."""
        resources = self.controller.executor.resources
        count = len(resources.keys())
        resources.clear()
        torch = sys.modules.get("torch")  # never imported here just to free memory
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
        self.show_message(f"freed {count} loaded model{'s' if count != 1 else ''}; a run loads what it needs again")
        return count

    def stop(self) -> None:
        self.controller.stop()
        self.show_message("stopping… results finished so far stay cached")

    def _on_run_started(self) -> None:
        self._run_started_at = time.perf_counter()
        self.stop_action.setEnabled(True)
        self.show_message("running…")

    def _on_run_finished(self, result: RunResult | None, error: str) -> None:
        self.stop_action.setEnabled(self.controller.running)
        seconds = time.perf_counter() - self._run_started_at
        if result is None:
            self.show_message(f"cannot run: {error}")
            self._run_problems = [*self._left_out, (f"run: {error}", None)]
            self._fill_problems()
            self.results.clear_results(f"The run did not start: {error}")
            return
        executed, cached = result.count("executed"), result.count("cached")
        failed = [n for n, r in result.nodes.items() if r.status == "failed"]
        text = f"run {result.status}: {executed} computed, {cached} cached in {seconds:.2f} s"
        self._run_problems = [*self._left_out, *((f"node '{n}': {result.nodes[n].error}", n) for n in failed)]
        self._fill_problems()
        if failed:
            text += f"; failed: {', '.join(failed)} (select a node to see its error)"
        self.show_message(text)
        self.results.show_result(self.document.graph, result)
        self._refresh_preview()

    def _on_states(self, changed: set[str]) -> None:
        self.canvas.set_states(self.controller.states, changed)
        self._refresh_selected_state(changed)
        node = self.selected_node()
        if node in changed and self.controller.states.get(node).status in (*HAS_RESULT, FAILED):
            self._refresh_preview()  # as its result arrives, not when the whole run is over

    def _refresh_selected_state(self, changed: set[str] | None = None) -> None:
        node = self.properties.node_id
        if node is not None and (changed is None or node in changed):
            self.properties.show_state(self.controller.states.get(node))

    # -- selection, preview, prompting ---------------------------------------------------------
    def selected_node(self) -> str | None:
        ids = self.canvas.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def _on_selection(self, ids: list[str]) -> None:
        node = ids[0] if len(ids) == 1 else None
        broken = self.canvas.broken.selected()
        if not ids and len(broken) == 1:
            self.properties.show_broken(self.document, broken[0])
        elif node != self.properties.node_id or broken:
            self.properties.show_node(node, self.controller.states.get(node) if node else None)
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        self.preview_feed.refresh()

    def show_output(self, node: str, output: str) -> None:
        """Select ``node`` and preview its ``output`` (a click in the results panel)."""
        self.preview.wanted_output = output
        self.canvas.select([node])

    def prompt_click(self, x: float, y: float, negative: bool) -> None:
        """A click on the preview: edit the selected node's points and re-run at once."""
        node = self.selected_node()
        if node is None:
            return
        name = prompt_param(self.document.graph.spec(node))
        if name is None:
            self.show_message("clicks prompt nodes that have a points parameter and an image input; select one")
            return
        zoom = max(self.preview.image.transform().m11(), 1e-6)
        points = self.document.graph.params(node)[name] or []
        updated = apply_click(points, x, y, negative=negative, radius=REMOVE_RADIUS / zoom)
        self.document.set_param(node, name, updated)
        self.preview.background.points = updated
        self.controller.stop()  # the old prompt's result is no longer wanted
        self._auto_run_timer.stop()
        self.run()
