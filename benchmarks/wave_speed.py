"""Cell updates per second of the Taichi wave kernel against NumPy, and against memory bandwidth.

    .venv/bin/python benchmarks/wave_speed.py [--quick] [--device cpu|gpu|auto]

The problem is the one sim.wave_solve builds (thyra_graph.nodes.sim.wave_grid): a 1024² and a
2048² image grid with a 24-cell sponge on every side, depth varying across it, a rock and
damping, in float32. Both solvers step the same padded arrays with the same scheme:

- Taichi: thyra_graph.nodes.sim.wave_solver.TaichiWaveSolver, 8 steps per kernel launch
  (medians of 64-step runs after a warm-up; compile time excluded), both ways it can run on a
  CPU: "blocked" (the default there: temporal blocking, 8 steps per pass over memory, tile by
  tile in cache, thyra_graph.nodes.sim.wave_blocked) and "single-step" (one pass per step, the
  path GPUs take);
- NumPy: thyra_graph.nodes.sim.wave_reference.leapfrog_step, the vectorised reference, here
  in float32 like the Taichi run (a 4-step run per repetition).

Repetitions of the two are interleaved, so a busy spell on this shared machine hits both.
Target (issue 7): Taichi (the default, blocked path) at least 10× NumPy at 1024² and at 2048².

Memory-bandwidth bound: a step reads u, u⁻, kx, ky and writes u⁺, 20 bytes per cell in
float32, so no single-pass kernel can update more than ``bandwidth / 20 B`` cells a second
(the blocked path passes over memory once per 8 steps, so it can exceed that bound).
The bandwidth is measured in the same run by copying a 256 MiB array (bytes read + bytes
written, per second), both with NumPy (one thread) and with a vectorised Taichi copy kernel
(all threads); the larger is the bound. The table shows the fraction of it the kernel reaches.

With ``--device gpu`` (or auto on a machine with a GPU) the Taichi figures are for the GPU;
the bandwidth copy then runs there too.
"""

# No `from __future__ import annotations`: Taichi reads kernel annotations as objects.

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import Report, format_ratio, timed, timed_alternating  # noqa: E402

from thyra_graph.nodes.sim.taichi_runtime import on_taichi_thread, taichi_runtime  # noqa: E402
from thyra_graph.nodes.sim.wave_grid import build_grid, stability_limit  # noqa: E402
from thyra_graph.nodes.sim.wave_reference import leapfrog_step  # noqa: E402
from thyra_graph.nodes.sim.wave_solver import TaichiWaveSolver  # noqa: E402

SPEED_UP_TARGET = 10.0
BYTES_PER_CELL = 20  # float32: read u, u⁻, kx, ky; write u⁺
COPY_BYTES = 256 << 20


def problem(cells: int):
    """The benchmark grid: depth 2–10 m across, a rock, damping, 24-cell sponge."""
    x = np.linspace(0.0, 1.0, cells)[None, :] * np.ones((cells, 1))
    y = np.linspace(0.0, 1.0, cells)[:, None] * np.ones((1, cells))
    speed = np.sqrt(9.81 * (2.0 + 8.0 * x))
    rock = (x - 0.6) ** 2 + (y - 0.5) ** 2 < 0.05 ** 2
    height = 0.3 * np.exp(-((x - 0.3) ** 2 + (y - 0.5) ** 2) / 0.002)
    dx = 1.0
    dt = 0.7 * stability_limit(speed, rock, dx, dx)
    return build_grid(height, np.zeros_like(height), speed, rock, dx=dx, dy=dx, dt=dt, damping=0.01, sponge=24)


def taichi_copy_bandwidth(runtime, repeat: int) -> float:
    """Bytes per second moved by a vectorised Taichi copy of a 256 MiB array (read + write)."""
    ti = runtime.ti
    lanes = 8
    vec = ti.types.vector(lanes, ti.f32)
    array = ti.types.ndarray(dtype=vec, ndim=1)

    @ti.kernel
    def copy(source: array, target: array):
        for i in range(source.shape[0]):
            target[i] = source[i]

    count = COPY_BYTES // (4 * lanes)
    source, target = ti.Vector.ndarray(lanes, ti.f32, (count,)), ti.Vector.ndarray(lanes, ti.f32, (count,))
    source.fill(1.0)

    def run(_):
        copy(source, target)
        ti.sync()

    timing = timed(run, repeat=repeat, warmup=2)
    return 2 * COPY_BYTES / timing.median


def numpy_copy_bandwidth(repeat: int) -> float:
    source = np.ones(COPY_BYTES // 4, np.float32)
    target = np.empty_like(source)
    timing = timed(lambda _: np.copyto(target, source), repeat=repeat, warmup=2)
    return 2 * COPY_BYTES / timing.median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small grids, few repetitions (smoke test)")
    parser.add_argument("--device", choices=("cpu", "gpu", "auto"), default="cpu")
    args = parser.parse_args(argv)
    sizes = [256, 512] if args.quick else [1024, 2048]
    repeat = 3 if args.quick else 7
    taichi_steps, numpy_steps = 64, 4

    runtime, note = taichi_runtime(args.device)
    if note:
        print(f"note: {note}")
    print(f"Taichi backend: {runtime.arch} ({runtime.device}); CPU threads: {os.cpu_count()}")

    bandwidth_numpy = numpy_copy_bandwidth(repeat)
    # Taichi belongs to its own thread (see taichi_runtime): measure there.
    bandwidth_taichi = on_taichi_thread(taichi_copy_bandwidth, runtime, repeat)
    bandwidth = max(bandwidth_numpy, bandwidth_taichi)

    report = Report("wave kernel, float32: cell updates per second (median)",
                    ["grid (+sponge)", "path", "Taichi", "NumPy", "speed-up", "target", "verdict",
                     "of single-pass bound"])
    for cells in sizes:
        grid = problem(cells)
        padded = grid.padded_shape[0] * grid.padded_shape[1]
        solvers = {"blocked": TaichiWaveSolver(grid, device=args.device, temporal_blocking=True),
                   "single-step": TaichiWaveSolver(grid, device=args.device, temporal_blocking=False)}
        if not solvers["blocked"].uses_temporal_blocking:
            del solvers["blocked"]
        for solver in solvers.values():
            solver.advance(16)  # compile and warm up

        def run_taichi(solver):
            def run(_):
                solver.advance(taichi_steps)
                on_taichi_thread(runtime.ti.sync)
            return run

        state = {"u": grid.u.astype(np.float32), "u_prev": grid.u_prev.astype(np.float32)}
        kx, ky, beta = grid.kx.astype(np.float32), grid.ky.astype(np.float32), grid.beta().astype(np.float32)

        def run_numpy(_):
            for _ in range(numpy_steps):
                state["u"], state["u_prev"] = leapfrog_step(state["u"], state["u_prev"], kx, ky, beta), state["u"]

        cases = {name: (run_taichi(solver), lambda: None) for name, solver in solvers.items()}
        timings = timed_alternating({**cases, "numpy": (run_numpy, lambda: None)}, repeat=repeat, warmup=1)
        numpy_rate = numpy_steps * padded / timings["numpy"].median
        bound = bandwidth / BYTES_PER_CELL
        label = f"{cells}² (+24)"
        for index, (name, solver) in enumerate(solvers.items()):
            taichi_rate = taichi_steps * padded / timings[name].median
            ratio = taichi_rate / numpy_rate
            verdict = (report.target(f"{label}: Taichi ≥ 10× NumPy", ratio >= SPEED_UP_TARGET) if index == 0
                       else "(fallback)")
            report.row(label, name, f"{taichi_rate / 1e6:.0f} M/s", f"{numpy_rate / 1e6:.0f} M/s",
                       format_ratio(ratio), f"≥ {SPEED_UP_TARGET:g}×", verdict,
                       f"{taichi_rate / bound:.0%} of {bound / 1e6:.0f} M/s")
            if not math.isfinite(solver.height().sum()):
                print(f"warning: the {cells}² {name} state is not finite after the benchmark")
    report.print()
    print(f"\nmemory bandwidth (256 MiB copy, read + write): NumPy {bandwidth_numpy / 1e9:.1f} GB/s (1 thread), "
          f"Taichi {bandwidth_taichi / 1e9:.1f} GB/s ({runtime.arch}); bound = {bandwidth / 1e9:.1f} GB/s ÷ "
          f"{BYTES_PER_CELL} B per cell update")
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
