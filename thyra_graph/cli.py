"""The ``thyra`` command: run | validate | nodes | edit | cache | models.

Exit codes: 0 ok, 1 a node failed, 2 invalid graph file or arguments, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM, which stops a run as cleanly as Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Sequence

from thyra_graph.cli_batch import add_batch_options, run_batch_command
from thyra_graph.cli_process import EXIT_TERMINATED, Termination, sigterm_as_interrupt, stdout_to_stderr

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad command-line arguments: printed as one line, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["models"]:  # its own sub-commands and options (thyra_graph/cli_models.py)
        from thyra_graph.cli_models import main as models_main

        return models_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                        format="thyra: %(levelname)s: %(message)s", stream=sys.stderr)
    # A run stopped by SIGTERM (kill, timeout, a batch scheduler) is cancelled like Ctrl-C.
    with sigterm_as_interrupt(enabled=args.command == "run") as termination:
        code = _dispatch(args, termination)
    return EXIT_TERMINATED if termination.received and code == EXIT_INTERRUPTED else code


def _dispatch(args: argparse.Namespace, termination: Termination) -> int:
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"thyra: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("thyra: interrupted", file=sys.stderr)
        if threading.active_count() > 1:
            # Ctrl-C twice: a node that never checks for cancellation still runs in a worker
            # thread, and Python would wait for it at exit. Leave now; the cache stays sound
            # (entries are written atomically).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_TERMINATED if termination.received else EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="thyra", description="Run and inspect Thyra graph files.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a graph file headless")
    run.add_argument("graph", type=Path, help="the graph file (YAML)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="NODE.PARAM=VALUE",
                     help="override a parameter (value parsed as YAML: 3, 0.5, true, '[1, 2]', text; "
                          "relative paths are taken from the current folder)")
    run.add_argument("--target", dest="targets", action="append", default=[], metavar="NODE[.OUTPUT]",
                     help="run only what this node (or output) needs; repeatable")
    run.add_argument("--no-cache", action="store_true", help="neither read nor write any cache")
    run.add_argument("--cache-dir", type=Path, help="disk cache folder (default: $THYRA_CACHE_DIR or the user cache dir)")
    run.add_argument("--content-hash", action="store_true", help="fingerprint input files by content, not size+mtime")
    run.add_argument("--workers", type=int, default=None, help="threads for independent branches (default: CPU count)")
    run.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout")
    run.add_argument("--verbose", "-v", action="store_true", help="show tracebacks of failed nodes and more logging")
    _trust_options(run)
    add_batch_options(run)
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check graph files, list where they send data and write, report every problem")
    validate.add_argument("graphs", type=Path, nargs="+", help="graph files")
    validate.add_argument("--json", action="store_true", help="print one JSON object per graph (a list) on stdout")
    _trust_options(validate)
    validate.set_defaults(func=cmd_validate)

    nodes = sub.add_parser("nodes", help="list node types by category")
    nodes.add_argument("--json", action="store_true", help="full declarations as JSON")
    nodes.add_argument("--errors", action="store_true", help="list plugins that failed to load, and why (exit 1 if any did)")
    nodes.set_defaults(func=cmd_nodes)

    edit = sub.add_parser("edit", help="open the visual editor (needs the 'editor' extra)")
    edit.add_argument("graph", type=Path, nargs="?", help="a graph file to open (YAML)")
    edit.set_defaults(func=cmd_edit)

    cache = sub.add_parser("cache", help="show, trim or empty the disk cache")
    cache.add_argument("action", choices=["info", "prune", "clear"],
                       help="info: usage by kind and node type; prune: evict the least recently used "
                            "down to --max-size; clear: remove everything")
    cache.add_argument("--max-size", help="for prune: the size to trim to, e.g. 10G or 500M "
                                          "(default: $THYRA_CACHE_MAX_SIZE, else 20G)")
    cache.add_argument("--cache-dir", type=Path, help="disk cache folder (default: $THYRA_CACHE_DIR or the user cache dir)")
    cache.add_argument("--json", action="store_true", help="print JSON")
    cache.set_defaults(func=cmd_cache)

    models = sub.add_parser("models", help="the models graphs need: list, pull, verify, rm (see `thyra models -h`)",
                            add_help=False)
    models.add_argument("rest", nargs=argparse.REMAINDER, help="[pull|verify|list|rm] GRAPH|ID… (thyra models -h)")
    return parser


def _trust_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-host", dest="allow_hosts", action="append", default=[], metavar="HOST",
                        help="let the graph send data to HOST (loopback is always allowed); repeatable; see SECURITY.md")
    parser.add_argument("--allow-write", dest="allow_write", action="append", default=[], metavar="DIR",
                        help="let the graph write under DIR (besides its own folder and the current one); repeatable")


def _review(graph, args: argparse.Namespace, typed_paths: Sequence[str] = (), nodes: Sequence[str] | None = None):
    """What the graph sends and writes, checked against the user's config and options."""
    from thyra_graph.engine.trust import Policy, review
    from thyra_graph.engine.userconfig import UserConfigError

    try:
        policy = Policy.for_user(allow_hosts=args.allow_hosts, allow_write=args.allow_write)
    except UserConfigError as exc:
        raise UsageError(str(exc)) from None
    for path in typed_paths:
        policy.allow_write(path)
    return review(graph, policy, nodes=nodes)


# -- run ----------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from thyra_graph.api import default_registry
    from thyra_graph.engine.diskcache import DiskCache
    from thyra_graph.engine.executor import Executor
    from thyra_graph.engine.graph import GraphError
    from thyra_graph.engine.graphfile import load_graph_file

    with stdout_to_stderr(args.json):  # a plugin that prints at import must not break the JSON
        registry = default_registry()
    for problem in registry.problems:
        print(f"thyra: warning: plugin {problem.origin}: {problem.message}", file=sys.stderr)
    loaded = load_graph_file(args.graph, registry)
    if not loaded.ok:
        return _invalid(args, str(args.graph), [str(d) for d in loaded.errors])
    graph = loaded.graph
    try:
        typed = [p for override in args.overrides if (p := _apply_override(graph, override))]
        if args.workers is not None and args.workers < 1:
            raise UsageError("--workers must be at least 1")
        disk = None if args.no_cache else DiskCache(args.cache_dir)
        executor = Executor(disk=disk, workers=args.workers, content_hash=args.content_hash)
        from thyra_graph.engine.planner import make_plan

        plan = make_plan(graph, args.targets)  # report unknown targets / unrunnable graphs as invalid, exit 2
        if args.over or args.bind:  # one run per input: thyra_graph/cli_batch.py
            code = run_batch_command(graph, args, typed, plan.order, review=_review, invalid=_invalid)
            _keep_under_limit(disk)
            return code
        # Before anything runs: where the planned nodes send data and write, as the user allowed.
        checked = _review(graph, args, typed, nodes=plan.order)
        for line in checked.send_lines():
            print(f"thyra: {line}", file=sys.stderr)
        if not checked.ok:
            return _invalid(args, graph.name, [f"{args.graph}: {p}" for p in checked.problems])
    except (GraphError, UsageError) as exc:
        return _invalid(args, graph.name, [str(exc)])

    from thyra_graph.cli_progress import ProgressDisplay

    cancel = threading.Event()
    stdout = sys.stdout
    # With --json, stdout carries exactly one JSON object: what node code prints goes to stderr.
    with stdout_to_stderr(args.json), \
            ProgressDisplay(graph, enabled=sys.stderr.isatty() or not args.json) as display:
        # The executor turns Ctrl-C into a cancelled run; a second one reaches main().
        result = executor.run(graph, args.targets, use_cache=not args.no_cache, on_event=display.handle, cancel=cancel)
    if args.json:
        print(json.dumps(result.to_json(), indent=2), file=stdout)
    else:
        _print_result(result, verbose=args.verbose)
    if result.status == "cancelled":
        print("thyra: interrupted; the results finished before it are cached", file=sys.stderr)
    if args.verbose:
        for node_id, node in result.nodes.items():
            if node.traceback:
                print(f"\ntraceback of node {node_id!r}:\n{node.traceback}", file=sys.stderr)
    _keep_under_limit(disk)
    return {"ok": EXIT_OK, "failed": EXIT_FAILED, "cancelled": EXIT_INTERRUPTED}[result.status]


def _keep_under_limit(disk) -> None:
    """Evict the least recently used cache records when the store grew past its limit."""
    if disk is not None:
        removed, freed = disk.store.prune()
        if removed:
            print(f"thyra: cache over its limit: evicted {removed} least recently used records ({_human(freed)})",
                  file=sys.stderr)


def _apply_override(graph, override: str) -> str | None:
    """Apply ``--set``; returns the path when a write path was typed (the user chose it, so it is allowed)."""
    from thyra_graph.engine.graph import GraphError
    from thyra_graph.engine.samples import is_sample_ref
    from thyra_graph.engine.yamlfile import parse_yaml

    target, sep, raw = override.partition("=")
    node_id, dot, param = target.partition(".")
    if not sep or not dot or not node_id or not param:
        raise UsageError(f"--set {override!r}: write it as NODE.PARAM=VALUE, e.g. --set threshold.value=120")
    try:
        spec = graph.spec(node_id)  # GraphError names the closest node ids
    except GraphError as exc:
        raise GraphError(f"--set {override!r}: {exc}") from None
    declared = spec.param(param)
    parsed = parse_yaml(raw) if raw.strip() else None  # read as the graph file reads values
    value = raw if parsed is None or parsed.fatal else parsed.data
    if declared is not None and declared.kind in ("int", "float") and isinstance(value, str):
        # 5e-1, 1_000 or .5 typed on a command line: a number param takes any Python number
        # syntax (the param's own range then refuses inf and nan, with its message).
        value = _python_number(value)
    if declared is not None and declared.kind in ("str", "path", "choice") and not isinstance(value, str):
        # "--set save.path=001" or a choice like "1": keep the text as typed.
        try:
            declared.coerce(value)
        except ValueError:
            value = raw
    if declared is not None and declared.kind == "path" and isinstance(value, str) and value.strip():
        # A path typed in a shell means a path from where the shell is, not from the graph file.
        if not os.path.isabs(os.path.expanduser(value)) and not is_sample_ref(value):
            value = os.path.join(os.getcwd(), value)
    try:
        graph.set_param(node_id, param, value)
    except GraphError as exc:
        raise GraphError(f"--set {override!r}: {exc}") from None
    if declared is not None and declared.kind == "path" and declared.io != "read":
        return str(graph.resolve_path(graph.params(node_id)[param]))
    return None


def _python_number(text: str) -> int | float | str:
    """``text`` as a Python int or float literal (1_000, 5e-1, .5, -3., inf), else unchanged."""
    for parse in (int, float):
        try:
            return parse(text.strip())
        except ValueError:
            continue
    return text


def _invalid(args: argparse.Namespace, name: str, errors: list[str]) -> int:
    for error in errors:
        print(error, file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"graph": name, "status": "invalid", "errors": errors}, indent=2))
    return EXIT_INVALID


def _print_result(result, *, verbose: bool) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from thyra_graph.engine.results import json_friendly

    console = Console(stderr=False, highlight=False)
    table = Table(title=f"graph {result.graph!r}: {result.status}", title_justify="left", show_edge=False)
    for column in ("node", "type", "status", "seconds", "note"):
        table.add_column(column, overflow="fold")
    colours = {"executed": "green", "cached": "cyan", "failed": "bold red", "skipped": "yellow"}
    for node_id, node in result.nodes.items():
        note = node.error or ("; ".join(node.warnings) if node.warnings else (node.source or ""))
        # Errors quote values like "[r, g, b]": escaped, or rich would take them for markup.
        table.add_row(escape(node_id), escape(node.type), f"[{colours[node.status]}]{node.status}[/]",
                      f"{node.seconds:.3f}", escape(note))
    console.print(table)
    for ref, value in result.outputs.items():
        summary = json_friendly(value.summary())
        # soft_wrap: a long path or value stays on one line, whatever the terminal width
        if isinstance(summary, (int, float, str)):
            line = f"{ref} = {summary}"
        elif value.files():  # what a sink wrote
            files = value.files()
            line = (f"{ref}: wrote {', '.join(files)}" if len(files) <= 3
                    else f"{ref}: wrote {len(files)} files under {summary.get('path', os.path.dirname(files[0]))}")
        else:
            line = f"{ref}: {json.dumps(summary)}"
        console.print(line, soft_wrap=True, markup=False)


# -- validate -----------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from thyra_graph.api import default_registry
    from thyra_graph.engine.graphfile import load_graph_file

    registry = default_registry()
    status = EXIT_OK
    reports = []
    for path in args.graphs:
        result = load_graph_file(path, registry)
        for diagnostic in result.diagnostics:
            print(diagnostic, file=sys.stderr if diagnostic.severity == "error" else (sys.stderr if args.json else sys.stdout))
        report: dict[str, Any] = {"graph": str(path), "status": "ok" if result.ok else "invalid",
                                  "errors": [str(d) for d in result.errors]}
        if result.ok:
            checked = _review(result.graph, args)
            report.update(checked.to_json())
            for problem in checked.problems:
                print(f"{path}: {problem}", file=sys.stderr)
            if checked.ok:
                if not args.json:
                    print(f"{path}: ok ({len(result.graph.nodes)} nodes)")
                    print("\n".join(checked.lines()))
            else:
                report["status"] = "invalid"
                report["errors"] += [str(p) for p in checked.problems]
        if report["status"] != "ok":
            status = EXIT_INVALID
        reports.append(report)
    if args.json:
        print(json.dumps(reports, indent=2))
    return status


# -- nodes --------------------------------------------------------------------------------
def cmd_nodes(args: argparse.Namespace) -> int:
    from thyra_graph.api import default_registry

    with stdout_to_stderr(args.json):  # a plugin that prints at import must not break the JSON
        registry = default_registry()
    if args.errors:
        if args.json:
            print(json.dumps([{"origin": p.origin, "message": p.message} for p in registry.problems], indent=2))
        elif not registry.problems:
            print("no plugin errors")
        for p in registry.problems if not args.json else []:
            print(f"{p.origin}:\n  {p.message}")
        return EXIT_FAILED if registry.problems else EXIT_OK
    if args.json:
        listing = []
        for spec in registry:
            data = spec.to_json()
            missing = spec.missing_requirements()
            data["available"] = not missing
            data["missing"] = missing
            data["origin"] = registry.origins.get(spec.id, "")
            listing.append(data)
        print(json.dumps(listing, indent=2, default=str))
        return EXIT_OK
    category = None
    for spec in registry:
        if spec.category != category:
            category = spec.category
            print(f"\n{category}")
        missing = spec.missing_requirements()
        note = f"  [unavailable: needs {', '.join(missing)}]" if missing else ""
        print(f"  {spec.id:<28} v{spec.version}  {spec.title}: {spec.summary}{note}")
    if registry.problems:
        print(f"\n{len(registry.problems)} plugin problem(s): see `thyra nodes --errors`", file=sys.stderr)
    return EXIT_OK


# -- edit ---------------------------------------------------------------------------------
def cmd_edit(args: argparse.Namespace) -> int:
    # Qt is optional: `thyra run` and the rest work where it is not installed.
    try:
        import NodeGraphQt  # noqa: F401
        import PySide6  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"the editor needs PySide6 and NodeGraphQt ({exc}); install the editor extra: "
                         "pip install 'thyra-graph[editor]'") from None
    from thyra_graph.editor import launch

    return launch(args.graph)


# -- cache --------------------------------------------------------------------------------
def cmd_cache(args: argparse.Namespace) -> int:
    from thyra_graph.engine.diskcache import DiskCache
    from thyra_graph.engine.store import parse_limit

    try:
        limit = parse_limit(args.max_size) if args.max_size is not None else "env"
        cache = DiskCache(args.cache_dir, max_bytes=limit)
    except ValueError as exc:
        return _invalid(args, "cache", [f"--max-size: {exc}"])
    if args.action == "info":
        usage = cache.store.usage()
        info: dict[str, Any] = {"path": str(usage.root), "entries": usage.entries, "bytes": usage.bytes,
                                "limit": cache.store.max_bytes, "kinds": usage.kinds, "node_types": usage.node_types}
        if args.json:
            print(json.dumps(info))
            return EXIT_OK
        limit_text = _human(cache.store.max_bytes) if cache.store.max_bytes else "none"
        print(f"disk cache: {usage.root}\n  entries: {usage.entries}\n  size:    {_human(usage.bytes)} (limit {limit_text})")
        for title, table in (("by kind", usage.kinds), ("results by node type", usage.node_types)):
            if table:
                print(f"  {title}:")
                for name, (count, size) in sorted(table.items(), key=lambda item: -item[1][1]):
                    print(f"    {name:<32} {count:>7}  {_human(size):>10}")
        return EXIT_OK
    if args.action == "prune":
        if cache.store.max_bytes is None:
            return _invalid(args, "cache", ["prune needs a size: --max-size 10G (or set THYRA_CACHE_MAX_SIZE)"])
        removed, freed = cache.store.prune()
        result = {"path": str(cache.root), "removed": removed, "freed": freed}
        print(json.dumps(result) if args.json else f"evicted {removed} least recently used records ({_human(freed)}) from {cache.root}")
        return EXIT_OK
    removed = cache.store.clear()
    print(json.dumps({"path": str(cache.root), "removed": removed}) if args.json else f"removed {removed} entries from {cache.root}")
    return EXIT_OK


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


if __name__ == "__main__":
    sys.exit(main())
