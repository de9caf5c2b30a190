"""The node canvas: NodeGraphQt showing a :class:`Document`, and gestures sent back to it.

NodeGraphQt draws nodes and pipes and reports gestures; the document decides. A pipe the
user drops is applied to the document first (which checks types and cycles, like the
engine does for graph files); the canvas then mirrors the document, so a refused pipe
simply does not appear and the status bar says why, naming both types.

Nodes are known by their Thyra ids. NodeGraphQt's own node ids are per-session memory
addresses; they are mapped here and never leave this module.
"""

from __future__ import annotations

import colorsys
import hashlib

from NodeGraphQt import BackdropNode, BaseNode, NodeGraph
from PySide6 import QtCore, QtGui, QtWidgets

from thyra_graph.engine.graph import GraphError, split_ref

from . import commands as cmd
from .broken_nodes import BrokenLayer, BrokenNode
from .document import Document
from .gestures import LooseEnd, ThyraViewer, dim_incompatible, undim
from .placement import Box, bounds, free_spot, node_size
from .run_states import COLORS, NodeState
from .type_caption import TypeCaption

DROP_PREFIX = "thyra-node:"  # text/plain payload of a palette drag
READABLE_SCALE = 0.8  # the smallest zoom at which titles, ports and badges can be read


class CanvasNode(BaseNode):
    """One NodeGraphQt node class for every Thyra type: ports come from the declaration."""

    __identifier__ = "thyra"
    NODE_NAME = "Node"

    def __init__(self) -> None:
        super().__init__()
        self.thyra_id = ""


class Badge(QtWidgets.QGraphicsPathItem):
    """The state label above a node: queued, running 40%, cached, done 12 ms, failed…

    Built from Qt's own items (no Python paint code): a run updates many badges, and a
    repaint that called into Python for each would wait for the engine's threads to hand
    over the GIL, item after item, and stall the UI.
    """

    def __init__(self, parent: QtWidgets.QGraphicsItem) -> None:
        super().__init__(parent)
        self.text = ""
        self.label = QtWidgets.QGraphicsSimpleTextItem(self)
        font = QtGui.QFont()
        font.setPointSizeF(7.5)
        self.label.setFont(font)
        self.label.setBrush(QtGui.QColor(255, 255, 255))
        self.setPen(QtCore.Qt.NoPen)
        self.setZValue(10)
        self.setVisible(False)

    def set_state(self, state: NodeState) -> None:
        self.text = state.badge
        self.label.setText(self.text)
        rect = self.label.boundingRect()
        self.label.setPos(6, -20 + (16 - rect.height()) / 2)
        path = QtGui.QPainterPath()
        path.addRoundedRect(QtCore.QRectF(0, -20, rect.width() + 12, 16), 4, 4)
        self.setPath(path)
        self.setBrush(QtGui.QColor(*COLORS[state.status]))
        self.setVisible(state.status != "idle" or state.stale)
        self.setToolTip(state.message or state.badge)


def category_color(category: str) -> tuple[int, int, int]:
    """A stable, muted header colour per palette category."""
    hue = int(hashlib.sha1(category.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hsv_to_rgb(hue, 0.35, 0.42)
    return int(r * 255), int(g * 255), int(b * 255)


class Canvas(QtCore.QObject):
    message = QtCore.Signal(str)            # for the status bar
    selection_changed = QtCore.Signal(list)  # Thyra ids of the selected nodes
    search_requested = QtCore.Signal()       # Tab: open the node search
    search_at = QtCore.Signal(QtCore.QPointF, QtCore.QPoint, object)  # scene, global, LooseEnd | None

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        undo_stack = QtGui.QUndoStack(self)
        self.view = NodeGraph(undo_stack=undo_stack, viewer=ThyraViewer(undo_stack=undo_stack))
        self.view.register_node(CanvasNode)
        # The document refuses cycles with a message; NodeGraphQt's own check would drop the
        # pipe silently before the document ever saw it.
        self.view.set_acyclic(False)
        viewer = self.view.viewer()
        viewer.empty_double_clicked.connect(lambda scene, screen: self.search_at.emit(scene, screen, None))
        viewer.pipe_dropped_on_empty.connect(self._on_pipe_dropped)
        viewer.pipe_drag_started.connect(lambda port: dim_incompatible(self, self.loose_end(port)))
        viewer.pipe_drag_ended.connect(lambda: undim(self))
        # Pipe gestures go to the document instead of straight into NodeGraphQt's model.
        viewer.connection_changed.disconnect(self.view._on_connection_changed)
        viewer.connection_changed.connect(self._on_connection_changed)
        viewer.connection_sliced.disconnect(self.view._on_connection_sliced)
        viewer.connection_sliced.connect(self._on_connection_sliced)
        viewer.moved_nodes.connect(self._on_nodes_moved)
        viewer.node_name_changed.connect(self._on_name_changed, QtCore.Qt.QueuedConnection)
        # Queued: runs after NodeGraphQt has resized the backdrop item.
        viewer.node_backdrop_updated.connect(self._on_backdrop_resized, QtCore.Qt.QueuedConnection)
        viewer.node_selection_changed.connect(lambda *_: self.selection_changed.emit(self.selected_ids()))
        viewer.node_selected.connect(lambda *_: self.selection_changed.emit(self.selected_ids()))
        self.view.data_dropped.connect(self._on_drop)
        tab = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key_Tab), self.view.widget)
        tab.setContext(QtCore.Qt.WidgetWithChildrenShortcut)
        tab.activated.connect(self.search_requested.emit)
        self.document: Document | None = None
        self.broken = BrokenLayer(self)  # what the file held that did not load
        self._nodes: dict[str, CanvasNode] = {}
        self._badges: dict[str, Badge] = {}
        self._backdrops: list[BackdropNode] = []  # index-aligned with document.backdrops
        self._updating = False

    @property
    def widget(self) -> QtWidgets.QWidget:
        return self.view.widget

    # -- document → canvas -------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        self.document = document
        document.subscribe(self._on_changes)
        self._updating = True
        try:
            self.view.clear_session()
            self.view.clear_undo_stack()
            self._nodes.clear()
            self._badges.clear()
            for node_id in document.graph.nodes:
                self._create(node_id)
            for node_id in document.graph.nodes:
                self._sync_inputs(node_id)
            self._backdrops.clear()
            self._sync_backdrops()
            self.broken.sync()
        finally:
            self._updating = False
        self.view.clear_undo_stack()
        self.fit(readable=True)

    def _on_changes(self, changes: list[cmd.Change]) -> None:
        self._updating = True
        try:
            for change in changes:
                node_id = change.node
                if change.kind == cmd.NODE_ADDED:
                    self._create(node_id)
                    self._sync_inputs(node_id)
                elif change.kind == cmd.NODE_REMOVED:
                    node = self._nodes.pop(node_id, None)
                    self._badges.pop(node_id, None)
                    if node is not None:
                        self.view.remove_node(node, push_undo=False)
                elif change.kind == cmd.LINKS and node_id in self._nodes and node_id in self.document.graph.nodes:
                    # (an undone "add connected node" reports the link change of a node it removes)
                    self._sync_inputs(node_id)
                elif change.kind == cmd.MOVED and node_id in self._nodes:
                    self._nodes[node_id].set_pos(*self.document.position(node_id))
                elif change.kind == cmd.MOVED and node_id in self.broken.nodes:
                    self.broken.nodes[node_id].set_pos(*self.document.position(node_id))
                elif change.kind == cmd.BACKDROPS:
                    self._sync_backdrops()
            if any(c.kind in (cmd.NODE_ADDED, cmd.NODE_REMOVED, cmd.LINKS, cmd.BROKEN) for c in changes):
                self.broken.sync()  # a kept link may have lost (or regained) an end
        finally:
            self._updating = False
        # NodeGraphQt records what we do on its own undo stack; the document's stack is the one.
        self.view.clear_undo_stack()

    def _create(self, node_id: str) -> CanvasNode:
        graph = self.document.graph
        spec = graph.spec(node_id)
        node: CanvasNode = self.view.create_node(
            "thyra.CanvasNode", name=node_id, selected=False, color=category_color(spec.category),
            pos=list(self.document.position(node_id)), push_undo=False)
        node.thyra_id = node_id
        node.view._proxy_mode_threshold = 30  # keep names readable when a big graph is framed
        for inp in spec.inputs:
            port = node.add_input(inp.name, multi_input=False, color=inp.type.color)
            optional = "" if inp.required else " (optional)"
            port.view.setToolTip(f"<b>{inp.name}</b>: {inp.type.type_name}{optional}<br>{inp.help or inp.type.doc}")
        for out in spec.outputs:
            port = node.add_output(out.name, multi_output=True, color=out.type.color)
            port.view.setToolTip(f"<b>{out.name}</b>: {out.type.type_name}<br>{out.help or out.type.doc}")
        node.view.setToolTip(f"<b>{node_id}</b> — {spec.title} ({spec.id} v{spec.version})<br>{spec.summary}")
        self._nodes[node_id] = node
        self._badges[node_id] = Badge(node.view)
        TypeCaption(node.view, spec.title)
        _cache_rendering(node.view)
        return node

    def _sync_inputs(self, node_id: str) -> None:
        """Make the pipes into ``node_id`` exactly the document's links."""
        node = self._nodes[node_id]
        links = self.document.graph.nodes[node_id].inputs
        for name, port in node.inputs().items():
            wanted = links.get(name)
            current = port.connected_ports()
            target = None
            if wanted is not None and wanted[0] in self._nodes:
                target = self._nodes[wanted[0]].outputs().get(wanted[1])
            pipes = len(port.view.connected_pipes)
            if current == ([target] if target else []) and pipes == len(current):
                continue
            for other in current:
                port.disconnect_from(other, push_undo=False, emit_signal=False)
            for pipe in list(port.view.connected_pipes):  # a pipe picked up in a drag
                pipe.delete()
            if target is not None:
                port.connect_to(target, push_undo=False, emit_signal=False)
                for pipe in port.view.connected_pipes:
                    _cache_rendering(pipe)

    def _sync_backdrops(self) -> None:
        """Draw the document's backdrops (few, so all of them are redrawn on any change)."""
        for backdrop in self._backdrops:
            self.view.remove_node(backdrop, push_undo=False)
        self._backdrops = []
        for data in self.document.backdrops:
            try:
                backdrop: BackdropNode = self.view.create_node(
                    "nodeGraphQt.nodes.BackdropNode", name=str(data.get("title", "Group")), selected=False,
                    pos=[float(data.get("x", 0.0)), float(data.get("y", 0.0))], push_undo=False)
                backdrop.view.width = float(data.get("width", 300.0))
                backdrop.view.height = float(data.get("height", 200.0))
                backdrop.model.width, backdrop.model.height = backdrop.view.width, backdrop.view.height
            except (TypeError, ValueError):
                continue  # a hand-edited entry that is not a box: ignored, the graph still opens
            self._backdrops.append(backdrop)

    def set_states(self, states, node_ids) -> None:
        for node_id in node_ids:
            badge = self._badges.get(node_id)
            if badge is not None:
                badge.set_state(states.get(node_id))

    # -- canvas → document -------------------------------------------------------------------
    def _ref(self, port_view) -> str:
        node = self.view.get_node_by_id(port_view.node.id)
        return f"{node.thyra_id}.{port_view.name}"

    def _pair(self, a, b) -> tuple[str, str]:
        """(source "node.output", target "node.input") of two port items in either order."""
        out, inp = (a, b) if a.port_type == "out" else (b, a)
        return self._ref(out), self._ref(inp)

    def _on_connection_changed(self, disconnected, connected) -> None:
        unlink = [self._pair(a, b)[1] for a, b in disconnected]
        link = [self._pair(a, b) for a, b in connected]
        unlink = [t for t in unlink if t not in {target for _, target in link}]
        affected = {split_ref(t)[0] for t in unlink} | {split_ref(t)[0] for _, t in link}
        try:
            self.document.change_links(unlink, link)
        except GraphError as exc:
            self.message.emit(str(exc))
        # Whatever NodeGraphQt drew during the drag, show the document's links.
        self._updating = True
        try:
            for node_id in affected:
                if node_id in self._nodes:
                    self._sync_inputs(node_id)
        finally:
            self._updating = False

    def loose_end(self, port_view) -> LooseEnd:
        """The Thyra port behind a NodeGraphQt port item."""
        node_id, port = split_ref(self._ref(port_view))
        spec = self.document.graph.spec(node_id)
        is_output = port_view.port_type == "out"
        declared = spec.output(port) if is_output else spec.input(port)
        return LooseEnd(node_id, port, is_output, declared.type)

    def _on_pipe_dropped(self, port_view, scene: QtCore.QPointF, screen: QtCore.QPoint) -> None:
        self.search_at.emit(scene, screen, self.loose_end(port_view))

    def _on_connection_sliced(self, ports) -> None:
        self._on_connection_changed(ports, [])

    def _on_nodes_moved(self, moved) -> None:
        positions = {}
        backdrops = []
        for item in moved:
            node = self.view.get_node_by_id(item.id)
            if isinstance(node, (CanvasNode, BrokenNode)):
                positions[node.thyra_id] = tuple(node.pos())
            elif node in self._backdrops:
                backdrops.append(node)
        if not backdrops:
            self.document.move_nodes(positions)
            return
        # A backdrop drags the nodes on it along: one undo step for all of it.
        for i, backdrop in enumerate(backdrops):
            self._record_backdrop(backdrop, positions if i == 0 else None)

    def _record_backdrop(self, backdrop: BackdropNode, positions: dict | None = None) -> None:
        x, y = backdrop.pos()
        width, height = backdrop.size()
        nodes = [n.thyra_id for n in backdrop.nodes() if isinstance(n, CanvasNode)]
        self.document.update_backdrop(self._backdrops.index(backdrop), (x, y, width, height),
                                      nodes=nodes, positions=positions)

    def _on_backdrop_resized(self, session_id: str, update: str, value) -> None:
        backdrop = self.view.get_node_by_id(session_id)
        if backdrop in self._backdrops and update in ("sizer_mouse_release", "sizer_double_clicked"):
            self._record_backdrop(backdrop)

    def _on_name_changed(self, session_id: str, name: str) -> None:
        node = self.view.get_node_by_id(session_id)
        if node in self._backdrops:
            self.document.set_backdrop_title(self._backdrops.index(node), name)
        elif isinstance(node, CanvasNode) and name != node.thyra_id:
            self.rename_node(node.thyra_id, name)

    def rename_node(self, old: str, new: str) -> bool:
        """Change a node's id; a taken or invalid id is refused in the status bar."""
        try:
            self.document.rename_node(old, new)
        except GraphError as exc:
            if old in self._nodes:
                self._updating = True
                try:
                    self._nodes[old].set_name(old)  # the canvas shows the id the graph still has
                finally:
                    self._updating = False
                self.view.clear_undo_stack()
            self.message.emit(f"cannot rename {old!r}: {exc}")
            return False
        self.select([new.strip()])
        return True

    # -- backdrops ---------------------------------------------------------------------------
    def group_selected(self, title: str = "Group") -> int | None:
        """Put a backdrop around the selected nodes; returns its index."""
        ids = self.selected_ids()
        if not ids:
            self.message.emit("select the nodes to group first, then add a backdrop around them")
            return None
        rect = QtCore.QRectF()
        for node_id in ids:
            rect = rect.united(self._nodes[node_id].view.sceneBoundingRect())
        padding = 40  # room for the backdrop's title bar
        box = (rect.x() - padding, rect.y() - padding * 2, rect.width() + padding * 2, rect.height() + padding * 3)
        return self.document.add_backdrop(ids, title, box)

    def selected_backdrops(self) -> list[int]:
        return [i for i, b in enumerate(self._backdrops) if b.selected()]

    def backdrop(self, index: int) -> BackdropNode:
        return self._backdrops[index]

    def _on_drop(self, mime: QtCore.QMimeData, pos: QtCore.QPoint) -> None:
        text = mime.text() if mime.hasText() else ""
        if text.startswith(DROP_PREFIX):
            self.add_node(text[len(DROP_PREFIX):], (pos.x(), pos.y()))

    def add_node(self, type_id: str, position: tuple[float, float] | None = None,
                 loose: LooseEnd | None = None) -> str | None:
        """Create a node (from the palette, a drop or the search) where it covers no other
        node, connected to ``loose`` when a pipe was dropped to ask for it; selects it."""
        spec = self.document.registry.get(type_id)
        if position is None:
            position = self.free_position()
        if spec is not None:
            position = free_spot(position, node_size(len(spec.inputs), len(spec.outputs)), self.occupied())
        try:
            node_id = self.document.graph.unique_id(type_id.rsplit(".", 1)[-1])
            links = []
            if loose is not None and spec is not None:
                link = _link_for(spec, node_id, loose)
                if link is None:
                    self.message.emit(f"{spec.title} has no port that takes {loose.type.type_name}; added unconnected")
                else:
                    links.append(link)
            self.document.add_node(type_id, position, node_id=node_id, links=links)
        except GraphError as exc:
            self.message.emit(str(exc))
            return None
        self.select([node_id])
        return node_id

    def paste_offset(self, data: dict) -> tuple[float, float]:
        """How far to shift copied nodes so the pasted group lands beside, not on, others."""
        boxes = []
        for body in data.get("nodes", {}).values():
            spec = self.document.registry.get(body.get("type", ""))
            x, y = body.get("position", [0.0, 0.0])
            boxes.append((x, y, *node_size(len(spec.inputs) if spec else 1, len(spec.outputs) if spec else 1)))
        if not boxes:
            return 0.0, 0.0
        box = bounds(boxes)
        spot = free_spot((box[0] + 40.0, box[1] + 40.0), (box[2], box[3]), self.occupied())
        return spot[0] - box[0], spot[1] - box[1]

    def occupied(self) -> list[Box]:
        """The scene boxes the nodes cover now (for placing new ones beside them)."""
        boxes = []
        for node in [*self._nodes.values(), *self.broken.nodes.values()]:
            rect = node.view.sceneBoundingRect()
            boxes.append((rect.x(), rect.y(), rect.width(), rect.height()))
        return boxes

    def free_position(self) -> tuple[float, float]:
        """Where a node created without a drop point goes: at the cursor, else the view centre."""
        viewer = self.view.viewer()
        local = viewer.mapFromGlobal(QtGui.QCursor.pos())
        if not viewer.rect().contains(local):
            local = viewer.rect().center()
        scene = viewer.mapToScene(local)
        return scene.x(), scene.y()

    # -- selection ---------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [n.thyra_id for n in self.view.selected_nodes() if isinstance(n, CanvasNode)]

    def select(self, node_ids: list[str]) -> None:
        self.view.clear_selection()
        for node_id in node_ids:
            if node_id in self._nodes:
                self._nodes[node_id].set_selected(True)
        self.selection_changed.emit(self.selected_ids())

    def node(self, node_id: str) -> CanvasNode:
        return self._nodes[node_id]

    def nodes(self) -> dict[str, CanvasNode]:
        return dict(self._nodes)

    def badge(self, node_id: str) -> Badge:
        return self._badges[node_id]

    def use_edit_actions(self, *actions: QtGui.QAction) -> None:
        """Put the window's own actions (Undo, Redo) at the top of the canvas's right-click
        menu, in place of NodeGraphQt's, which know nothing of the document's undo stack."""
        menu = self.view.get_context_menu("graph").qmenu
        for action in list(menu.actions()):
            if action.text() in ("&Undo", "&Redo") and action not in actions:
                menu.removeAction(action)
        first = menu.actions()[0] if menu.actions() else None
        for action in actions:
            menu.insertAction(first, action)

    def fit(self, readable: bool = False) -> None:
        """Frame every node; ``readable`` never zooms out below :data:`READABLE_SCALE`.

        A long pipeline framed whole is a row of illegible boxes (the quickstart at 0.37);
        the first view of a file instead shows its start (the sources, on the left) at a
        size that can be read, and the rest is a pan or a Home key away.
        """
        if not self._nodes:
            return
        viewer = self.view.viewer()
        viewer.zoom_to_nodes([n.view for n in self._nodes.values()])
        if not readable or viewer.transform().m11() >= READABLE_SCALE:
            return
        rect = viewer._combined_rect([n.view for n in self._nodes.values()])
        size = viewer.viewport().size()
        width, height = size.width() / READABLE_SCALE, size.height() / READABLE_SCALE
        margin = 40.0
        top = rect.center().y() - height / 2 if rect.height() + 2 * margin <= height else rect.top() - margin
        viewer._scene_range = QtCore.QRectF(rect.left() - margin, top, width, height)
        viewer._update_scene()


def _link_for(spec, node_id: str, loose: LooseEnd) -> tuple[str, str] | None:
    """(source, target) joining the first fitting port of a new node ``node_id`` to ``loose``."""
    ports = spec.inputs if loose.is_output else spec.outputs
    for port in ports:
        if loose.fits(port.type):
            new, end = f"{node_id}.{port.name}", f"{loose.node}.{loose.port}"
            return (end, new) if loose.is_output else (new, end)
    return None


def _cache_rendering(item: QtWidgets.QGraphicsItem) -> None:
    """Let Qt reuse the item's last picture (NodeGraphQt paints in Python).

    During a run the engine's threads hold the GIL most of the time; a repaint that calls
    Python once per node, port and pipe waits for it each time. Cached items are redrawn
    from pixmaps without Python, until they really change.
    """
    item.setCacheMode(QtWidgets.QGraphicsItem.DeviceCoordinateCache)
    for child in item.childItems():
        if not isinstance(child, Badge):
            _cache_rendering(child)
