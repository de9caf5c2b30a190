"""Lines of code of issue 12's refactor: the YAML layer and the one store, before and after.

    .venv/bin/python benchmarks/refactor_lines.py [--base efdb187] [--files]

Issue 12 replaced the hand-written YAML layer by ruamel.yaml's round-trip mode and five private
stores by one store owned by the engine; its acceptance asks that the net lines of code of
``thyra_graph/`` for this refactor go down. This script counts both sides of that refactor:
the code at ``--base`` (efdb187, before issue 12, read with ``git show``) and the working tree.

What counts, per concern (whole files unless names are given; a named class counts whole,
``Class.method`` one method, with its decorators, and a module-level name its assignment).
A file that only this refactor changed since the base counts whole on both sides, so what is
left in the old places counts too:

- graph files as YAML: before, ``engine/yamlfile.py`` (the hand-written layer on PyYAML's
  composer: reading, line map, bounds, tags, writing); after, ``engine/yamlfile.py`` (reading on
  ruamel.yaml and libyaml) and ``engine/yamlwrite.py`` (writing, keeping the file's lines;
  ``engine/yamlfast.py``, a second reader for plain files, was merged into yamlfile.py). In
  ``engine/graphfile.py`` the
  functions between text and graph on both sides: ``_Loader.load``, ``dumps``, ``save_graph``,
  and after also ``_keep_as_written`` (saving what the file says where it still means the same).
  The rest of graphfile.py checks the graph's data and grew for other issues (subgraph inputs
  and outputs, kept broken parts: engine/kept.py), so it is not counted on either side.
- the store: before, ``engine/diskcache.py``; after, ``engine/store.py``, ``engine/atomic.py``,
  ``engine/chunks.py``, ``engine/diskcache.py`` and ``engine/sizes.py`` (the size limit's
  parser, shared with the model budgets), whole (they exist for this refactor), and in
  ``engine/context.py`` what serves the store's ``--no-cache`` run (``chunk_folder`` and its
  process-wide temporary folder, ``_process_temporary_root``).
- the private copies it replaced, on both sides: ``nodes/label/answer_cache.py`` (VLM answers),
  ``nodes/segment/embedding_cache.py`` (SAM 2 embeddings), ``types/field_sequence.py`` (its
  chunk writer moved to ``engine/chunks.py``), the editor's ``recovery.py`` and
  ``recent_files.py``, all whole, and the sinks' atomic write (``nodes/io/paths.py``'s
  ``atomic_write``: the rest of that file changed for other issues), and where the wave solver
  puts its chunks (``nodes/sim/wave_solve.py``'s ``_fields_root``).

Left out on both sides, as not part of the refactor: the call sites that moved from
``ctx.cache_dir`` to ``ctx.memo``/``ctx.chunk_folder`` (a line or two each, mixed with other
issues' edits), the ``thyra cache`` CLI (its ``prune`` and usage-by-node-type are features the
issue added; their store side, ``Store.prune``/``Store.usage``, is counted), and honest keys
(``engine/code_version.py``: a feature, not a replacement).

A line of code is a physical line holding a token that is not a comment, and not part of a
docstring (a string expression as the first statement of a module, class or function). Physical
lines are counted too. PASS when the refactor's lines of code after are fewer than before.
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "efdb187"

# (concern, path, names or None for the whole file)
Selection = list[tuple[str, str, tuple[str, ...] | None]]

# Counted at the base and in the working tree alike (the old places of the private copies).
BOTH_SIDES: Selection = [
    ("yaml", "thyra_graph/engine/yamlfile.py", None),
    ("store", "thyra_graph/engine/diskcache.py", None),
    ("store", "thyra_graph/nodes/label/answer_cache.py", None),
    ("store", "thyra_graph/nodes/segment/embedding_cache.py", None),
    ("store", "thyra_graph/types/field_sequence.py", None),
    ("store", "thyra_graph/nodes/io/paths.py", ("atomic_write",)),
    ("store", "thyra_graph/editor/recovery.py", None),
    ("store", "thyra_graph/editor/recent_files.py", None),
    ("store", "thyra_graph/nodes/sim/wave_solve.py", ("_fields_root",)),
]

BEFORE: Selection = [
    ("yaml", "thyra_graph/engine/graphfile.py", ("_Loader.load", "dumps", "save_graph")),
    *BOTH_SIDES,
]

AFTER: Selection = [
    ("yaml", "thyra_graph/engine/yamlwrite.py", None),
    ("yaml", "thyra_graph/engine/graphfile.py", ("_Loader.load", "dumps", "_keep_as_written", "save_graph")),
    ("store", "thyra_graph/engine/store.py", None),
    ("store", "thyra_graph/engine/atomic.py", None),
    ("store", "thyra_graph/engine/chunks.py", None),
    ("store", "thyra_graph/engine/sizes.py", None),
    ("store", "thyra_graph/engine/context.py", ("_process_temporary_root", "Context.chunk_folder")),
    *BOTH_SIDES,
]

# For information, not for the verdict: what in AFTER does what nothing at the base did (the
# issue's other bullets: sweeping what killed writers left, the size limit with LRU eviction,
# usage by kind and node type; and the edit-in-place save that keeps comments and layout).
NEW_CAPABILITIES: Selection = [
    ("store", "thyra_graph/engine/store.py", ("parse_limit", "Usage", "_sweep_once",
                                              "Store.usage", "Store.prune", "Store._units", "_node_type", "_tally")),
    ("store", "thyra_graph/engine/atomic.py", ("sweep", "_left_behind", "_alive")),
    ("store", "thyra_graph/engine/sizes.py", None),
    ("yaml", "thyra_graph/engine/yamlwrite.py", ("_update_map", "_updated", "_same", "_meaning", "YamlDocument",
                                                 "_patched", "_stretches")),
    ("yaml", "thyra_graph/engine/graphfile.py", ("_keep_as_written",)),
]


@dataclass
class Count:
    code: int
    physical: int


def code_lines(source: str) -> set[int]:
    """The 1-based lines holding code: a token that is neither a comment nor a docstring."""
    docstrings: set[int] = set()
    for owner in ast.walk(ast.parse(source)):
        body = getattr(owner, "body", None)
        if isinstance(owner, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENCODING, tokenize.ENDMARKER}
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines - docstrings


def named_ranges(source: str, names: tuple[str, ...], where: str) -> list[range]:
    """The line ranges of ``names`` (``function``, ``Class``, ``Class.method`` or a module-level
    ``NAME = ...``) in ``source``."""
    tree = ast.parse(source)
    ranges = []
    for name in names:
        scope: list[ast.stmt] = tree.body
        found = None
        for part in name.split("."):
            found = next((n for n in scope if _defines(n, part)), None)
            if found is None:
                raise SystemExit(f"{where}: no {name!r} (part {part!r}): update the file set in {Path(__file__).name}")
            scope = getattr(found, "body", [])
        first = min([found.lineno, *(d.lineno for d in getattr(found, "decorator_list", []))])
        ranges.append(range(first, found.end_lineno + 1))
    return ranges


def _defines(statement: ast.stmt, name: str) -> bool:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return statement.name == name
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return any(isinstance(target, ast.Name) and target.id == name for target in targets)
    return False


def count(source: str, names: tuple[str, ...] | None, where: str) -> Count:
    code = code_lines(source)
    if names is None:
        return Count(len(code), len(source.splitlines()))
    ranges = named_ranges(source, names, where)
    return Count(sum(len(code.intersection(r)) for r in ranges), sum(len(r) for r in ranges))


def read_at(base: str | None, path: str) -> str:
    if base is None:
        return (ROOT / path).read_text(encoding="utf-8")
    return subprocess.run(["git", "show", f"{base}:{path}"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def measure(selection: Selection, base: str | None) -> tuple[dict[str, Count], list[tuple[str, Count]]]:
    """Totals per concern and in all (``"all"``), and a row per file or name list."""
    totals = {"all": Count(0, 0)}
    rows = []
    for concern, path, names in selection:
        where = f"{path} at {base or 'the working tree'}"
        counted = count(read_at(base, path), names, where)
        for total in (totals["all"], totals.setdefault(concern, Count(0, 0))):
            total.code += counted.code
            total.physical += counted.physical
        label = path if names is None else f"{path}: {', '.join(names)}"
        rows.append((label, counted))
    return totals, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help="the commit before the refactor (default %(default)s)")
    parser.add_argument("--after", default=None, help="a commit to count as 'after' (default: the working tree)")
    parser.add_argument("--files", action="store_true", help="print the count of every file or function counted")
    parser.add_argument("--quick", action="store_true", help="the same (counting takes well under a second)")
    args = parser.parse_args()
    after_name = args.after or "working tree"
    before, before_rows = measure(BEFORE, args.base)
    after, after_rows = measure(AFTER, args.after)
    if args.files:
        for title, rows in ((f"before ({args.base})", before_rows), (f"after ({after_name})", after_rows)):
            print(title)
            for label, counted in rows:
                print(f"  {counted.code:6,} {counted.physical:6,}  {label}")
    print(f"{'lines of code (physical)':30}{'before':>16}{'after':>16}{'after / before':>16}")
    for concern, title in (("yaml", "graph files as YAML"), ("store", "the one store"), ("all", "the refactor")):
        old, now = before[concern], after[concern]
        print(f"{title:30}{f'{old.code:,} ({old.physical:,})':>16}{f'{now.code:,} ({now.physical:,})':>16}"
              f"{now.code / old.code:>16.3f}")
    if args.after is None:  # the names are those of the working tree
        new, _ = measure(NEW_CAPABILITIES, None)
        print(f"  of which after: capabilities nothing at the base had (for information): {new['all'].code:,} "
              f"lines of code (store: {new['store'].code:,}, YAML save keeping comments: {new['yaml'].code:,})")
    old, now = before["all"].code, after["all"].code
    passed = now < old
    print(f"{'PASS' if passed else 'FAIL'}: lines of code after ({now:,}, {after_name}) "
          f"{'<' if passed else '>='} before ({old:,}, {args.base}), net {now - old:+,}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
