"""The executor: run a plan, skipping what is cached, in parallel where branches allow.

- A node whose key is in the memory or disk cache is not run; its value is loaded only if
  something that does run needs it (a fully cached re-run loads just the requested outputs).
- A sink is cached only while the files it wrote are there unchanged.
- A failing node marks its descendants skipped with the cause; other branches finish and
  every computed result stays cached.
- Independent branches run on a thread pool; nodes known to be quick run inline, because
  handing a sub-millisecond node to a thread costs more than running it. GPU work is
  serialised per device: a GPU-declared node claims the device its ``device`` param names
  (``ctx.claim_device``; the default GPU when it names none or ``auto``), so a node set to
  ``cpu`` never waits and ``cuda:0``/``cuda:1`` run at once.
- Cancellation is cooperative (``ctx.progress`` / ``ctx.check_cancelled``) and Ctrl-C in
  the calling thread cancels cleanly.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from thyra_graph.types import PortType

from . import events as ev
from .context import Cancelled, Context
from .declaration import NodeError
from .diskcache import DiskCache
from .graph import Graph
from .keys import written_file_state
from .memcache import CacheEntry, MemoryCache
from .planner import Plan, make_plan
from .resources import ResourceCache
from .results import NodeResult, RunResult

log = logging.getLogger("thyra.run")

# Nodes whose typical run is shorter than this run inline rather than on the pool.
INLINE_SECONDS = 0.002

class Executor:
    """Runs graphs against a memory cache, an optional disk cache and a resource cache.

    Keep one executor per process (or per editor window) so its memory cache and loaded
    models are reused between runs.
    """

    def __init__(
        self,
        *,
        memory: MemoryCache | None = None,
        disk: DiskCache | None = None,
        resources: ResourceCache | None = None,
        workers: int | None = None,
        content_hash: bool = False,
        scratch_root: Path | None = None,
    ) -> None:
        self.memory = memory if memory is not None else MemoryCache()
        self.disk = disk
        self.resources = resources if resources is not None else ResourceCache()
        self.workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self.content_hash = content_hash
        self.scratch_root = scratch_root
        self._seconds_by_type: dict[str, float] = {}

    def run(
        self,
        graph: Graph,
        targets: Iterable[str] | None = None,
        *,
        use_cache: bool = True,
        on_event: ev.EventHandler | None = None,
        cancel: threading.Event | None = None,
    ) -> RunResult:
        """Run what ``targets`` need (default: every sink). Raises GraphError if it cannot run."""
        plan = make_plan(graph, targets, content_hash=self.content_hash, run_nonce=uuid.uuid4().hex)
        return _Run(self, plan, use_cache, on_event, cancel or threading.Event()).execute()

    def note_duration(self, type_id: str, seconds: float) -> None:
        old = self._seconds_by_type.get(type_id)
        self._seconds_by_type[type_id] = seconds if old is None else 0.7 * old + 0.3 * seconds

    def is_quick(self, type_id: str) -> bool:
        seconds = self._seconds_by_type.get(type_id)
        return seconds is not None and seconds < INLINE_SECONDS


@dataclass
class _Run:
    executor: Executor
    plan: Plan
    use_cache: bool
    on_event: ev.EventHandler | None
    cancel: threading.Event
    results: dict[str, NodeResult] = field(default_factory=dict)
    values: dict[str, dict[str, PortType]] = field(default_factory=dict)
    # Unseeded random nodes and their descendants: keyed per run, so a stored result could
    # never be found again; they are not cached at all.
    volatile: set[str] = field(default_factory=set)

    def emit(self, kind: str, node: str | None = None, **data: Any) -> None:
        if self.on_event is not None:
            try:
                self.on_event(ev.Event(kind, node, data))
            except Exception:  # a broken progress display must not break the run
                log.exception("event handler failed")

    # -- planning what runs ------------------------------------------------------------------
    def cached_entry(self, node_id: str, *, header_only: bool) -> tuple[CacheEntry | None, str | None]:
        """The node's cache entry if it is valid, and where it came from."""
        spec = self.plan.specs[node_id]
        if not self.use_cache or spec.cache == "none":
            return None, None
        key = self.plan.keys[node_id]
        entry = self.executor.memory.get(key)
        if entry is not None:
            if _files_unchanged(entry.files):
                return entry, "memory"
            self.executor.memory.discard(key)
        disk = self.executor.disk
        if disk is None or spec.cache != "disk":
            return None, None
        if header_only:
            header = disk.read_header(key)
            if header is None or not _files_unchanged(header.get("files", {})):
                return None, None
            return CacheEntry({}, header.get("files", {})), "disk"
        entry = disk.get(key, port_type=self.plan.graph.registry.port_type)
        if entry is None or not _files_unchanged(entry.files):
            return None, None
        self.executor.memory.put(key, entry)
        return entry, "disk"

    def decide(self) -> tuple[list[str], dict[str, str]]:
        """Walk back from the targets: run what is needed and not cached."""
        plan, graph = self.plan, self.plan.graph
        need_value = set(plan.targets)
        to_run: list[str] = []
        cached_from: dict[str, str] = {}
        for node_id in reversed(plan.order):
            if node_id not in need_value:
                continue
            # Full load: the value is needed, and a corrupt entry must be found now, not later.
            entry, source = self.cached_entry(node_id, header_only=False)
            if entry is not None:
                cached_from[node_id] = source
                self.values[node_id] = entry.outputs
                continue
            to_run.append(node_id)
            need_value.update(src for src, _ in graph.nodes[node_id].inputs.values())
        to_run.reverse()
        return to_run, cached_from

    # -- running -----------------------------------------------------------------------------
    def execute(self) -> RunResult:
        plan, graph = self.plan, self.plan.graph
        to_run, cached_from = self.decide()
        run_set = set(to_run)
        untouched = []
        for node_id in plan.order:
            if node_id in run_set or node_id in cached_from:
                continue
            # Not needed: downstream results are cached. Say "cached" only if it truly is.
            entry, source = self.cached_entry(node_id, header_only=True)
            if entry is not None:
                cached_from[node_id] = source
            else:
                untouched.append(node_id)
        self.emit(ev.PLANNED, execute=list(to_run), cached=list(cached_from), skipped=untouched)
        for node_id in plan.order:
            if node_id in cached_from:
                self.results[node_id] = NodeResult(plan.specs[node_id].id, "cached", key=plan.keys[node_id], source=cached_from[node_id])
                self.emit(ev.CACHED, node_id, source=cached_from[node_id])
        for node_id in untouched:
            self.results[node_id] = NodeResult(plan.specs[node_id].id, "skipped", key=plan.keys[node_id], error="not needed: the results that depend on it are cached")
            self.emit(ev.SKIPPED, node_id, reason="not needed")

        # consumers within this run, to release values nobody needs any more
        self.remaining_uses: dict[str, int] = {}
        waiting: dict[str, int] = {}
        for node_id in to_run:
            deps = {src for src, _ in graph.nodes[node_id].inputs.values()}
            if node_id in plan.fresh_draws or (self.volatile and not self.volatile.isdisjoint(deps)):
                self.volatile.add(node_id)
            waiting[node_id] = sum(1 for d in deps if d in run_set)
            for d in deps:
                self.remaining_uses[d] = self.remaining_uses.get(d, 0) + 1
        ready = deque(n for n in to_run if waiting[n] == 0)
        pool: cf.ThreadPoolExecutor | None = None
        running: dict[cf.Future, str] = {}
        interrupted = False
        pool_wait = True

        def finished(node_id: str) -> None:
            for consumer in graph.dag.successors(node_id):
                if consumer in waiting:
                    waiting[consumer] -= 1
                    if waiting[consumer] == 0:
                        ready.append(consumer)  # skipped ones are dropped when popped
            if self.results[node_id].status not in ("executed", "cached"):
                self.skip_descendants(node_id, waiting)

        try:
            while ready or running:
                while ready and not self.cancel.is_set():
                    node_id = ready.popleft()
                    if node_id in self.results:  # skipped because an input failed
                        continue
                    type_id = plan.specs[node_id].id
                    inline = (self.executor.workers == 1 or self.executor.is_quick(type_id)
                              or (not ready and not running))
                    if inline:
                        self.run_node(node_id)
                        finished(node_id)
                    else:
                        if pool is None:
                            pool = cf.ThreadPoolExecutor(self.executor.workers, thread_name_prefix="thyra")
                        if len(running) >= self.executor.workers:
                            ready.appendleft(node_id)
                            break
                        running[pool.submit(self.run_node, node_id)] = node_id
                if self.cancel.is_set() and not running:
                    break
                if running:
                    done, _ = cf.wait(running, timeout=0.2, return_when=cf.FIRST_COMPLETED)
                    for future in done:
                        node_id = running.pop(future)
                        future.result()  # run_node records its own failures
                        finished(node_id)
        except KeyboardInterrupt:
            interrupted = True
            self.cancel.set()
            # Let running nodes reach their next cancellation point; their results stay cached.
            # A second Ctrl-C stops waiting for a node that never checks (and propagates).
            try:
                cf.wait(running)
            except KeyboardInterrupt:
                pool_wait = False
                raise
        finally:
            if pool is not None:
                pool.shutdown(wait=pool_wait, cancel_futures=True)

        cancelled = interrupted or self.cancel.is_set()
        for node_id in to_run:
            if node_id not in self.results:
                self.results[node_id] = NodeResult(plan.specs[node_id].id, "skipped", key=plan.keys[node_id], error="run cancelled" if cancelled else "not run")
                self.emit(ev.SKIPPED, node_id, reason="cancelled" if cancelled else "not run")
        outputs = self.collect_outputs()
        if cancelled:
            status = "cancelled"
            self.emit(ev.CANCELLED)
        elif any(r.status == "failed" for r in self.results.values()):
            status = "failed"
        else:
            status = "ok"
        return RunResult(graph.name, status, {n: self.results[n] for n in plan.order}, outputs)

    def skip_descendants(self, failed: str, waiting: dict[str, int]) -> None:
        graph = self.plan.graph
        stack = [failed]
        seen = set()
        while stack:
            node_id = stack.pop()
            for consumer in graph.dag.successors(node_id):
                if consumer in waiting and consumer not in seen and consumer not in self.results:
                    seen.add(consumer)
                    reason = f"upstream node {failed!r} {self.results[failed].status}"
                    self.results[consumer] = NodeResult(self.plan.specs[consumer].id, "skipped", key=self.plan.keys[consumer], error=reason)
                    self.emit(ev.SKIPPED, consumer, reason=reason)
                    stack.append(consumer)

    def input_values(self, node_id: str) -> dict[str, PortType]:
        values = {}
        for port, (src, out) in self.plan.graph.nodes[node_id].inputs.items():
            values[port] = self.outputs_of(src)[out]
        return values

    def outputs_of(self, node_id: str) -> dict[str, PortType]:
        outputs = self.values.get(node_id)
        if outputs is None:
            entry, _ = self.cached_entry(node_id, header_only=False)
            if entry is None:
                raise NodeError(f"the cached result of node {node_id!r} disappeared during the run (cache cleared?): run again")
            outputs = self.values[node_id] = entry.outputs
        return outputs

    def release_inputs(self, node_id: str) -> None:
        """Drop run-local values no later node needs (the caches keep what they keep)."""
        for src, _ in self.plan.graph.nodes[node_id].inputs.values():
            uses = self.remaining_uses.get(src, 0) - 1
            self.remaining_uses[src] = uses
            if uses <= 0 and src not in self.plan.target_ports:
                self.values.pop(src, None)

    def run_node(self, node_id: str) -> None:
        plan = self.plan
        spec = plan.specs[node_id]
        key = plan.keys[node_id]
        cacheable = self.use_cache and spec.cache != "none" and node_id not in self.volatile
        if cacheable:
            # Identical work under another node id may have finished earlier in this run.
            entry = self.executor.memory.get(key)
            if entry is not None and _files_unchanged(entry.files):
                self.values[node_id] = entry.outputs
                self.release_inputs(node_id)
                self.results[node_id] = NodeResult(spec.id, "cached", key=key, source="memory")
                self.emit(ev.CACHED, node_id, source="memory")
                return
        self.emit(ev.STARTED, node_id)
        ctx = Context(
            node_id, spec.id, cancel_event=self.cancel,
            on_progress=self._progress if self.on_event else None,
            resources=self.executor.resources, scratch_root=self.executor.scratch_root,
            graph_dir=plan.graph.base_dir, device=spec.device,
            store=self.executor.disk.store if self.use_cache and self.executor.disk is not None else None,
        )
        start = time.perf_counter()
        try:
            ctx.check_cancelled()
            kwargs: dict[str, Any] = dict(self.input_values(node_id))
            for inp in spec.inputs:
                kwargs.setdefault(inp.name, None)
            kwargs.update(plan.params[node_id])
            if spec.wants_ctx:
                kwargs["ctx"] = ctx
            if spec.device == "gpu":
                # The device the node names; without one (a plugin's GPU node, "auto", Taichi's
                # "gpu") the default GPU, as before. "cpu" claims nothing.
                named = kwargs.get("device")
                ctx.claim_device(named if isinstance(named, str) and named not in ("auto", "gpu") else "cuda:0")
            raw = spec.func(**kwargs)
            outputs = _normalise_outputs(spec, raw)
        except Cancelled:
            seconds = time.perf_counter() - start
            self.results[node_id] = NodeResult(spec.id, "skipped", seconds, "run cancelled", key)
            self.emit(ev.SKIPPED, node_id, reason="cancelled")
            return
        except KeyboardInterrupt:
            self.cancel.set()
            seconds = time.perf_counter() - start
            self.results[node_id] = NodeResult(spec.id, "skipped", seconds, "run cancelled", key)
            self.emit(ev.SKIPPED, node_id, reason="cancelled")
            return
        except Exception as exc:
            seconds = time.perf_counter() - start
            message = str(exc) if isinstance(exc, NodeError) else f"{type(exc).__name__}: {exc}"
            tb = None if isinstance(exc, NodeError) else traceback.format_exc()
            self.results[node_id] = NodeResult(spec.id, "failed", seconds, message, key, traceback=tb, warnings=ctx.warnings)
            self.emit(ev.FAILED, node_id, error=message, seconds=seconds)
            return
        finally:
            ctx.finish()
            _remove_scratch(ctx)
        seconds = time.perf_counter() - start
        self.executor.note_duration(spec.id, seconds)
        self.values[node_id] = outputs
        self.release_inputs(node_id)
        if cacheable:
            files = {}
            for value in outputs.values():
                for path in value.files():
                    files[path] = written_file_state(path)
            entry = CacheEntry(outputs, files, sum(v.nbytes() for v in outputs.values()))
            self.executor.memory.put(key, entry)
            if spec.cache == "disk" and self.executor.disk is not None:
                self.executor.disk.put(key, entry, node_type=spec.id)
        for message in ctx.warnings:
            self.emit(ev.WARNING, node_id, message=message)
        self.results[node_id] = NodeResult(spec.id, "executed", seconds, None, key, warnings=ctx.warnings)
        self.emit(ev.FINISHED, node_id, seconds=seconds)

    def _progress(self, node_id: str, done: float, total: float | None, message: str) -> None:
        self.emit(ev.PROGRESS, node_id, done=done, total=total, message=message)

    def collect_outputs(self) -> dict[str, PortType]:
        outputs: dict[str, PortType] = {}
        for node_id, ports in self.plan.target_ports.items():
            if self.results.get(node_id) is None or self.results[node_id].status not in ("executed", "cached"):
                continue
            try:
                values = self.outputs_of(node_id)
            except NodeError:
                continue
            for port, value in values.items():
                if ports is None or port in ports:
                    ref = f"{node_id}.{port}"
                    outputs[self.plan.aliases.get(ref, ref)] = value
        return outputs


def _normalise_outputs(spec, raw: Any) -> dict[str, PortType]:
    """The node's return value as {output: value of its declared type}, or a NodeError."""
    outs = spec.outputs
    if len(outs) == 1 and not (isinstance(raw, dict) and len(raw) == 1 and outs[0].name in raw):
        produced = {outs[0].name: raw}  # the common case: one output, returned bare
    elif isinstance(raw, dict):
        produced = raw
        unknown = [str(name) for name in raw if spec.output(name) is None]
        if unknown:
            raise NodeError(f"node {spec.id} returned output(s) {', '.join(unknown)} it does not declare; its outputs: "
                            f"{', '.join(o.name for o in outs)} (a bug in the node: report it to its author)")
    else:
        raise NodeError(f"node {spec.id} must return a dict with outputs {', '.join(o.name for o in outs)}; "
                        f"got {type(raw).__name__} (a bug in the node: report it to its author)")
    missing = [o.name for o in outs if o.name not in produced]
    if missing:
        raise NodeError(f"node {spec.id} did not produce output(s) {', '.join(missing)} (a bug in the node: report it to its author)")
    outputs = {}
    for out in outs:
        try:
            value = out.type.coerce(produced[out.name])
            value.validate()
        except Exception as exc:  # whatever a type's checks raise, name the output
            raise NodeError(f"output {out.name!r} of {spec.id} is not a valid {out.type.type_name}: {exc} "
                            "(a bug in the node: report it to its author)") from None
        outputs[out.name] = value
    return outputs


def _files_unchanged(files: dict[str, Any]) -> bool:
    # Most entries wrote no file: skip building a generator for every cached node.
    return not files or all(written_file_state(path) == state for path, state in files.items())


def _remove_scratch(ctx: Context) -> None:
    if ctx._scratch is not None:
        import shutil

        shutil.rmtree(ctx._scratch, ignore_errors=True)
