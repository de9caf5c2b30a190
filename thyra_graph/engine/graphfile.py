"""Graph files: YAML in, Graph out, with every problem reported at once.

Loading never raises for a bad file: it returns the graph built from the valid parts and a
list of :class:`Diagnostic` (``FILE:LINE: node 'ID': what is wrong (and how to fix it)``).
Saving is deterministic: re-saving an unchanged graph gives the same bytes.
"""

from __future__ import annotations

import os
import re
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from thyra_graph.types import is_compatible

from .declaration import PORT_PATTERN, NodeSpec, ParamError
from . import atomic
from .graph import FORMAT_VERSION, NODE_ID_PATTERN, Graph, _closest, split_ref
from .registry import Registry
from .samples import is_sample_ref
from .subgraph import SubgraphError
from .subgraph_files import missing_type_hint
from .subgraph_files import resolve_type, with_spec
from .kept import Kept
from .yamlfile import LineMap, parse_yaml
from .yamlwrite import YamlDocument, dump_yaml, renamed

TOP_KEYS = ("thyra", "name", "description", "inputs", "nodes", "outputs", "ui")
NODE_KEYS = ("type", "version", "inputs", "params", "title")
MAX_FILE_BYTES = 10_000_000
MIN_VALUE_LIMIT = 100_000  # YAML values a graph file may expand to, however short it is


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a graph file."""

    file: str
    line: int | None
    message: str
    node: str | None = None
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" node '{self.node}':" if self.node else ""
        tag = "" if self.severity == "error" else " warning:"
        return f"{where}:{tag}{who} {self.message}"


@dataclass
class LoadResult:
    graph: Graph | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.graph is not None and not self.errors


class GraphFileError(ValueError):
    """A graph file has errors; ``diagnostics`` lists each of them."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in graph file:\n" + "\n".join(str(d) for d in errors))


def load_graph_file(path: str | Path, registry: Registry) -> LoadResult:
    """Read and check a graph file. Relative paths in it resolve against its folder."""
    path = Path(path)
    shown = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return LoadResult(None, [Diagnostic(shown, None, f"the file is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a graph file may hold (is it really a graph file?): keep large data such as point lists in separate files and refer to them by path")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(None, [Diagnostic(shown, None, "no such file: check the path")])
    except IsADirectoryError:
        return LoadResult(None, [Diagnostic(shown, None, "this is a folder, not a graph file")])
    except UnicodeDecodeError as exc:
        return LoadResult(None, [Diagnostic(shown, None, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start}): is it really a graph file?")])
    except OSError as exc:
        return LoadResult(None, [Diagnostic(shown, None, f"cannot read the file: {exc.strerror or exc}")])
    result = load_graph_text(text, registry, source=shown, base_dir=path.resolve().parent)
    if result.graph is not None:
        result.graph.source = path.resolve()
    return result


def load_graph_text(text: str, registry: Registry, *, source: str = "<text>", base_dir: Path | None = None) -> LoadResult:
    """Check and build a graph from graph-file text (see :func:`load_graph_file`)."""
    loader = _Loader(registry, source, base_dir)
    return loader.load(text)


class _Loader:
    def __init__(self, registry: Registry, source: str, base_dir: Path | None) -> None:
        self.registry = registry
        self.source = source
        self.base_dir = base_dir
        self.diagnostics: list[Diagnostic] = []
        self.lines = LineMap()
        # Inputs with their own error already, so they are not reported again as missing.
        self.broken_inputs: dict[str, set[str]] = {}
        # Every node id the file declares, valid or not (to avoid knock-on errors).
        self.declared_ids: set[str] = set()
        self.kept = Kept()  # the graph's, once it is made

    def problem(self, path: tuple, message: str, node: str | None = None, severity: str = "error") -> None:
        self.diagnostics.append(Diagnostic(self.source, self.lines.line(*path), message, node, severity))

    def load(self, text: str) -> LoadResult:
        # A file without aliases holds fewer values than characters, so this bound refuses
        # only aliases that expand the text (an alias bomb), never a large honest graph.
        parsed = parse_yaml(text, max_nodes=max(MIN_VALUE_LIMIT, len(text)))
        self.lines = parsed.lines
        data = parsed.data
        nodes = data.get("nodes") if isinstance(data, dict) else None
        for p in parsed.problems:
            # The YAML layer reports every duplicate key; one whose kept line is a node's line
            # is a node id.
            match = re.match(r"the key '([^']*)' appears twice in the same mapping, on lines (\d+)", p.message)
            if match and isinstance(nodes, dict) and match.group(1) in nodes and self.lines.line("nodes", match.group(1)) == int(match.group(2)):
                self.diagnostics.append(Diagnostic(self.source, p.line, f"duplicate node id: {p.message}", match.group(1)))
            else:
                self.diagnostics.append(Diagnostic(self.source, p.line, p.message))
        if parsed.fatal:
            return LoadResult(None, self.diagnostics)
        if data is None:
            self.problem((), "the file is empty: a graph file starts with 'thyra: 1' and lists its nodes under 'nodes:'")
            return LoadResult(None, self.diagnostics)
        if not isinstance(data, dict):
            self.problem((), f"a graph file is a mapping (thyra:, name:, nodes:), but this file holds a {_kind(data)}")
            return LoadResult(None, self.diagnostics)
        graph = self.build(data)
        if graph is not None:
            graph.document = YamlDocument(text)
        # In file order, as an editor shows them (problems without a line first).
        self.diagnostics.sort(key=lambda d: d.line or 0)
        return LoadResult(graph, self.diagnostics)

    # -- the top level -----------------------------------------------------------------------
    def build(self, data: dict[str, Any]) -> Graph | None:
        version = data.get("thyra")
        if "thyra" not in data:
            self.problem((), "this is not a Thyra graph file: add 'thyra: 1' as its first line")
        elif not isinstance(version, int) or isinstance(version, bool) or version != FORMAT_VERSION:
            hint = "a newer Thyra wrote it: upgrade Thyra" if isinstance(version, int) and version > FORMAT_VERSION else f"this Thyra reads format {FORMAT_VERSION}"
            self.problem(("thyra",), f"unsupported graph format version {version!r}: {hint}")
            return None
        unknown_top = {}
        for key in data:
            if key not in TOP_KEYS:
                self.problem((key,), f"unknown top-level key {key!r}{_closest(str(key), TOP_KEYS)}; allowed: {', '.join(TOP_KEYS)}")
                unknown_top[key] = data[key]
        name = data.get("name", Path(self.source).stem)
        if not isinstance(name, str):
            self.problem(("name",), "'name' must be a string")
            name = Path(self.source).stem
        description = data.get("description", "")
        if not isinstance(description, str):
            self.problem(("description",), "'description' must be a string")
            description = ""
        graph = Graph(self.registry, name=name, description=description, base_dir=self.base_dir)
        self.kept = graph.kept
        self.kept.top.update(unknown_top)
        nodes = data.get("nodes")
        if nodes is None:
            self.problem(("nodes",), "the file has no nodes: list them under 'nodes:' (see graphs/quickstart.yaml)")
            nodes = {}
        elif not isinstance(nodes, dict):
            self.problem(("nodes",), f"'nodes' must be a mapping of node id to node, got a {_kind(nodes)}")
            nodes = {}
        self.declared_ids = {str(k) for k in nodes}
        bodies = {}
        for node_id, body in nodes.items():
            if self.add_node(graph, node_id, body):
                bodies[node_id] = body
            elif isinstance(node_id, str):
                self.kept.node(node_id, body)  # written back as it is, never dropped by a save
        for node_id, body in bodies.items():
            self.add_inputs(graph, node_id, body.get("inputs"))
        self.check_cycles(graph)
        self.load_inputs(graph, data.get("inputs"))
        fed = {split_ref(ref) for refs in graph.inputs.values() for ref in refs}
        for node_id in bodies:
            for port in graph.missing_inputs(node_id):
                if (node_id, port) in fed:
                    continue  # the graph's own input: fed by whatever uses it as a subgraph
                if node_id in graph.nodes and port not in self.broken_inputs.get(node_id, ()):
                    inp = graph.spec(node_id).input(port)
                    self.problem(("nodes", node_id), f"required input {port!r} ({inp.type.type_name}) is not connected: add 'inputs: {{{port}: OTHER_NODE.OUTPUT}}'", node_id)
        self.load_outputs(graph, data.get("outputs"))
        self.load_ui(graph, data.get("ui"))
        return graph

    def load_inputs(self, graph: Graph, inputs: Any) -> None:
        """``inputs:`` names the inner inputs a graph used as a subgraph takes from outside."""
        if inputs is None:
            return
        if not isinstance(inputs, dict):
            self.problem(("inputs",), f"'inputs' must map an input name to 'node.input' (or a list of them), got a {_kind(inputs)}")
            return
        for name, refs in inputs.items():
            at = ("inputs", name)
            if not isinstance(name, str) or not PORT_PATTERN.match(name):
                self.problem(at, f"input name {name!r} must be lowercase_with_underscores")
                continue
            refs = [refs] if isinstance(refs, str) else refs
            if not isinstance(refs, list) or not refs:
                self.problem(at, f"input {name!r} must name 'node.input' or a list of them")
                continue
            kept = []
            for ref in refs:
                if not isinstance(ref, str) or ref.count(".") != 1 or not all(ref.split(".")):
                    self.problem(at, f"input {name!r}: {ref!r} is not a reference; write it as 'node.input'")
                    continue
                node_id, port = ref.split(".")
                if node_id not in graph.nodes:
                    if node_id not in self.declared_ids:
                        self.problem(at, f"input {name!r} feeds node {node_id!r}, which is not in this graph{_closest(node_id, graph.nodes)}")
                    continue
                spec = graph.spec(node_id)
                if spec.input(port) is None:
                    self.problem(at, f"input {name!r}: node {node_id!r} ({spec.id}) has no input {port!r}; its inputs: {', '.join(i.name for i in spec.inputs) or 'none'}", node_id)
                    continue
                if port in graph.nodes[node_id].inputs:
                    self.problem(at, f"input {name!r} feeds {ref}, which is linked inside the graph already: remove one of the two", node_id)
                    continue
                kept.append(ref)
            if kept:
                graph.inputs[name] = kept

    def load_outputs(self, graph: Graph, outputs: Any) -> None:
        """``outputs:`` lists the 'node.output' values the graph reports when it runs."""
        if outputs is None:
            return
        if not isinstance(outputs, list):
            self.problem(("outputs",), f"'outputs' must be a list of 'node.output', got a {_kind(outputs)}")
            return
        for i, ref in enumerate(outputs):
            if not isinstance(ref, str) or ref.count(".") != 1 or not all(ref.split(".")):
                self.problem(("outputs", i), f"output {ref!r} is not a reference; write it as 'node.output'")
                continue
            node_id, port = ref.split(".")
            if node_id not in graph.nodes:
                if node_id not in self.declared_ids:
                    self.problem(("outputs", i), f"output {ref!r} refers to node {node_id!r}, which is not in this graph{_closest(node_id, graph.nodes)}")
                continue
            spec = graph.spec(node_id)
            if spec.output(port) is None:
                self.problem(("outputs", i), f"output {ref!r}: node {node_id!r} ({spec.id}) has no output {port!r}; its outputs: {', '.join(o.name for o in spec.outputs)}", node_id)
                continue
            if ref not in graph.outputs:
                graph.outputs.append(ref)

    # -- one node ----------------------------------------------------------------------------
    def add_node(self, graph: Graph, node_id: Any, body: Any) -> bool:
        at = ("nodes", node_id)
        if not isinstance(node_id, str) or not NODE_ID_PATTERN.match(node_id):
            self.problem(at, f"node id {node_id!r} must start with a letter or '_' and hold only letters, digits, '_' or '-' (no dots: dots separate node and port)", str(node_id))
            return False
        if not isinstance(body, dict):
            self.problem(at, f"a node is a mapping with at least 'type:', got a {_kind(body)}", node_id)
            return False
        unknown = [key for key in body if key not in NODE_KEYS]
        for key in unknown:
            self.problem(at + (key,), f"unknown key {key!r}{_closest(str(key), NODE_KEYS)}; a node may have: {', '.join(NODE_KEYS)}", node_id)
        type_id = body.get("type")
        if not isinstance(type_id, str):
            self.problem(at, "the node has no 'type:' (a node type id such as io.load_image)", node_id)
            return False
        spec = self.registry.get(type_id)
        reported = len(self.diagnostics)
        if spec is None:
            spec = self.subgraph(graph, node_id, type_id)
        if spec is None:
            if len(self.diagnostics) == reported:
                self.problem(at + ("type",), f"unknown node type {type_id!r}{self.registry.suggest_suffix(type_id)}; {missing_type_hint(self.registry, type_id)}", node_id)
            return False
        missing = spec.missing_requirements()
        if missing:
            self.problem(at + ("type",), f"node type {type_id!r} needs {', '.join(missing)}, which is not installed: install it ({spec.install_hint()}) to run this node", node_id)
        params = body.get("params") or {}
        raw_params = None
        if not isinstance(params, dict):
            self.problem(at + ("params",), f"'params' must be a mapping of name to value, got a {_kind(params)}", node_id)
            raw_params, params = params, {}
        params = self.migrate(spec, node_id, body.get("version"), params)
        if params is None:
            return False
        graph.add_node(type_id, node_id)
        for key in unknown:
            self.kept.key(node_id, key, body[key])
        if raw_params is not None:
            self.kept.key(node_id, "params", raw_params)
        for name, value in params.items():
            param = spec.param(name) if isinstance(name, str) else None
            if param is None:
                known = ", ".join(p.name for p in spec.params) or "none"
                self.problem(at + ("params", name), f"unknown parameter {name!r}{_closest(str(name), [p.name for p in spec.params])}; {type_id} parameters: {known}", node_id)
                self.kept.param(node_id, name, value)
                continue
            try:
                graph.nodes[node_id].params[name] = param.coerce(value)
            except ParamError as exc:
                self.problem(at + ("params", name), f"parameter {name!r}: {exc}", node_id)
                self.kept.param(node_id, name, value)
        if "title" in body:
            if isinstance(body["title"], str):
                graph.nodes[node_id].title = body["title"]
            else:
                self.problem(at + ("title",), "'title' must be a string", node_id)
        return True

    def subgraph(self, graph: Graph, node_id: str, type_id: str) -> NodeSpec | None:
        """A subgraph the registry does not hold: a file beside this one, or a library file not
        read yet. Its problems (not allowed, missing, broken, a cycle) are this node's."""
        try:
            spec = resolve_type(type_id, self.registry, self.base_dir)
        except SubgraphError as exc:
            self.problem(("nodes", node_id, "type"), str(exc), node_id)
            return None
        if spec is not None and spec.id not in self.registry:
            self.registry = graph.registry = with_spec(self.registry, spec)
        return spec

    def migrate(self, spec: NodeSpec, node_id: str, version: Any, params: dict[str, Any]) -> dict[str, Any] | None:
        at = ("nodes", node_id, "version")
        if version is None or version == spec.version:
            return params
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.problem(at, f"'version' must be a positive integer, got {version!r}", node_id)
            return None
        if version > spec.version:
            self.problem(at, f"the file needs version {version} of {spec.id}, but this installation has version {spec.version}: upgrade Thyra or the plugin that provides it", node_id)
            return None
        for v in range(version, spec.version):
            step = spec.migrations.get(v)
            if step is None:
                self.problem(at, f"{spec.id} version {version} cannot be upgraded to version {spec.version} (no migration from version {v}): re-create the node in the editor and set its parameters again", node_id)
                return None
            try:
                params = dict(step(dict(params)))
            except Exception as exc:  # a plugin's migration: report, never crash the load
                self.problem(at, f"migrating {spec.id} from version {v} failed: {exc}", node_id)
                return None
        return params

    def add_inputs(self, graph: Graph, node_id: str, inputs: Any) -> None:
        at = ("nodes", node_id, "inputs")
        broken = self.broken_inputs.setdefault(node_id, set())
        if inputs is None:
            return
        if not isinstance(inputs, dict):
            self.problem(at, f"'inputs' must be a mapping of input name to 'node.output', got a {_kind(inputs)}", node_id)
            broken.update(i.name for i in graph.spec(node_id).inputs)  # not "missing" as well
            self.kept.key(node_id, "inputs", inputs)
            return
        spec = graph.spec(node_id)
        for port, ref in inputs.items():
            self.kept.input(node_id, port, ref)  # until it is linked below
            where = at + (port,)
            inp = spec.input(port) if isinstance(port, str) else None
            if inp is None:
                known = ", ".join(i.name for i in spec.inputs) or "none"
                self.problem(where, f"unknown input {port!r}{_closest(str(port), [i.name for i in spec.inputs])}; {spec.id} inputs: {known}", node_id)
                continue
            broken.add(port)
            if not isinstance(ref, str) or ref.count(".") != 1 or not all(ref.split(".")):
                self.problem(where, f"input {port!r}: {ref!r} is not a link; write it as 'node.output'", node_id)
                continue
            src_id, src_port = ref.split(".")
            if src_id not in graph.nodes:
                if src_id in self.declared_ids:
                    continue  # that node has its own error already
                self.problem(where, f"input {port!r} refers to node {src_id!r}, which is not in this graph{_closest(src_id, graph.nodes)}", node_id)
                continue
            src_spec = graph.spec(src_id)
            output = src_spec.output(src_port)
            if output is None:
                known = ", ".join(o.name for o in src_spec.outputs)
                self.problem(where, f"input {port!r}: node {src_id!r} ({src_spec.id}) has no output {src_port!r}{_closest(src_port, [o.name for o in src_spec.outputs])}; its outputs: {known}", node_id)
                continue
            if not is_compatible(output.type, inp.type):
                self.problem(where, f"type mismatch: {src_id}.{src_port} is {output.type.type_name} but input {port!r} of {spec.id} takes {inp.type.type_name}; insert a node that converts {output.type.type_name} to {inp.type.type_name}", node_id)
                continue
            graph._link(src_id, src_port, node_id, port)
            broken.discard(port)
            del self.kept.inputs[node_id][port]
        if not self.kept.inputs.get(node_id, True):
            del self.kept.inputs[node_id]

    def check_cycles(self, graph: Graph) -> None:
        for component in nx.strongly_connected_components(graph.dag):
            if len(component) > 1 or any(graph.dag.has_edge(n, n) for n in component):
                ordered = [n for n in graph.nodes if n in component]
                try:
                    cycle = [edge[0] for edge in nx.find_cycle(graph.dag.subgraph(component))]
                except nx.NetworkXNoCycle:
                    cycle = ordered
                loop = " → ".join(cycle + [cycle[0]])
                self.problem(("nodes", ordered[0], "inputs"), f"cycle: {loop}; a graph must not feed a node's output back into itself: remove one of these links", ordered[0])
                for node_id in ordered:  # keep the graph a DAG so the rest can still be checked
                    for port, (src, _port) in list(graph.nodes[node_id].inputs.items()):
                        if src in component:
                            graph.disconnect(f"{node_id}.{port}")
                            self.broken_inputs.setdefault(node_id, set()).add(port)
                            self.kept.input(node_id, port, f"{src}.{_port}")

    def load_ui(self, graph: Graph, ui: Any) -> None:
        if ui is None:
            return
        if not isinstance(ui, dict):
            self.problem(("ui",), "'ui' must be a mapping", severity="warning")
            return
        graph.ui = ui
        positions = ui.get("positions", {})
        if not isinstance(positions, dict):
            self.problem(("ui", "positions"), "'ui.positions' must map node ids to [x, y]", severity="warning")
            graph.ui["positions"] = {}


# -- saving -------------------------------------------------------------------------------
def graph_to_data(graph: Graph) -> dict[str, Any]:
    """The graph as plain data in graph-file layout (node order and declaration order kept)."""
    nodes: dict[str, Any] = {}
    for node_id, node in graph.nodes.items():
        spec = graph.registry[node.type_id]
        body: dict[str, Any] = {"type": node.type_id, "version": spec.version}
        if node.title:
            body["title"] = node.title
        inputs = {i.name: f"{node.inputs[i.name][0]}.{node.inputs[i.name][1]}" for i in spec.inputs if i.name in node.inputs}
        if inputs:
            body["inputs"] = inputs
        params = {p.name: node.params[p.name] for p in spec.params if p.name in node.params}
        if params:
            body["params"] = params
        nodes[node_id] = graph.kept.merge_node(node_id, body)
    for node_id, body in graph.kept.nodes.items():  # nodes that did not load, as written
        nodes.setdefault(node_id, body)
    data: dict[str, Any] = {"thyra": FORMAT_VERSION, "name": graph.name}
    if graph.description:
        data["description"] = graph.description
    if graph.inputs:
        data["inputs"] = {k: (v[0] if len(v) == 1 else list(v)) for k, v in graph.inputs.items()}
    data["nodes"] = nodes
    for key, value in graph.kept.top.items():
        data.setdefault(key, value)
    if graph.outputs:
        data["outputs"] = list(graph.outputs)
    ui = dict(graph.ui)
    positions = {k: v for k, v in (ui.get("positions") or {}).items() if k in nodes}
    if positions:
        ui["positions"] = {k: positions[k] for k in nodes if k in positions}
    else:
        ui.pop("positions", None)
    if ui:
        data["ui"] = ui
    return data


def dumps(graph: Graph) -> str:
    """The graph file's text: the file it was loaded from with only the edits applied (its
    comments and layout kept), or a new file in the standard layout."""
    data = graph_to_data(graph)
    if graph.document is None or not isinstance(graph.document.tree, dict):
        return dump_yaml(data)
    if "name" not in graph.document.tree and graph.source is not None and data["name"] == graph.source.stem:
        del data["name"]  # the file's name is still the graph's name, as when it was read
    written = graph.document.tree.get("nodes")
    if isinstance(written, dict):
        renames = renamed(written, data["nodes"])  # as the document takes them
        for node_id, body in data["nodes"].items():
            old = written.get(renames.get(node_id, node_id))
            if isinstance(old, dict) and node_id in graph.nodes:  # a kept broken node is as written already
                _keep_as_written(graph.spec(node_id), old, body)
    graph.document.update(data)
    return graph.document.dumps()


def _keep_as_written(spec: NodeSpec, written: dict[str, Any], body: dict[str, Any]) -> None:
    """Leave what the file says as it is where it still means the same, so that saving
    changes only the lines of real edits."""
    # Without 'version:' a node is read as the current version, which is what it still is.
    if "version" not in written:
        del body["version"]
    old_params, params = written.get("params"), body.get("params", {})
    if not isinstance(old_params, dict):
        return
    for name, value in params.items():
        param = spec.param(name)
        with suppress(ParamError):
            # '{0: x}' in a json param is {'0': x}: the same value, written as the user wrote it
            if param is not None and name in old_params and param.coerce(old_params[name]) == value:
                params[name] = old_params[name]


def save_graph(graph: Graph, path: str | Path) -> Path:
    """Write the graph file atomically. Saving to another folder rebases relative paths."""
    path = Path(path)
    target_dir = path.resolve().parent
    if target_dir != graph.base_dir.resolve():
        _rebase_paths(graph, target_dir)
    atomic.write_text(path, dumps(graph))  # makes the folder when it is missing
    graph.source = path.resolve()
    return path


def _rebase_paths(graph: Graph, new_dir: Path) -> None:
    """Keep relative path parameters pointing at the same files from the new folder."""
    for node in graph.nodes.values():
        spec = graph.registry[node.type_id]
        for param in spec.params:
            value = node.params.get(param.name)
            if (param.kind == "path" and isinstance(value, str) and not Path(value).is_absolute()
                    and not value.startswith("~") and not is_sample_ref(value)):
                absolute = os.path.normpath(graph.base_dir.resolve() / value)
                try:
                    node.params[param.name] = Path(os.path.relpath(absolute, new_dir)).as_posix()
                except ValueError:  # another drive on Windows
                    node.params[param.name] = Path(absolute).as_posix()
    graph.base_dir = new_dir


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number", bool: "boolean", type(None): "nothing"}.get(type(value), type(value).__name__)
