"""What a batch runs over: the files of a glob or a folder, or the rows of a CSV/JSONL file.

Each input is a :class:`BatchInput`: a label for the summary, the param values it sets
(``{"load.path": "/data/a.png"}``) and the file it stands for (which fills ``{stem}``,
``{relpath}`` ... in output paths).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "rows.csv").write_text("load.path,blur.sigma\\na.png,1.5\\n", encoding="utf-8")
    >>> [i.values for i in read_inputs(str(folder / "rows.csv"), bind=None)]
    [{'load.path': 'a.png', 'blur.sigma': 1.5}]
"""

from __future__ import annotations

import csv
import glob
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from thyra_graph.engine.graph import Graph, _closest

#: Files read as tables of parameter rows (one run per row) rather than as one input.
TABLE_SUFFIXES = (".csv", ".jsonl")
#: Rows read at most from one table: a batch file is untrusted input too.
MAX_ROWS = 1_000_000


class BatchError(ValueError):
    """A batch cannot start (bad --over/--bind, colliding outputs): one paragraph, exit 2."""


@dataclass(frozen=True)
class BatchInput:
    """One run of a batch: the params it sets and the file it stands for."""

    label: str
    values: dict[str, Any]
    #: The input file (fills {stem}, {name}, {parent}, {relpath}); for a table row, its
    #: first path value (set by plan.py, which knows which params are paths).
    file: str | None = None
    #: The folder ``{relpath}`` is taken from (the part of the glob before its first
    #: wildcard), and for a table row the folder its relative paths start from.
    root: str | None = None


def read_inputs(over: str, *, bind: Sequence[str] | str | None, cwd: str | None = None) -> list[BatchInput]:
    """The inputs ``--over`` names: a table (.csv/.jsonl) of rows, a folder, or a glob.

    Files of a glob or folder are bound to the ``bind`` param(s) (each gets the file's
    absolute path); a table's columns name the params themselves (``load.path``, ``blur.sigma``),
    and relative paths in it are taken from the table's folder.
    """
    cwd = cwd or os.getcwd()
    binds = [bind] if isinstance(bind, str) else list(bind or ())
    expanded = os.path.expanduser(over)
    absolute = expanded if os.path.isabs(expanded) else os.path.join(cwd, expanded)
    if os.path.isfile(absolute) and absolute.lower().endswith(TABLE_SUFFIXES):
        return _table_rows(Path(absolute), binds)
    if not binds:
        raise BatchError(f"--over {over!r} gives files, and each needs a parameter to go to: add --bind NODE.PARAM, "
                         "e.g. --over 'videos/*.mp4' --bind load.path (or give a .csv/.jsonl file whose columns name "
                         "the parameters)")
    if os.path.isdir(absolute):
        root = absolute
        files = sorted(str(p) for p in Path(absolute).iterdir() if p.is_file() and not p.name.startswith("."))
        where = f"the folder {over!r}"
    else:
        root = _glob_root(absolute)
        files = sorted(p for p in glob.glob(absolute, recursive=True) if os.path.isfile(p))
        where = f"--over {over!r}"
    if not files:
        raise BatchError(f"{where} matches no file (relative patterns start from {cwd}); check the pattern "
                         "and quote it so the shell does not expand it: --over 'videos/*.mp4'")
    return [BatchInput(label=os.path.relpath(f, cwd) if not os.path.isabs(over) else f,
                       values={b: os.path.abspath(f) for b in binds}, file=os.path.abspath(f), root=root)
            for f in files]


def check_binds(graph: Graph, names: Sequence[str], *, where: str = "--bind") -> None:
    """Refuse a bound NODE.PARAM that is not in the graph, naming the closest real ones."""
    for name in names:
        node_id, dot, param = name.partition(".")
        if not dot or not node_id or not param:
            raise BatchError(f"{where} {name!r}: write it as NODE.PARAM, e.g. load.path")
        if node_id not in graph.nodes:
            raise BatchError(f"{where} {name!r}: the graph has no node {node_id!r}{_closest(node_id, graph.nodes)}")
        spec = graph.spec(node_id)
        if spec.param(param) is None:
            known = ", ".join(p.name for p in spec.params) or "none"
            raise BatchError(f"{where} {name!r}: node {node_id!r} ({spec.id}) has no parameter {param!r} "
                             f"(its parameters: {known})")


def _glob_root(pattern: str) -> str:
    """The folder part of ``pattern`` before its first wildcard: where ``{relpath}`` starts."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else os.sep


def _table_rows(path: Path, binds: list[str]) -> list[BatchInput]:
    if binds:
        raise BatchError(f"--over {str(path)!r} is a table whose columns name the parameters: drop --bind "
                         "(or name the columns NODE.PARAM, e.g. load.path)")
    rows = _read_csv(path) if path.suffix.lower() == ".csv" else _read_jsonl(path)
    if not rows:
        raise BatchError(f"{str(path)!r} holds no rows: add one row per run (columns named NODE.PARAM)")
    inputs = []
    for number, row in enumerate(rows, start=2 if path.suffix.lower() == ".csv" else 1):
        # Which columns are paths the graph decides: plan.py resolves them against ``root``.
        inputs.append(BatchInput(label=f"{path.name}:{number}", values=dict(row), root=str(path.parent)))
    return inputs


def _read_csv(path: Path) -> list[dict[str, Any]]:
    from thyra_graph.engine.yamlfile import parse_yaml

    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = []
        for number, row in enumerate(reader, start=2):
            if len(rows) >= MAX_ROWS:
                raise BatchError(f"{str(path)!r} has more than {MAX_ROWS} rows: split it into several batches")
            if None in row or any(v is None for v in row.values()):
                raise BatchError(f"{str(path)!r} line {number}: the row has not as many cells as the header has columns")
            rows.append({k.strip(): _cell(v, parse_yaml) for k, v in row.items()})
    return rows


def _cell(text: str, parse_yaml) -> Any:
    """A CSV cell read as the graph file reads values (3, 0.5, true, [1, 2]); paths stay text."""
    parsed = parse_yaml(text) if text.strip() else None
    if parsed is None or parsed.fatal or isinstance(parsed.data, (dict, type(None))):
        return text
    return parsed.data


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if len(rows) >= MAX_ROWS:
                raise BatchError(f"{str(path)!r} has more than {MAX_ROWS} rows: split it into several batches")
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise BatchError(f"{str(path)!r} line {number}: not JSON ({exc}); write one object per line, "
                                 'e.g. {"load.path": "a.png", "blur.sigma": 2}') from None
            if not isinstance(row, dict):
                raise BatchError(f"{str(path)!r} line {number}: a row is a JSON object of NODE.PARAM: value")
            rows.append(row)
    return rows
