"""Subgraphs: a graph file with declared ``inputs:`` and ``outputs:`` used as one node.

A subgraph file is an ordinary graph file that also says which inner inputs the outside feeds
and which inner outputs it reports::

    inputs: {image: gray.image}          # name -> 'node.input' (or a list of them)
    outputs: [threshold.mask]            # 'node.output'; the port is the name

As a node it has those inputs and outputs, and every parameter of its inner nodes as a
parameter named ``<node>_<param>`` (``blur_sigma``) whose default is the value in the file: an
instance overrides what it sets. When a graph runs, :func:`flatten` replaces each instance by
its inner nodes (ids ``instance/inner``), so inner nodes keep their own cache keys: changing
one inner param of one instance re-runs only that instance's dependants, and two instances
doing identical work share it.

Paths inside a subgraph resolve against the subgraph file's folder, except paths a node
writes, which resolve against the graph that uses it (results land beside that graph, inside
the roots it may write to).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thyra_graph.types import is_compatible

from . import param_conditions
from .declaration import Input, NodeError, NodeSpec, Output, Param, PORT_PATTERN
from .graph import Graph, NodeInstance, split_ref

CATEGORY = "subgraph"
LIBRARY_PREFIX = "subgraph."
#: A graph file may name a subgraph file beside itself, and only there: ``./name.yaml``.
LOCAL_REF = re.compile(r"^\./[A-Za-z0-9_][A-Za-z0-9_\-]*\.ya?ml$")
#: Inner node ids of an expanded instance: ``instance/inner``; '/' cannot occur in a node id.
SEPARATOR = "/"


class SubgraphError(ValueError):
    """A graph cannot serve as a subgraph; the message names the file, the place and the fix."""


def _expanded_only(**values: Any) -> Any:
    raise NodeError("a subgraph node runs as its inner nodes: run it through a graph (thyra run), not on its own")


@dataclass(frozen=True, eq=False)
class SubgraphSpec(NodeSpec):
    """A node type made of a graph: its ports and params come from the inner graph."""

    inner: Graph | None = None
    source: Path | None = None
    #: input name -> the inner (node, input) pairs it feeds
    input_map: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    #: output name -> the inner (node, output) it reports
    output_map: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: param name -> the inner (node, param) it sets
    param_map: dict[str, tuple[str, str]] = field(default_factory=dict)


def is_subgraph(spec: NodeSpec | None) -> bool:
    return isinstance(spec, SubgraphSpec)


def library_id(path: Path) -> str:
    """The type id of a library subgraph file: ``subgraph.<file stem>`` in lowercase."""
    stem = re.sub(r"[^a-z0-9_]", "_", path.stem.lower())
    if not stem or not stem[0].isalpha():
        stem = "g_" + stem
    return LIBRARY_PREFIX + stem


def output_names(refs: list[str]) -> dict[str, str]:
    """'node.output' refs → the subgraph's output names: the port, or 'node_port' when two
    outputs share a port name."""
    ports = [split_ref(ref)[1] or "" for ref in refs]
    names = {}
    for ref, port in zip(refs, ports):
        name = port if ports.count(port) == 1 else f"{split_ref(ref)[0]}_{port}"
        names[ref] = re.sub(r"[^a-z0-9_]", "_", name.lower())
    return names


def _outer_name(node_id: str, inner: str) -> str:
    """The name an instance's param has for ``inner``, a param of its inner node ``node_id``."""
    return re.sub(r"[^a-z0-9_]", "_", f"{node_id}_{inner}".lower())


def spec_from_graph(type_id: str, graph: Graph, *, source: Path | None = None) -> SubgraphSpec:
    """The node type that ``graph`` (loaded from ``source``) is, or :class:`SubgraphError`."""
    where = str(source) if source is not None else graph.name
    if not graph.outputs:
        raise SubgraphError(f"{where}: a subgraph needs declared outputs: add 'outputs: [NODE.OUTPUT]' "
                            "naming what it reports")
    inputs: list[Input] = []
    input_map: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, targets in graph.inputs.items():
        pairs = tuple(split_ref(t) for t in targets)
        ports = [graph.spec(n).input(p) for n, p in pairs]
        first = ports[0]
        for (n, p), port in zip(pairs, ports):
            if not (is_compatible(first.type, port.type) or is_compatible(port.type, first.type)):
                raise SubgraphError(f"{where}: input {name!r} feeds {n}.{p} ({port.type.type_name}) and "
                                    f"{pairs[0][0]}.{pairs[0][1]} ({first.type.type_name}); one input feeds one type: "
                                    "split it into two inputs")
        # The narrowest type: whatever is linked to the outside port fits every inner input.
        narrow = next((q for q in ports if all(is_compatible(q.type, o.type) for o in ports)), first)
        inputs.append(Input(name, narrow.type, required=any(q.required for q in ports), help=narrow.help))
        input_map[name] = pairs
    outputs: list[Output] = []
    output_map: dict[str, tuple[str, str]] = {}
    for ref, name in output_names(graph.outputs).items():
        node_id, port = split_ref(ref)
        out = graph.spec(node_id).output(port)
        outputs.append(Output(name, out.type, help=out.help or f"{ref} inside"))
        output_map[name] = (node_id, port)
    params: list[Param] = []
    param_map: dict[str, tuple[str, str]] = {}
    taken = set(input_map)
    for node_id in graph.nodes:
        inner_spec = graph.spec(node_id)
        values = graph.params(node_id)
        outer = functools.partial(_outer_name, node_id)
        for p in inner_spec.params:
            name = outer(p.name)
            if not PORT_PATTERN.match(name) or name in taken:
                continue  # not nameable from outside; still set inside
            taken.add(name)
            kind = p.plugin_kind if p.plugin_kind is not None else p.kind
            help_text = f"{node_id}: {p.help}" if p.help else f"{p.name} of inner node {node_id}"
            params.append(dataclasses.replace(p, name=name, default=values[p.name], kind=kind, help=help_text,
                                              when=param_conditions.renamed(p.when, outer) or None))
            param_map[name] = (node_id, p.name)
    specs = [graph.spec(n) for n in graph.nodes]
    return SubgraphSpec(
        id=type_id, version=1, category=CATEGORY, func=_expanded_only,
        inputs=tuple(inputs), outputs=tuple(outputs), params=tuple(params),
        title=graph.name.replace("_", " ").replace("-", " ").capitalize() if graph.name else type_id,
        doc=graph.description or f"Subgraph {graph.name} ({len(graph.nodes)} nodes).",
        deterministic=all(s.deterministic for s in specs),
        device="gpu" if any(s.device == "gpu" for s in specs) else "cpu",
        requires=tuple(dict.fromkeys(r for s in specs for r in s.requires)),
        inner=graph, source=source, input_map=input_map, output_map=output_map, param_map=param_map,
    )


# -- expansion ------------------------------------------------------------------------------
@dataclass
class Flat:
    """A graph with every subgraph instance replaced by its inner nodes."""

    graph: Graph
    #: (instance, output) of the original graph -> (flat node, output)
    outputs: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: (instance, input) of the original graph -> the flat (node, input) pairs it feeds
    inputs: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    #: instance id -> the flat ids of its inner nodes
    members: dict[str, list[str]] = field(default_factory=dict)

    def output(self, node_id: str, port: str) -> tuple[str, str]:
        return self.outputs.get((node_id, port), (node_id, port))

    def ref(self, ref: str) -> str:
        """An original 'node.output' (or 'node') as a flat ref; an instance alone stands for its outputs."""
        node_id, port = split_ref(ref)
        if port is None:
            return ref
        return ".".join(self.output(node_id, port))

    def owner(self, flat_id: str) -> str:
        """The node of the original graph a flat node belongs to."""
        return flat_id.split(SEPARATOR, 1)[0]


def has_subgraphs(graph: Graph) -> bool:
    registry = graph.registry
    return any(isinstance(registry.get(n.type_id), SubgraphSpec) for n in graph.nodes.values())


def flatten(graph: Graph) -> Flat:
    """``graph`` with each subgraph instance expanded (recursively); ``graph`` itself if it has none."""
    if not has_subgraphs(graph):
        return Flat(graph)
    flat = Graph(graph.registry, name=graph.name, description=graph.description, base_dir=graph.base_dir)
    flat.source = graph.source
    result = Flat(flat)
    for node in graph.nodes.values():
        spec = graph.registry.get(node.type_id)
        if not isinstance(spec, SubgraphSpec):
            _copy(flat, node, node.id, lambda v, p: v)
            continue
        inner = _flatten_instance(spec, node, graph)
        prefix = node.id + SEPARATOR
        renamed = {fid: prefix + fid for fid in inner.graph.nodes}
        result.members[node.id] = list(renamed.values())
        for fid, fnode in inner.graph.nodes.items():
            _copy(flat, fnode, renamed[fid], _absolute_reads(inner.graph))
        for src, out, dst, port in inner.graph.links():
            flat._link(renamed[src], out, renamed[dst], port)
        for name, (n, p) in spec.output_map.items():
            src, out = inner.output(n, p)
            result.outputs[(node.id, name)] = (renamed[src], out)
        for name, pairs in spec.input_map.items():
            result.inputs[(node.id, name)] = [
                (renamed[fn], fp) for n, p in pairs for fn, fp in inner.inputs.get((n, p), [(n, p)])]
    for src, out, dst, port in graph.links():
        fsrc, fout = result.output(src, out)
        for fdst, fport in result.inputs.get((dst, port), [(dst, port)]):
            flat._link(fsrc, fout, fdst, fport)
    flat.outputs = [result.ref(ref) for ref in graph.outputs]
    return result


def _flatten_instance(spec: SubgraphSpec, node: NodeInstance, outer: Graph) -> Flat:
    """The instance's inner graph with its overrides applied, expanded."""
    inner = spec.inner
    copy = Graph(inner.registry, name=inner.name, base_dir=inner.base_dir)
    for inode in inner.nodes.values():
        copy.nodes[inode.id] = dataclasses.replace(inode, params=dict(inode.params), inputs=dict(inode.inputs))
        copy.dag.add_node(inode.id)
    for src, out, dst, port in inner.links():
        copy._link(src, out, dst, port)
    for name, value in node.params.items():
        target = spec.param_map.get(name)
        if target is None:
            continue
        inner_id, inner_param = target
        declared = copy.spec(inner_id).param(inner_param)
        if declared is not None and declared.kind == "path" and declared.io != "write" and isinstance(value, str):
            value = outer.resolve_path(value).as_posix()  # the instance's paths are relative to its own graph
        copy.nodes[inner_id].params[inner_param] = value
    copy.outputs = list(inner.outputs)
    return flatten(copy)


def _absolute_reads(graph: Graph):
    def convert(value: Any, param: Param) -> Any:
        if param.kind == "path" and param.io != "write" and isinstance(value, str):
            return graph.resolve_path(value).as_posix()
        return value
    return convert


def _copy(flat: Graph, node: NodeInstance, new_id: str, convert) -> None:
    """Add ``node`` to ``flat`` as ``new_id``, without its links (made once every node exists)."""
    spec = flat.registry[node.type_id]
    params = {}
    for name, value in node.params.items():
        declared = spec.param(name)
        params[name] = convert(value, declared) if declared is not None else value
    flat.nodes[new_id] = NodeInstance(new_id, node.type_id, params, {}, node.title)
    flat.dag.add_node(new_id)
    flat.revision += 1

