"""``thyra run --over``: the batch options of ``thyra run`` and the command that runs a batch.

Exit codes as ``thyra run``: 0 every input ok, 1 an input failed (the others still ran), 2 bad
arguments or inputs (nothing started), 130/143 stopped by Ctrl-C/SIGTERM (a re-run continues).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
import threading
from typing import Any, Callable, Sequence

RAY_INSTALL = "pip install 'thyra-graph[ray]'"


def add_batch_options(run: argparse.ArgumentParser) -> None:
    group = run.add_argument_group("batch runs (one run per input)")
    group.add_argument("--over", metavar="INPUTS",
                       help="run once per file matching a glob (quote it: 'videos/**/*.mp4'), per file of a folder, or per "
                            "row of a .csv/.jsonl file whose columns name parameters (NODE.PARAM)")
    group.add_argument("--bind", action="append", default=[], metavar="NODE.PARAM",
                       help="the path parameter each --over file is given; output paths may use {stem}, {name}, "
                            "{parent}, {relpath}, {index}")
    group.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                       help="inputs run at once: N worker processes (default 1: one after the other, in this process)")
    group.add_argument("--retries", type=int, default=0, metavar="N", help="run a failed input again up to N times")
    group.add_argument("--resume", action="store_true",
                       help="skip inputs whose output files Thyra wrote and nobody changed since")
    group.add_argument("--executor", choices=["local", "ray"], default="local",
                       help=f"local: a process pool on this machine; ray: a Ray cluster (needs {RAY_INSTALL})")
    group.add_argument("--address", metavar="auto|HOST:PORT",
                       help="the Ray cluster to use (default: start Ray on this machine)")
    group.add_argument("--gpus-per-input", type=float, default=1.0, metavar="G",
                       help="with --executor ray: GPUs one input of a graph with GPU nodes needs (fractions allowed: 0.5)")


def run_batch_command(graph: Any, args: argparse.Namespace, typed: list[str], order: Sequence[str], *,
                      review: Callable[..., Any], invalid: Callable[..., int]) -> int:
    """Check everything, then run the batch; ``review``/``invalid`` are the CLI's own helpers."""
    from thyra_graph.batch import BatchError, plan_batch, read_inputs

    try:
        _check_options(args)
        inputs = read_inputs(args.over, bind=args.bind)
        jobs = plan_batch(graph, inputs, nodes=order, parallel=args.jobs > 1 or args.executor == "ray")
    except BatchError as exc:
        return invalid(args, graph.name, [str(exc)])
    # Output paths a table binds were chosen by the user, as typed ones are.
    writes = {f"{n}.{p.name}" for n in order for p in graph.spec(n).params if p.kind == "path" and p.io == "write"}
    typed = typed + [str(v) for job in jobs for name, v in job.values.items()
                     if name in writes and name in inputs[job.index].values and isinstance(v, str)]
    if args.executor == "local" and args.jobs > 1:
        from thyra_graph.batch.plan import uses_gpu

        if uses_gpu(graph, args.targets):
            print(f"thyra: warning: the graph has GPU nodes and each of the {args.jobs} worker processes loads its own "
                  "models onto the GPU; if they do not fit, use --jobs 1, or --executor ray with --gpus-per-input "
                  "to let Ray place them", file=sys.stderr)
    checked = review(graph, args, typed, nodes=order)
    for line in checked.send_lines():
        print(f"thyra: {line}", file=sys.stderr)
    if not checked.ok:
        return invalid(args, graph.name, [f"{args.graph}: {p}" for p in checked.problems])
    try:
        batch = _execute(graph, args, jobs)
    except BatchError as exc:  # the Ray cluster could not be reached: nothing ran
        return invalid(args, graph.name, [str(exc)])
    return _report(batch, args)


def _check_options(args: argparse.Namespace) -> None:
    from thyra_graph.batch import BatchError

    if not args.over:
        raise BatchError("--bind goes with --over: --over 'videos/*.mp4' --bind load.path")
    if args.jobs < 1:
        raise BatchError("--jobs must be at least 1")
    if args.retries < 0:
        raise BatchError("--retries must be 0 or more")
    if args.executor != "ray":
        if args.address:
            raise BatchError("--address names a Ray cluster: add --executor ray")
        return
    if importlib.util.find_spec("ray") is None:
        raise BatchError(f"--executor ray needs Ray, which is not installed here: {RAY_INSTALL} "
                         "(or pip install 'ray>=2.9'), or use the local process pool: --jobs N")
    if not 0 < args.gpus_per_input <= 64:
        raise BatchError("--gpus-per-input must be more than 0 (fractions such as 0.5 share a GPU)")
    if args.address and args.address != "auto":
        _check_reachable(args.address)


def _check_reachable(address: str) -> None:
    """Refuse a Ray address that does not answer, before Ray's own long retries start."""
    from thyra_graph.batch import BatchError

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise BatchError(f"--address {address!r}: give auto or HOST:PORT of the Ray head, e.g. 10.0.0.5:6379")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise BatchError(f"--address {address!r}: no Ray cluster answers there ({exc.strerror or exc}); start one with "
                         "`ray start --head` on that machine, check the host and port, or use --address auto") from None


def _execute(graph: Any, args: argparse.Namespace, jobs: list) -> Any:
    if args.executor == "ray":  # joined (or started) before the progress bar: a refusal is then the only output
        from thyra_graph.batch.ray_pool import connect, disconnect

        started_ray = connect(args.address)
        try:
            return _execute_here(graph, args, jobs)
        finally:
            disconnect(started_ray)
    return _execute_here(graph, args, jobs)


def _execute_here(graph: Any, args: argparse.Namespace, jobs: list) -> Any:
    from thyra_graph.batch import run_batch
    from thyra_graph.batch.summary import BatchProgress
    from thyra_graph.cli_process import stdout_to_stderr

    json_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8") if args.json else None
    show = sys.stderr.isatty() or not args.json
    try:
        with stdout_to_stderr(args.json), BatchProgress(len(jobs), enabled=show, json_stream=json_out) as progress:
            node_bars = _NodeBars(graph, progress, enabled=show and args.executor == "local")
            batch = run_batch(graph, [], planned=jobs, executor=args.executor, jobs=args.jobs, retries=args.retries,
                              resume=args.resume, targets=args.targets, cache_dir=args.cache_dir,
                              use_cache=not args.no_cache, content_hash=args.content_hash, address=args.address,
                              gpus_per_input=args.gpus_per_input, notify=node_bars.notify, on_event=node_bars.handle)
    finally:
        if json_out is not None:
            json_out.flush()
    if json_out is not None:
        import json

        print(json.dumps(batch.to_json()), file=json_out, flush=True)
        json_out.close()
    return batch


class _NodeBars:
    """Per-node bars of each running input, under the batch's overall bar (local executor:
    events come from this process or, tagged with their input, from the pool's workers)."""

    def __init__(self, graph: Any, progress: Any, *, enabled: bool) -> None:
        self.graph, self.progress, self.enabled = graph, progress, enabled
        self.displays: dict[int, Any] = {}
        self._lock = threading.Lock()

    def notify(self, kind: str, job: Any, result: Any) -> None:
        from thyra_graph.cli_progress import ProgressDisplay

        with self._lock:
            if self.enabled and kind == "started" and self.progress.rich is not None:
                self.displays[job.index] = ProgressDisplay(self.graph, progress=self.progress.rich).__enter__()
            elif kind in ("finished", "retry") and job.index in self.displays:
                self.displays.pop(job.index).__exit__(None, None, None)
        self.progress(kind, job, result)

    def handle(self, event: Any) -> None:
        with self._lock:
            display = self.displays.get(event.data.get("batch_input"))
            if display is not None:  # events arriving after their input finished are dropped
                display.handle(event)


def _report(batch: Any, args: argparse.Namespace) -> int:
    from thyra_graph.batch.summary import print_table

    if not args.json:
        print_table(batch)
    if batch.status == "cancelled":
        finished = sum(batch.count(s) for s in ("ok", "failed", "resumed"))
        print(f"thyra: interrupted; {finished} of {batch.planned} inputs finished, their results are cached: "
              "run the same command again to continue (add --resume to skip finished inputs)", file=sys.stderr)
    if args.verbose:
        for result in batch.results:
            for node_id, node in result.nodes.items():
                if node.get("error"):
                    print(f"{result.label}: node {node_id!r}: {node['error']}", file=sys.stderr)
    return {"ok": 0, "failed": 1, "cancelled": 130}[batch.status]
