"""What a file held that did not load, drawn on the canvas: broken nodes and kept links.

A node whose type is unknown (or whose version cannot be read) is kept by the engine
(``graph.kept.nodes``, :mod:`thyra_graph.engine.kept`) and written back on save as it was. The
canvas shows each as a node in a broken style: red outline, its id and written type as title,
the reason as tooltip, ports named by the links that were written to and from it. A link the
graph refused (a type mismatch, a link to a broken node) is kept too and drawn dashed between
the ports where both ends are on the canvas. Nothing here can be edited or connected; a broken
node can be moved, and deleted (undoable), after which Save leaves it out.
"""

from __future__ import annotations

import html
from typing import Any, Iterator

from NodeGraphQt import BaseNode
from PySide6 import QtCore, QtGui, QtWidgets

from .placement import free_spot, node_size

BROKEN_BORDER = (230, 70, 70, 255)
BROKEN_COLOR = (90, 30, 30)
KEPT_LINK_COLOR = QtGui.QColor(230, 110, 110)


class BrokenNode(BaseNode):
    """A node the file names but the graph could not load; drawn, never run."""

    __identifier__ = "thyra"
    NODE_NAME = "Broken"

    def __init__(self) -> None:
        super().__init__()
        self.thyra_id = ""


class KeptLink(QtWidgets.QGraphicsPathItem):
    """A dashed line between two port items, for a link the file holds but the graph refused."""

    def __init__(self, source: QtWidgets.QGraphicsItem, target: QtWidgets.QGraphicsItem, tip: str) -> None:
        super().__init__()
        self.source, self.target = source, target
        pen = QtGui.QPen(KEPT_LINK_COLOR, 2, QtCore.Qt.DashLine)
        self.setPen(pen)
        self.setZValue(-1)
        self.setToolTip(tip)
        self.follow()

    def ends(self) -> tuple[QtCore.QPointF, QtCore.QPointF]:
        return self.source.sceneBoundingRect().center(), self.target.sceneBoundingRect().center()

    def follow(self) -> None:
        """Redraw between the ports where they are now (only when they moved)."""
        start, end = self.ends()
        if getattr(self, "_drawn", None) == (start, end):
            return
        self._drawn = (start, end)
        path = QtGui.QPainterPath(start)
        bend = max(abs(end.x() - start.x()) / 2, 40.0)
        path.cubicTo(start + QtCore.QPointF(bend, 0), end - QtCore.QPointF(bend, 0), end)
        self.setPath(path)


def written_links(kept) -> Iterator[tuple[str, str, str]]:
    """(target node, target port, source "node.output") of every kept link written as a ref."""
    for node_id, ports in kept.inputs.items():
        for port, ref in ports.items():
            if isinstance(port, str) and isinstance(ref, str) and ref.count(".") == 1:
                yield node_id, port, ref
    for node_id, body in kept.nodes.items():
        inputs = body.get("inputs") if isinstance(body, dict) else None
        for port, ref in (inputs.items() if isinstance(inputs, dict) else ()):
            if isinstance(port, str) and isinstance(ref, str) and ref.count(".") == 1:
                yield node_id, port, ref


def written_type(body: Any) -> str:
    return str(body.get("type", "?")) if isinstance(body, dict) else "?"


def written_params(body: Any) -> dict[str, str]:
    """The params of a broken node, each as the text the file holds."""
    params = body.get("params") if isinstance(body, dict) else None
    if not isinstance(params, dict):
        return {} if params is None else {"params": str(params)}
    return {str(k): str(v) for k, v in params.items()}


def reasons(document, node_id: str) -> str:
    """Why the node did not load: its errors from the file's diagnostics."""
    found = [d.message for d in document.diagnostics if d.node == node_id and d.severity == "error"]
    return "\n".join(found) or "this node did not load"


def kept_box(document, node_id: str) -> QtWidgets.QGroupBox | None:
    """For a node that loaded: its params and links the graph refused (a misspelt name, a
    value out of range, a type mismatch), read-only as written, each with why."""
    kept = document.graph.kept
    rows = [(str(name), str(value)) for name, value in kept.params.get(node_id, {}).items()]
    rows += [(f"in {port}", f"← {ref}") for port, ref in kept.inputs.get(node_id, {}).items()]
    if not rows:
        return None
    box = QtWidgets.QGroupBox("Kept as written, not used (see Problems)")
    form = QtWidgets.QFormLayout(box)
    errors = [d.message for d in document.diagnostics if d.node == node_id]
    for name, text in rows:
        field = QtWidgets.QLineEdit(text, readOnly=True)
        word = name.split(" ")[-1]
        field.setToolTip("\n".join(m for m in errors if repr(word) in m) or "not loaded")
        form.addRow(name, field)
    return box


class BrokenLayer:
    """The broken nodes and kept links of one canvas, redrawn from the document's kept parts."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.nodes: dict[str, BrokenNode] = {}
        self.links: list[KeptLink] = []
        canvas.view.register_node(BrokenNode)
        canvas.view.viewer().scene().changed.connect(lambda _: self.follow())

    def sync(self) -> None:
        """Draw what the document keeps now (few items: all of them are redrawn)."""
        view = self.canvas.view
        document = self.canvas.document
        kept = document.graph.kept
        if not (self.nodes or self.links or kept.nodes or kept.inputs):
            return
        for link in self.links:
            if link.scene() is not None:
                link.scene().removeItem(link)
        self.links = []
        for node in self.nodes.values():
            if view.get_node_by_id(node.id) is node:  # not already gone with a cleared session
                view.remove_node(node, push_undo=False)
        self.nodes = {}
        links = list(written_links(kept))
        outputs: dict[str, list[str]] = {}
        for _, _, ref in links:
            src, out = ref.split(".")
            if src in kept.nodes and out not in outputs.setdefault(src, []):
                outputs[src].append(out)
        for node_id, body in kept.nodes.items():
            self.nodes[node_id] = self._create(node_id, body, outputs.get(node_id, []))
        for node_id, port, ref in links:
            source, target = self._port(ref.split(".")[0], ref.split(".")[1], output=True), self._port(node_id, port)
            if source is not None and target is not None:
                link = KeptLink(source, target, f"kept as written: {node_id}.{port} ← {ref} (not loaded; see Problems)")
                view.viewer().scene().addItem(link)
                self.links.append(link)

    def _create(self, node_id: str, body: Any, outputs: list[str]) -> BrokenNode:
        document = self.canvas.document
        type_id = written_type(body)
        position = (document.graph.ui.get("positions") or {}).get(node_id)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        inputs = inputs if isinstance(inputs, dict) else {}
        if not (isinstance(position, list) and len(position) == 2):  # beside the others, not on them
            position = free_spot((0.0, 0.0), node_size(len(inputs), len(outputs)), self.canvas.occupied())
        node: BrokenNode = self.canvas.view.create_node(
            "thyra.BrokenNode", name=f"{node_id} ({type_id})", selected=False, color=BROKEN_COLOR,
            pos=[float(position[0]), float(position[1])], push_undo=False)
        node.thyra_id = node_id
        node.view.border_color = BROKEN_BORDER
        node.view.text_item.set_locked(True)  # its id is what the file says: not renamed here
        for port in inputs:
            node.add_input(str(port), multi_input=False, locked=True)
        for port in outputs:
            node.add_output(port, multi_output=True, locked=True)
        node.view.setToolTip(f"<b>{html.escape(node_id)}</b>: broken ({html.escape(type_id)})<br>"
                             + html.escape(reasons(document, node_id), quote=False).replace("\n", "<br>")
                             + "<br><i>written back as it is on Save; Delete removes it</i>")
        return node

    def _port(self, node_id: str, port: str, *, output: bool = False):
        node = self.nodes.get(node_id) or self.canvas.nodes().get(node_id)
        if node is None:
            return None
        found = (node.outputs() if output else node.inputs()).get(port)
        return found.view if found is not None else None

    def follow(self) -> None:
        for link in self.links:
            link.follow()

    def selected(self) -> list[str]:
        return [n for n, node in self.nodes.items() if node.selected()]

    def position(self, node_id: str) -> tuple[float, float]:
        return tuple(self.nodes[node_id].pos())
