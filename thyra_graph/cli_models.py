"""``thyra models``: the models graphs need, fetching them, checking them, cleaning up.

    thyra models GRAPH…             what the graphs need, where Thyra looks, what is there
    thyra models pull GRAPH|ID…     download what is missing (--dry-run: what and how much)
    thyra models verify [GRAPH|ID…] re-hash what is on disk
    thyra models list [GRAPH…]      models on disk, their size, which graphs use them
    thyra models rm ID…             remove a model from the Hugging Face cache / THYRA_MODELS_DIR

Exit codes: 0 ok, 1 something missing, damaged or not fetched, 2 bad arguments or graph files,
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from thyra_graph.nodes.models.inventory import Model

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130
ACTIONS = ("pull", "verify", "list", "rm")


def main(argv: Sequence[str]) -> int:
    argv = list(argv)
    action = argv.pop(0) if argv and argv[0] in ACTIONS else "status"
    parser = argparse.ArgumentParser(prog=f"thyra models{'' if action == 'status' else ' ' + action}",
                                     description=__doc__.replace("``", "`"),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if action == "rm":
        parser.add_argument("targets", nargs="+", metavar="ID", help="hub ids (or THYRA_MODELS_DIR entries) to remove")
    else:
        parser.add_argument("targets", nargs="*" if action in ("verify", "list") else "+", metavar="GRAPH|ID",
                            help="graph files (their models), or Hugging Face model ids")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout")
    if action == "pull":
        parser.add_argument("--dry-run", action="store_true", help="print what would be fetched and the total size")
        parser.add_argument("--models-dir", action="store_true",
                            help="put hub models under THYRA_MODELS_DIR (as <dir>/<owner>--<name>) instead of the HF cache")
    if action == "status":
        parser.add_argument("--no-remote", action="store_true", help="do not ask the hub for sizes and licences")
    args = parser.parse_args(argv)
    try:
        return {"status": _status, "pull": _pull, "verify": _verify, "list": _list, "rm": _rm}[action](args)
    except _GraphErrors as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print(f"\nthyra models {action}: interrupted; nothing half-fetched is left looking complete, "
              "pull again to finish", file=sys.stderr)
        return EXIT_INTERRUPTED


class _GraphErrors(Exception):
    pass


def _models(targets: Sequence[str]) -> list[Model]:
    """The distinct models the targets need (graph files, or hub ids typed on the command line)."""
    from thyra_graph.api import default_registry
    from thyra_graph.engine.declaration import ModelRef
    from thyra_graph.engine.graphfile import load_graph_file
    from thyra_graph.nodes.models.inventory import Need, graph_needs, models_of
    from thyra_graph.nodes.models.weights import TRANSFORMERS_FILES

    registry = None
    needs, problems = [], []
    for target in targets:
        path = Path(target)
        if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
            registry = registry or default_registry()
            result = load_graph_file(path, registry)
            if not result.ok:
                problems += [str(d) for d in result.errors]
                continue
            needs += graph_needs(result.graph, str(path))
        else:
            needs.append(Need("command line", "-", "-", ModelRef(target, "model", files=TRANSFORMERS_FILES), Path.cwd()))
    if problems:
        raise _GraphErrors("\n".join(problems) + "\nthyra models: fix the graph files above (see `thyra validate`)")
    return models_of(needs)


def _size(n: int | None) -> str:
    from thyra_graph.nodes.models.inventory import format_size

    return format_size(n)


def _offline_note() -> str:
    from thyra_graph.nodes.models.inventory import offline_switches
    from thyra_graph.nodes.models.weights import offline

    return (f"offline mode is on ({offline_switches()}): nothing is fetched, and sizes are not asked for"
            if offline() else "")


def _where(model: Model) -> str:
    from thyra_graph.nodes.models import hub

    if model.ref.source == "path":
        return f"looks at {model.looked[0]}"
    source = model.ref.url if model.ref.source == "url" and os.environ.get("THYRA_MODELS_DIR") else \
        f"{hub.endpoint()}/{model.ref.repo or model.ref.name}"
    return "looks at " + ", ".join(model.looked) + f"; downloads from {source}"


def _status(args: argparse.Namespace) -> int:
    from thyra_graph.nodes.models.inventory import describe_remote

    models = _models(args.targets)
    if not args.no_remote:
        for model in models:
            if not model.present or model.size is None:
                describe_remote(model)
    if args.json:
        print(json.dumps([m.to_json() for m in models], indent=2))
    else:
        if not models:
            print("these graphs load no models")
        for model in models:
            users = "; ".join(f"{n.graph}: {n.node} ({n.node_type}, param {n.ref.param})" if n.node != "-"
                              else "named on the command line" for n in model.users)
            state = f"present in {model.found_in}: {model.found}" if model.present else "MISSING"
            facts = [state, _size(model.size) if model.size is not None else "",
                     f"licence {model.license}" if model.license else "",
                     "gated: accept the licence on the hub and log in" if (model.gated or model.ref.gated) else ""]
            print(f"{model.label}  [{model.ref.backend}]\n  used by {users}\n  " + " · ".join(f for f in facts if f))
            print(f"  {_where(model)}")
            if model.remote_error:
                print(f"  note: {model.remote_error}")
        note = _offline_note()
        if note:
            print(f"thyra models: {note}", file=sys.stderr)
        missing = [m for m in models if not m.present]
        if missing:
            print(f"{len(missing)} of {len(models)} model(s) missing: `thyra models pull {' '.join(args.targets)}` "
                  "fetches them", file=sys.stderr)
    return EXIT_FAILED if any(not m.present for m in models) else EXIT_OK


def _pull(args: argparse.Namespace) -> int:
    from thyra_graph.engine.declaration import NodeError
    from thyra_graph.nodes.models.inventory import describe_remote, pull
    from thyra_graph.nodes.models.weights import offline

    models = _models(args.targets)
    wanted = [m for m in models if not m.present]
    report = []
    if offline():
        for model in wanted:
            report.append({"model": model.ref.name, "status": "not fetched (offline)"})
        message = _offline_note() + (f"; {len(wanted)} model(s) missing: " + ", ".join(m.label for m in wanted)
                                     if wanted else "; every model is already here")
        print(json.dumps(report, indent=2) if args.json else f"thyra models: {message}", file=sys.stdout if args.json else sys.stderr)
        return EXIT_FAILED if wanted else EXIT_OK
    if args.dry_run:
        for model in wanted:
            describe_remote(model)
        total = sum(m.size or 0 for m in wanted)
        if args.json:
            print(json.dumps({"fetch": [m.to_json() for m in wanted], "total_size": total}, indent=2))
        else:
            for model in wanted:
                extra = f"  ({model.remote_error})" if model.remote_error else ""
                print(f"would fetch {model.label}: {_size(model.size)}{extra}")
            unknown = sum(m.size is None for m in wanted)
            print(f"{len(wanted)} model(s), {_size(total)} in all"
                  + (f" ({unknown} of unknown size not counted)" if unknown else "")
                  + f"; {len(models) - len(wanted)} already here")
        return EXIT_OK
    from tqdm.auto import tqdm

    failed = 0
    for model in models:
        try:
            if not args.json:
                print(f"{model.label}: {'checking' if model.present else 'fetching'}", file=sys.stderr)
            path = pull(model, into_models_dir=getattr(args, "models_dir", False), tqdm_class=tqdm)
            report.append({"model": model.ref.name, "status": "ok", "path": str(path),
                           **({"note": model.note} if model.note else {})})
            if not args.json:
                print(f"{model.label}: ok ({path})")
                if model.note:
                    print(f"thyra models: note: {model.note}", file=sys.stderr)
        except NodeError as exc:
            failed += 1
            report.append({"model": model.ref.name, "status": "failed", "error": str(exc)})
            if not args.json:
                print(f"thyra models: {model.label}: {exc}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from thyra_graph.nodes.models.inventory import verify

    models = _models(args.targets) if args.targets else _everything_on_disk()
    report, bad = [], 0
    for model in models:
        if not model.present:
            report.append({"model": model.ref.name, "status": "missing"})
            continue
        checked, damaged = verify(model)
        bad += bool(damaged)
        report.append({"model": model.ref.name, "path": str(model.found), "checked": checked,
                       "status": "damaged" if damaged else ("ok" if checked else "no published hashes"),
                       "damaged": [str(d.path) for d in damaged]})
        if not args.json:
            if damaged:
                print(f"{model.label}: DAMAGED\n" + "\n".join(f"  {d}" for d in damaged)
                      + f"\n  `thyra models pull {model.ref.repo or model.ref.name}` fetches it again")
            else:
                print(f"{model.label}: {'ok' if checked else 'present, no published hashes to check'} "
                      f"({checked} file(s) re-hashed, {model.found})")
    if args.json:
        print(json.dumps(report, indent=2))
    return EXIT_FAILED if bad else EXIT_OK


def _everything_on_disk() -> list[Model]:
    """Every model in the Hugging Face cache (as located models, for verify)."""
    from thyra_graph.engine.declaration import ModelRef
    from thyra_graph.nodes.models import hub
    from thyra_graph.nodes.models.inventory import Model

    models = []
    for repo in hub.cached_repos():
        for revision in repo.revisions:
            folder = repo.path / "snapshots" / revision
            models.append(Model(ModelRef(repo.repo, "model", files=()), Path.cwd(), found=folder,
                                found_in="Hugging Face cache"))
    return models


def _list(args: argparse.Namespace) -> int:
    from thyra_graph.nodes.models import hub

    users: dict[str, list[str]] = {}
    for model in _models(args.targets) if args.targets else []:
        for need in model.users:
            users.setdefault(model.ref.repo or model.ref.name, []).append(need.graph)
            users.setdefault(model.ref.name, []).append(need.graph)
    rows = [{"model": r.repo, "where": "Hugging Face cache", "path": str(r.path), "size": r.size,
             "graphs": sorted(set(users.get(r.repo, [])))} for r in hub.cached_repos()]
    root = os.environ.get("THYRA_MODELS_DIR", "").strip()
    if root and Path(root).expanduser().is_dir():
        for entry in sorted(Path(root).expanduser().iterdir()):
            if entry.name.startswith(".") or entry.name.endswith(".sha256"):
                continue
            size = entry.stat().st_size if entry.is_file() else sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())
            name = entry.name.replace("--", "/")
            rows.append({"model": name, "where": "THYRA_MODELS_DIR", "path": str(entry), "size": size,
                         "graphs": sorted(set(users.get(name, []) + users.get(entry.name, [])))})
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print(f"no models on disk (Hugging Face cache {hub.cache_dir()}"
              + (f", THYRA_MODELS_DIR {root}" if root else "") + ")")
    for row in rows:
        used = f"  used by {', '.join(row['graphs'])}" if row["graphs"] else ""
        print(f"{row['model']:<48} {_size(row['size']):>10}  {row['where']}{used}")
    return EXIT_OK


def _rm(args: argparse.Namespace) -> int:
    from thyra_graph.nodes.models import hub, url_download

    status = EXIT_OK
    root = os.environ.get("THYRA_MODELS_DIR", "").strip()
    for target in args.targets:
        freed = hub.remove_cached(target)
        if root:
            base = Path(root).expanduser().resolve()
            for name in dict.fromkeys([target.replace("/", "--"), target]):
                entry = (base / name).resolve()
                if entry.parent != base or not entry.exists():
                    continue  # only direct entries of the models folder, never a path outside it
                if entry.is_dir():
                    freed += sum(p.stat().st_size for p in entry.rglob("*") if p.is_file())
                    shutil.rmtree(entry)
                else:
                    freed += entry.stat().st_size
                    entry.unlink()
                    url_download.hash_path(entry).unlink(missing_ok=True)
        if freed:
            print(f"{target}: removed, {_size(freed)} freed")
        else:
            print(f"thyra models: {target} is not in the Hugging Face cache ({hub.cache_dir()})"
                  + (f" nor in THYRA_MODELS_DIR ({root})" if root else "") + "; see `thyra models list`", file=sys.stderr)
            status = EXIT_FAILED
    return status
