"""Cache-key cost against data size: a node fed by a 1 GB array against one fed by 1 KB.

    .venv/bin/python benchmarks/cache_keys.py [--quick]

A key is a Merkle hash of what a node computes (type, version, params, the keys of its
inputs) plus, for a source node, a fingerprint of the file it reads: path, size and mtime,
one ``stat`` call. So a key must cost the same whatever the data: target, the key of a node
fed by a 1 GB array within 2× the key of one fed by a 1 KB array.

The graph is ``bench.load_npy → bench.corner``: a source node declared here that maps a
``.npy`` file lazily (``mmap_mode='r'``), and a node that reads one element of it. The files
are written in a temporary folder with ``np.lib.format.open_memmap`` (sparse on most file
systems: neither RAM nor disk is filled). Measured:

- planning (every key of the graph) on a freshly built graph, and again on the same graph
  (the per-edit part cached, only the fingerprint taken): the targets;
- a cold run and a cached re-run of each graph (the array is mapped, never read whole);
- content-hash mode (``Executor(content_hash=True)``) for information: it hashes the file's
  bytes, so its first key grows with the size *by design* (the hash is then remembered
  while the file's size, mtime, inode and ctime stay the same, so later keys are cheap).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from measure import Report, Timing, format_ratio, format_seconds, timed

from thyra_graph.engine import keys as key_module
from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.planner import make_plan
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Field, Number

KEY_RATIO_TARGET = 2.0
# Calls of tens of microseconds are timed in batches: one call alone is mostly timer noise.
BATCH = 50
BIG_SIDE = 16_384  # 16,384² float32 = 1 GiB
SMALL_SIDE = 16  # 16² float32 = 1 KiB


@node("bench.load_npy", cache="memory",
      params=[Param("path", "array.npy", kind="path", io="read", help="a 2-D float .npy file")],
      outputs=[Output("field", Field)])
def load_npy(*, path: str) -> Field:
    """Map a 2-D float array from a .npy file without reading it (pages load on access).

    ``cache="memory"``: the value is a view on the file already; copying it into the disk
    cache would cost a full read and write of the data.
    """
    return Field({"value": np.load(path, mmap_mode="r", allow_pickle=False)})


@node("bench.corner", inputs=[Input("field", Field)], outputs=[Output("value", Number)])
def corner(field: Field) -> Number:
    """The first element of a field (touches one page of it)."""
    return Number(float(field["value"][0, 0]))


def bench_registry() -> Registry:
    registry = Registry()
    registry.add(load_npy)
    registry.add(corner)
    return registry


def write_array(path: Path, side: int) -> Path:
    """A side × side float32 .npy file, written without holding it in memory."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(side, side))
    array[0, 0] = side  # the one value the graph reads back
    array.flush()
    del array
    return path


def graph_for(registry: Registry, path: Path) -> Graph:
    graph = Graph(registry, name=path.stem, base_dir=path.parent)
    graph.add_node("bench.load_npy", "load", params={"path": path.name})
    graph.add_node("bench.corner", "corner")
    graph.connect("load.field", "corner.field")
    return graph


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run, noisier figures)")
    args = parser.parse_args(argv)
    repeat = 7 if args.quick else 25
    registry = bench_registry()
    folder = Path(tempfile.mkdtemp(prefix="thyra-bench-keys-"))
    try:
        files = {"1 KiB": write_array(folder / "small.npy", SMALL_SIDE), "1 GiB": write_array(folder / "big.npy", BIG_SIDE)}
        sizes = {label: path.stat().st_size for label, path in files.items()}
        report = Report(
            f"Cache-key cost against data size: per call, median of {repeat} batches of {BATCH} calls (first "
            f"content hash: 3 single calls), minimum alongside; files {sizes['1 KiB']:,} and {sizes['1 GiB']:,} bytes",
            ["measure", "1 KiB array", "1 GiB array", "min 1 KiB", "min 1 GiB", "1 GiB / 1 KiB", "target", "verdict"])

        def compare(label: str, small: Timing, big: Timing, *, target: bool) -> None:
            ratio = big.median / small.median
            verdict = report.target(label, ratio <= KEY_RATIO_TARGET) if target else ""
            report.row(label, format_seconds(small.median), format_seconds(big.median), format_seconds(small.min),
                       format_seconds(big.min), format_ratio(ratio), f"<= {KEY_RATIO_TARGET:g}×" if target else "", verdict)

        def both(run, setup_for, count: int = repeat, batch: int = BATCH) -> tuple[Timing, Timing]:
            """Per-call times of ``run`` over batches of ``setup_for(label)()`` items, small array then big."""
            return tuple(timed(lambda items: [run(item) for item in items],
                               setup=lambda: [setup_for(label)() for _ in range(batch)],
                               repeat=count, warmup=2).per(batch) for label in files)

        def plan_keys(graph: Graph, content_hash: bool = False) -> None:
            if len(make_plan(graph, content_hash=content_hash).keys) != 2:
                raise SystemExit("benchmark broken: the plan should key both nodes")

        def fresh(label: str):
            return lambda: graph_for(registry, files[label])

        compare("plan (all keys), freshly built graph", *both(plan_keys, fresh), target=True)
        graphs = {label: graph_for(registry, path) for label, path in files.items()}
        compare("plan (all keys), same graph again", *both(plan_keys, lambda label: lambda: graphs[label]), target=True)

        def run_ok(job) -> None:
            graph, executor = job
            result = executor.run(graph)
            if result.status != "ok" or result.count("executed") + result.count("cached") != 2:
                raise SystemExit(f"benchmark broken: run ended {result.status}")

        cold = both(run_ok, lambda label: lambda: (graph_for(registry, files[label]), Executor()))
        compare("cold run (file mapped, one element read)", *cold, target=False)
        warm = {label: (graph_for(registry, path), Executor()) for label, path in files.items()}
        for job in warm.values():
            run_ok(job)
        compare("cached re-run", *both(run_ok, lambda label: lambda: warm[label]), target=True)

        def forget_hashes(label: str):
            def setup() -> Graph:
                key_module._CONTENT_HASHES.clear()  # as in a process that has never hashed this file
                return graph_for(registry, files[label])
            return setup

        hashed_first = both(lambda g: plan_keys(g, True), forget_hashes, count=3, batch=1)
        compare("content-hash mode: first key (reads the whole file, by design)", *hashed_first, target=False)
        hashed_again = both(lambda g: plan_keys(g, True), fresh)
        compare("content-hash mode: later keys (hash remembered per file state)", *hashed_again, target=False)
        throughput = sizes["1 GiB"] / hashed_first[1].median / 1e9
        report.print()
        print(f"\ncontent hashing reads the file at about {throughput:.2f} GB/s here: its first key grows linearly "
              "with the data, which is what content addressing costs; the default (path, size, mtime) does not.")
        return report.verdict()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
