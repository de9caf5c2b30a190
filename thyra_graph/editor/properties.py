"""The properties panel: the selected node's declaration, state and parameter fields."""

from __future__ import annotations

import html
from typing import Any

from PySide6 import QtCore, QtWidgets

from thyra_graph.engine.declaration import Param, ParamError
from thyra_graph.engine.graph import GraphError
from thyra_graph.engine.param_conditions import inapplicable

from . import commands as cmd
from .broken_nodes import kept_box, reasons, written_params, written_type
from .document import Document
from .param_values import parse_text
from .param_widgets import ParamEditor
from .run_states import COLORS, FAILED, NodeState


class PropertiesPanel(QtWidgets.QScrollArea):
    message = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.document: Document | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.labels: dict[str, QtWidgets.QLabel] = {}
        self._state = NodeState()
        self._show_empty()

    def set_document(self, document: Document) -> None:
        self.document = document
        document.subscribe(self._on_changes)
        self.show_node(None)

    def _show_empty(self, text: str = "Select a node to see its parameters.") -> None:
        label = QtWidgets.QLabel(text)
        label.setAlignment(QtCore.Qt.AlignTop | QtCore.Qt.AlignLeft)
        label.setWordWrap(True)
        label.setMargin(8)
        self.setWidget(label)
        self.editors = {}

    def show_broken(self, document: Document, node_id: str) -> None:
        """A node that did not load: why, and its params as the file holds them (read-only)."""
        self.node_id = None
        body = document.graph.kept.nodes[node_id]
        form = QtWidgets.QWidget()
        layout = QtWidgets.QFormLayout(form)
        header = QtWidgets.QLabel(f"<b>{html.escape(node_id)}</b> &nbsp; broken: "
                                  f"<span style='color:#999'>{html.escape(written_type(body))}</span>")
        self.reason_label = QtWidgets.QLabel(reasons(document, node_id) + "\n\nWritten back as it is on Save; Delete removes it.")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet("color: rgb(230, 110, 110)")
        layout.addRow(header)
        layout.addRow(self.reason_label)
        for name, text in written_params(body).items():
            field = QtWidgets.QLineEdit(text, readOnly=True)
            field.setToolTip("as written in the file; fix the node's type to edit it")
            layout.addRow(name, field)
        self.setWidget(form)
        self.editors = {}

    def show_node(self, node_id: str | None, state: NodeState | None = None) -> None:
        self.node_id = node_id
        if node_id is None or self.document is None or node_id not in self.document.graph.nodes:
            self.node_id = None
            self._show_empty()
            return
        graph = self.document.graph
        spec = graph.spec(node_id)
        body = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(body)
        header = QtWidgets.QLabel(
            f"<b>{html.escape(node_id)}</b> &nbsp; {html.escape(spec.title)} "
            f"<span style='color:#999'>{spec.id} v{spec.version}</span><br>{html.escape(spec.summary)}")
        header.setWordWrap(True)
        layout.addWidget(header)
        self.state_label = QtWidgets.QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        layout.addWidget(self.state_label)
        self.show_state(state or NodeState())
        ports = []
        for inp in spec.inputs:
            link = graph.nodes[node_id].inputs.get(inp.name)
            source = f"← {link[0]}.{link[1]}" if link else ("(not connected)" if inp.required else "(optional, not connected)")
            ports.append(f"in <b>{inp.name}</b> <i>{inp.type.type_name}</i> {html.escape(source)}")
        ports += [f"out <b>{o.name}</b> <i>{o.type.type_name}</i>" for o in spec.outputs]
        port_label = QtWidgets.QLabel("<br>".join(ports))
        port_label.setStyleSheet("color: #aaa;")
        layout.addWidget(port_label)
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.AllNonFixedFieldsGrow)
        self.editors = {}
        values = graph.params(node_id)
        for param in spec.params:
            editor = ParamEditor(param, self._commit, base_dir=str(graph.base_dir), value=values[param.name])
            editor.set_value(values[param.name])
            self.editors[param.name] = editor
            label = QtWidgets.QLabel(param.name)
            label.setToolTip(editor.toolTip())
            self.labels[param.name] = label
            form.addRow(label, editor)
        self._show_applicable()
        if not spec.params:
            form.addRow(QtWidgets.QLabel("(no parameters)"))
        layout.addLayout(form)
        kept = kept_box(self.document, node_id)
        if kept is not None:
            layout.addWidget(kept)
        layout.addStretch(1)
        self.setWidget(body)

    def show_state(self, state: NodeState) -> None:
        self._state = state
        if self.node_id is None:
            return
        r, g, b = COLORS[state.status]
        text = f"<span style='color:rgb({r},{g},{b})'><b>{html.escape(state.badge)}</b></span>"
        if state.message:
            style = "color:#e06060" if state.status == FAILED else "color:#bbb"
            text += f"<br><span style='{style}'>{html.escape(state.message)}</span>"
        self.state_label.setText(text)

    def editor(self, name: str) -> ParamEditor:
        return self.editors[name]

    def _commit(self, param: Param, raw: Any, is_text: bool) -> None:
        editor = self.editors.get(param.name)
        try:
            value = parse_text(param, raw) if is_text else raw
            self.document.set_param(self.node_id, param.name, value)
        except (ParamError, GraphError) as exc:
            if editor is not None:
                editor.show_error(str(exc).split(": ", 1)[-1] if isinstance(exc, GraphError) else str(exc))
            self.message.emit(f"{self.node_id}.{param.name}: {exc}")
            return
        if editor is not None:
            editor.clear_error()

    def _on_changes(self, changes: list[cmd.Change]) -> None:
        if self.node_id is None:
            return
        if any(c.kind == cmd.NODE_REMOVED and c.node == self.node_id for c in changes):
            self.show_node(None)
            return
        if any(c.node == self.node_id and c.kind == cmd.LINKS for c in changes):
            self.show_node(self.node_id, self._state)  # the port lines name the new sources
            return
        if any(c.node == self.node_id and c.kind == cmd.PARAM for c in changes):
            values = self.document.graph.params(self.node_id)
            for name, editor in self.editors.items():
                if not editor.has_error:
                    editor.set_value(values[name])
            self._show_applicable()

    def _show_applicable(self) -> None:
        """Grey the params the current values leave unused (``Param(when=...)``), saying why."""
        reasons = inapplicable(self.document.graph.spec(self.node_id).params, self.document.graph.params(self.node_id))
        for name, editor in self.editors.items():
            editor.set_applicable(reasons.get(name))
            self.labels[name].setEnabled(name not in reasons)
            self.labels[name].setToolTip(editor.toolTip())
