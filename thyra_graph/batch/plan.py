"""A batch plan: the exact params of every run, checked before anything runs.

Output paths of sinks may hold placeholders filled per input:

- ``{stem}``: the input's file name without its suffix (``cars``);
- ``{name}``: the file name (``cars.png``);
- ``{parent}``: the name of the input's folder (``scenes1``);
- ``{relpath}``: the input's path below the glob's fixed folder, without suffix
  (``--over 'data/**/*.png'`` gives ``scenes1/cars`` for ``data/scenes1/cars.png``);
- ``{index}``: the input's position in the batch (0, 1, ...).

Two runs that would write the same file are refused before anything runs, naming both inputs
(``--over 'scenes*/cars.png'`` with ``out/{stem}.png``): use ``{relpath}`` or ``{parent}``.
A sink with ``merge: true`` (export.coco) is meant to collect every input in one file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from thyra_graph.engine.graph import Graph

from .inputs import BatchError, BatchInput, check_binds

PLACEHOLDER = re.compile(r"\{(stem|name|parent|relpath|index)\}")


@dataclass(frozen=True)
class BatchJob:
    """One run: its position, a label for the summary, and every param value it sets."""

    index: int
    label: str
    values: dict[str, Any]
    #: The files and folders its sinks write (absolute), for --resume and collision checks.
    writes: tuple[str, ...] = ()


def plan_batch(graph: Graph, inputs: Sequence[BatchInput], *, nodes: Iterable[str] | None = None,
               parallel: bool = False) -> list[BatchJob]:
    """Every run's params: inputs bound, output placeholders filled; refused with a
    :class:`BatchError` if a value does not fit its param or two runs would write one file.

    ``nodes``: the nodes that will run (default all); ``parallel``: whether runs may overlap
    (a merging sink shared by all runs then cannot be used).
    """
    order = list(nodes) if nodes is not None else list(graph.nodes)
    names = sorted({name for item in inputs for name in item.values})
    check_binds(graph, names)
    templates = _templates(graph, order)
    jobs, owners = [], {}
    shared_merges: set[str] = set()
    for index, item in enumerate(inputs):
        values = {name: _value(graph, name, value, item) for name, value in item.values.items()}
        file = item.file or next((v for n, v in values.items() if _kind(graph, n) == "path" and isinstance(v, str) and v), None)
        for name, template in templates.items():
            if name not in values:
                values[name] = _fill(template, file, item.root, index, label=item.label, param=name)
        writes = []
        for name in _write_params(graph, order):
            raw = values.get(name, _current(graph, name))
            if not isinstance(raw, str) or not raw.strip():
                continue
            target = str(graph.resolve_path(raw))
            writes.append(target)
            if _merges(graph, name, values):
                shared_merges.add(name)
                continue
            if target in owners and owners[target][0] != index:
                other = owners[target][1]
                raise BatchError(
                    f"two inputs would write the same file {target!r} ({name}): {other!r} and {item.label!r}; the later "
                    "run would replace the earlier one's result. Put {relpath} or {parent} in the output path "
                    f"(e.g. --set {name}='out/{{relpath}}.png'), or {{index}}")
            owners[target] = (index, item.label)
        jobs.append(BatchJob(index=index, label=item.label, values=values, writes=tuple(writes)))
    if parallel and shared_merges and len(jobs) > 1:
        raise BatchError(f"{', '.join(sorted(shared_merges))} merges every input into one file, which runs in parallel "
                         "would overwrite each other's additions: run this batch with --jobs 1")
    return jobs


def uses_gpu(graph: Graph, targets: Sequence[str] = ()) -> bool:
    """Whether a node that will run declares a GPU device."""
    from thyra_graph.engine.planner import make_plan

    return any(graph.spec(n).device != "cpu" for n in make_plan(graph, list(targets) or None).order)


def _templates(graph: Graph, order: Sequence[str]) -> dict[str, str]:
    return {name: value for name in _write_params(graph, order)
            if isinstance(value := _current(graph, name), str) and PLACEHOLDER.search(value)}


def _write_params(graph: Graph, order: Sequence[str]) -> list[str]:
    return [f"{n}.{p.name}" for n in order for p in graph.spec(n).params if p.kind == "path" and p.io == "write"]


def _current(graph: Graph, name: str) -> Any:
    node_id, _, param = name.partition(".")
    return graph.params(node_id).get(param)


def _kind(graph: Graph, name: str) -> str:
    node_id, _, param = name.partition(".")
    return graph.spec(node_id).param(param).kind


def _merges(graph: Graph, name: str, values: dict[str, Any]) -> bool:
    node_id = name.partition(".")[0]
    if graph.spec(node_id).param("merge") is None:
        return False
    return bool(values.get(f"{node_id}.merge", _current(graph, f"{node_id}.merge")))


def _value(graph: Graph, name: str, value: Any, item: BatchInput) -> Any:
    node_id, _, param = name.partition(".")
    declared = graph.spec(node_id).param(param)
    if item.file is not None and declared.kind != "path":
        raise BatchError(f"--bind {name!r} must name a path parameter of a node in the graph (NODE.PARAM), "
                         f"e.g. load.path; {param!r} of {node_id!r} is a {declared.kind} parameter")
    if declared.kind == "path" and isinstance(value, str) and value and item.root is not None:
        value = os.path.normpath(os.path.join(item.root, os.path.expanduser(value)))
    try:
        return declared.coerce(value)
    except ValueError as exc:
        raise BatchError(f"{item.label}: {name} = {value!r}: {exc}") from None


def _fill(template: str, file: str | None, root: str | None, index: int, *, label: str, param: str) -> str:
    def field(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "index":
            return str(index)
        if file is None:
            raise BatchError(f"{param} uses {{{key}}}, but input {label!r} names no file to take it from; "
                             "use {index}, or bind a path column")
        path = Path(file)
        if key == "stem":
            return path.stem
        if key == "name":
            return path.name
        if key == "parent":
            return path.parent.name
        relative = Path(os.path.relpath(path.with_suffix(""), root or path.parent))
        if ".." in relative.parts:
            # {relpath} must stay below the output folder the graph names (writes are confined).
            raise BatchError(f"{param} uses {{relpath}}, but input {label!r} is not below {root!r}; use {{stem}} or {{parent}}")
        return relative.as_posix()

    return PLACEHOLDER.sub(field, template)
