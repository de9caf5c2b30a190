"""Subgraphs in the editor: make one from the selected nodes, enter one to edit it, go back.

- **Make subgraph** (canvas context menu, Edit menu, Ctrl+Shift+G): the selected nodes become
  one node whose inputs and outputs are the links that crossed the selection; the subgraph is
  saved as its own graph file in the library (``THYRA_LIBRARY``'s first folder or the user
  library) and appears in the palette. One undo step puts the nodes back (the file stays).
- **Enter** (Tab or double-click on a subgraph node): its file opens in the canvas for editing;
  the breadcrumb above the canvas shows where you are. **Back** (the breadcrumb's button or
  Alt+Up) saves the subgraph's file, re-reads it, and returns to the graph
  that uses it: every instance now runs the edited version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
from PySide6 import QtCore, QtGui, QtWidgets

from thyra_graph.engine.graph import Graph, GraphError
from thyra_graph.engine.subgraph import SubgraphError, SubgraphSpec, library_id
from thyra_graph.engine.subgraph_files import read_subgraph
from thyra_graph.engine.subgraph_make import extract, replace_with_instance

from . import commands as cmd
from .catalog import Catalog
from .document import Document

if TYPE_CHECKING:
    from .main_window import MainWindow

MAKE_SHORTCUT = "Ctrl+Shift+G"
BACK_SHORTCUT = "Alt+Up"


@dataclass
class MakeSubgraph(cmd.Command):
    """Replace ``node_ids`` by one instance of ``spec`` (made from them); undo restores them."""

    node_ids: list[str]
    spec: SubgraphSpec
    sub: Graph
    label = "make subgraph"
    instance: str = ""
    _saved: dict[str, Any] = field(default_factory=dict, repr=False)

    def do(self, graph: Graph) -> list[cmd.Change]:
        consumers = {dst for src, _, dst, _ in graph.links() if src in self.node_ids and dst not in self.node_ids}
        self._saved = {"nodes": copy.deepcopy(graph.nodes), "outputs": list(graph.outputs),
                       "positions": copy.deepcopy(graph.ui.get("positions") or {}), "consumers": consumers}
        self.instance = replace_with_instance(graph, self.node_ids, self.spec, self.sub)
        return ([cmd.Change(cmd.NODE_REMOVED, n) for n in self.node_ids] + [cmd.Change(cmd.NODE_ADDED, self.instance)]
                + [cmd.Change(cmd.LINKS, n) for n in consumers])

    def undo(self, graph: Graph) -> list[cmd.Change]:
        saved = self._saved
        graph.nodes = copy.deepcopy(saved["nodes"])
        graph.dag = nx.DiGraph()
        graph.dag.add_nodes_from(graph.nodes)
        for node in graph.nodes.values():
            inputs, node.inputs = node.inputs, {}
            for port, (src, out) in inputs.items():
                graph._link(src, out, node.id, port)
        graph.outputs = list(saved["outputs"])
        graph.ui["positions"] = copy.deepcopy(saved["positions"])
        graph.revision += 1
        return ([cmd.Change(cmd.NODE_REMOVED, self.instance)] + [cmd.Change(cmd.NODE_ADDED, n) for n in self.node_ids]
                + [cmd.Change(cmd.LINKS, n) for n in saved["consumers"]])


def library_folder() -> Path:
    from thyra_graph.nodes.library import save_dir

    return save_dir()


def make_subgraph(document: Document, node_ids: list[str], name: str, folder: Path) -> tuple[str, Path]:
    """Save ``node_ids`` of the document's graph as subgraph ``name`` in ``folder``, register it,
    and put one instance in their place; returns the instance id and the file. Raises
    GraphError (nothing changed) when the selection or name does not work."""
    registry = document.registry
    path = folder / f"{name}.yaml"
    type_id = library_id(path)
    if path.exists() or type_id in registry:
        raise GraphError(f"a subgraph called {name!r} exists already ({registry.origins.get(type_id, path)}); "
                         "choose another name")
    sub = extract(document.graph, node_ids, name=name, folder=folder)
    sub.save(path)
    try:
        spec = read_subgraph(path, registry, type_id)
    except SubgraphError as exc:
        path.unlink()
        raise GraphError(str(exc)) from None
    registry.add(spec, str(path))
    command = MakeSubgraph([n for n in document.graph.nodes if n in set(node_ids)], spec, sub)
    document.execute(command)
    return command.instance, path


def reload_subgraph(registry, spec: SubgraphSpec) -> SubgraphSpec:
    """Read a subgraph's file again after it was edited; the registry then holds the new version."""
    fresh = read_subgraph(spec.source, registry, spec.id)
    registry.specs[spec.id] = fresh
    return fresh


class SubgraphActions(QtCore.QObject):
    """The window's subgraph gestures and the breadcrumb of the subgraphs entered."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.stack: list[tuple[Document, SubgraphSpec]] = []  # the graphs we came from
        edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
        self.make_action = window._action(edit, "Make s&ubgraph…", self.make, MAKE_SHORTCUT,
                                          "turn the selected nodes into one reusable node saved in your library")
        self.enter_action = window._action(edit, "&Enter subgraph", self.enter_selected, None,
                                           "edit the selected subgraph's own file (Tab or double-click)")
        self.back_action = window._action(edit, "&Back to the parent graph", self.back, BACK_SHORTCUT,
                                          "save the subgraph and return to the graph that uses it")
        self.back_action.setEnabled(False)
        menu = window.canvas.view.get_context_menu("graph")
        menu.add_separator()
        menu.add_command(f"Make subgraph…  ({MAKE_SHORTCUT})", lambda *_: self.make())  # the shortcut is the window's
        menu.add_command("Enter subgraph", lambda *_: self.enter_selected())
        window.canvas.view.node_double_clicked.connect(self._on_double_click)
        # Tab enters a selected subgraph; elsewhere it still opens the node search.
        window.canvas.search_requested.disconnect(window.open_search)
        window.canvas.search_requested.connect(self._on_tab)
        self.breadcrumb = _Breadcrumb(self.back)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.breadcrumb)
        layout.addWidget(window.canvas.widget)
        window.setCentralWidget(central)
        self._show_path()

    # -- make -------------------------------------------------------------------------------
    def make(self) -> str | None:
        window = self.window
        ids = window.canvas.selected_ids()
        if not ids:
            window.show_message("select the nodes to turn into a subgraph first")
            return None
        name = window.prompter.ask_text("Make subgraph", "Name (the file in your library and the node type):",
                                        _suggest_name(window.document.graph, ids))
        if not name:
            return None
        try:
            instance, path = make_subgraph(window.document, ids, name.strip(), library_folder())
        except (GraphError, OSError) as exc:
            window.prompter.error("Cannot make a subgraph", str(exc))
            return None
        self._refresh_palette()
        window.canvas.select([instance])
        window.show_message(f"made subgraph {library_id(path)} ({path}); Tab or double-click enters it")
        return instance

    # -- enter and back ---------------------------------------------------------------------
    def _spec(self, node_id: str | None) -> SubgraphSpec | None:
        graph = self.window.document.graph
        if node_id is None or node_id not in graph.nodes:
            return None
        spec = graph.registry.get(graph.nodes[node_id].type_id)
        return spec if isinstance(spec, SubgraphSpec) else None

    def _on_tab(self) -> None:
        if self._spec(self.window.selected_node()) is not None:
            self.enter_selected()
        else:
            self.window.open_search()

    def _on_double_click(self, node) -> None:
        if self._spec(getattr(node, "thyra_id", None)) is not None:
            self.enter(node.thyra_id)

    def enter_selected(self) -> bool:
        node = self.window.selected_node()
        if self._spec(node) is None:
            self.window.show_message("select one subgraph node to enter it")
            return False
        return self.enter(node)

    def enter(self, node_id: str) -> bool:
        window = self.window
        spec = self._spec(node_id)
        if spec is None or spec.source is None:
            return False
        try:
            document = Document.open(spec.source, window.registry)
        except GraphError as exc:
            window.prompter.error("Cannot open the subgraph", str(exc))
            return False
        self.stack.append((window.document, spec))
        window.set_document(document)
        self._show_path()
        window.show_message(f"editing {spec.source.name}; {BACK_SHORTCUT} or the breadcrumb's Back saves it and returns")
        return True

    def back(self) -> bool:
        window = self.window
        if not self.stack:
            return False
        document = window.document
        parent, spec = self.stack[-1]
        if document.modified and not window.save():
            return False
        try:
            reload_subgraph(window.registry, spec)
        except SubgraphError as exc:
            window.prompter.error("The subgraph cannot be used as it is", f"{exc}\n\nFix it before going back.")
            return False
        self.stack.pop()
        window.set_document(parent)
        self._refresh_palette()
        self._show_path()
        window.show_message(f"saved {spec.source.name}; every {spec.id} node runs the edited version")
        return True

    # -- views ------------------------------------------------------------------------------
    def _show_path(self) -> None:
        names = [doc.title for doc, _ in self.stack] + [self.window.document.title]
        self.breadcrumb.show_path(names, can_go_back=bool(self.stack))
        self.back_action.setEnabled(bool(self.stack))

    def _refresh_palette(self) -> None:
        window = self.window
        window.catalog.entries = Catalog(window.registry).entries
        window.palette.refill()


class _Breadcrumb(QtWidgets.QWidget):
    """'quickstart.yaml › coin_mask.yaml' with a Back button, shown inside a subgraph only."""

    def __init__(self, back) -> None:
        super().__init__()
        self.label = QtWidgets.QLabel()
        self.button = QtWidgets.QPushButton("◀ Back")
        self.button.setToolTip(f"save this subgraph and return to the graph that uses it ({BACK_SHORTCUT})")
        self.button.clicked.connect(lambda: back())
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.button)
        layout.addWidget(self.label, 1)

    def show_path(self, names: list[str], *, can_go_back: bool) -> None:
        self.label.setText("  ›  ".join(names))
        self.setVisible(can_go_back)


def _suggest_name(graph: Graph, node_ids: list[str]) -> str:
    base = "_".join(node_ids[:3]) if len(node_ids) <= 3 else f"{node_ids[0]}_group"
    return base.replace("-", "_")
