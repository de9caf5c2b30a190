"""The ``sim.wave_solve`` node: run the Taichi wave solver and stream snapshots to disk.

Snapshots go to a :class:`~thyra_graph.types.FieldSequence`: content-addressed chunk files
``<cache folder>/v2/fields/<hash>.npz`` (the Thyra cache folder, ``THYRA_CACHE_DIR`` or the
user cache), never all in memory. The engine caches the handle; deleting a chunk (or clearing
the cache) makes the next run solve again.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from thyra_graph.engine.declaration import Input, NodeError, Output, Param, node
from thyra_graph.types import Field, FieldSequence
from thyra_graph.engine.chunks import FieldSequenceWriter

from .memory_budget import check_memory, solve_memory
from .taichi_runtime import DEVICES
from .time_step import UNSTABLE_POLICIES, choose_time_step
from .wave_grid import GRAVITY, WaveGrid, build_grid, stability_limit
from .wave_sources import parse_sources

BOUNDARIES = ("absorbing", "reflecting")
#: The state is checked for NaN/inf at least this often (steps), to name the step it went bad.
CHECK_EVERY = 64


@node(
    "sim.wave_solve", category="sim",
    inputs=[Input("state", Field, help="initial state from sim.wave_init: height, velocity, speed or depth, obstacle")],
    params=[
        Param("duration", 4.0, min=0.001, max=36000.0, help="simulated seconds to produce"),
        Param("fps", 25.0, min=0.01, max=10000.0, help="snapshots per simulated second (the video frame rate)"),
        Param("courant", 0.7, min=0.05, max=1.0, help="automatic time step as a fraction of the stability (CFL) limit"),
        Param("dt", None, kind="float", min=1e-9, max=1e4, help="time step in seconds; empty = automatic from the CFL limit"),
        Param("unstable_dt", "clamp", choices=UNSTABLE_POLICIES,
              help="a given dt above the CFL limit is clamped to a stable step (with a warning) or refused"),
        Param("damping", 0.0, min=0.0, max=1000.0, help="amplitude decay rate in 1/s: waves lose amplitude as e^(−damping·t)"),
        Param("boundary", "absorbing", choices=BOUNDARIES,
              help="image edges: absorbing (waves leave through a sponge layer) or reflecting (a wall)"),
        Param("sponge", 24, min=4, max=1024, when={"boundary": "absorbing"}, help="absorbing boundary: width in cells of the sponge added around the image"),
        Param("sources", [], kind="json",
              help='wave makers, e.g. [{"type": "swell", "direction": 90, "amplitude": 0.3, "period": 3}] '
                   "(types point, line, swell; positions in metres from the top-left)"),
        Param("device", "auto", choices=DEVICES, help="auto: the GPU when Taichi finds one, else the CPU"),
        Param("precision", "float32", choices=("float32", "float64"), help="arithmetic of the solver"),
        Param("save_velocity", False, help="also store the vertical velocity in every snapshot (twice the disk)"),
        Param("max_memory_gb", None, kind="float", min=0.001, help="refuse grids needing more memory than this; empty = what is free"),
    ],
    outputs=[
        Output("frames", FieldSequence, help="height snapshots every 1/fps seconds, streamed from disk"),
        Output("final", Field, help="the last state (height, velocity, speed, obstacle): continue from it"),
    ],
    device="gpu",
    requires=("taichi",),
)
def wave_solve(state: Field, *, duration: float, fps: float, courant: float, dt: float | None, unstable_dt: str,
               damping: float, boundary: str, sponge: int, sources: list, device: str, precision: str,
               save_velocity: bool, max_memory_gb: float | None, ctx) -> dict[str, Any]:
    """Solve the 2-D wave equation from an initial state: obstacles reflect, edges absorb.

    Speed varies in space (√(g·depth) from sim.wave_init), rocks are reflecting walls, the
    image edges let waves out through a sponge layer (or reflect), sources add waves (an
    incoming swell, a point, a line). The time step follows from the CFL condition; snapshots
    are written every 1/fps seconds to chunk files, so long solves never fill the memory. A
    state that becomes NaN or infinite stops the solve naming the step and the cell.

    Example: ``{type: sim.wave_solve, inputs: {state: init.state}, params: {duration: 6, fps: 25,
    sources: [{type: swell, direction: 80, amplitude: 0.3, period: 3}]}}``
    """
    rows, cols = _grid_shape(state)
    pad = sponge if boundary == "absorbing" else 0
    frames = int(round(duration * fps)) + 1
    layers = ["height", "velocity"] if save_velocity else ["height"]
    itemsize = 4 if precision == "float32" else 8
    check_memory(solve_memory(rows, cols, sponge=pad, itemsize=itemsize, snapshot_bytes=32 << 20),
                 limit_gb=max_memory_gb, what=f"a wave solve on a {cols}×{rows} grid (+{pad} sponge cells per side)")

    height, velocity, speed, obstacle = _initial_arrays(state)
    limit = stability_limit(speed, obstacle, state.dx, state.dy)
    step = choose_time_step(limit, fps=fps, courant=courant, dt=dt, unstable=unstable_dt)
    if step.note:
        ctx.warn(step.note)
    grid = build_grid(height, velocity, speed, obstacle, dx=state.dx, dy=state.dy, dt=step.dt,
                      damping=damping, sponge=pad, sources=parse_sources(sources))

    from .taichi_runtime import taichi_runtime
    from .wave_solver import TaichiWaveSolver  # imports nothing heavy itself; Taichi starts here

    runtime, _ = taichi_runtime(device)
    if runtime.on_gpu:
        ctx.claim_device(runtime.arch)  # Taichi's "cuda" is torch's cuda:0: one lock for both
    solver = TaichiWaveSolver(grid, precision=precision, device=device)
    if solver.device_note:
        ctx.warn(solver.device_note)
    meta = {
        "solver": "sim.wave_solve", "scheme": "leapfrog, 5-point flux form", "dt": step.dt,
        "steps_per_snapshot": step.steps_per_snapshot, "fps": 1.0 / (step.dt * step.steps_per_snapshot),
        "cfl_limit": step.limit if math.isfinite(step.limit) else None, "boundary": boundary, "sponge": pad,
        "damping": damping, "sources": len(grid.sources), "device": solver.runtime.device,
        "arch": solver.runtime.arch, "precision": precision, "g": GRAVITY,
    }
    static = {"obstacle": obstacle.astype(np.float32), "speed": speed.astype(np.float32)}
    with FieldSequenceWriter(_fields_root(ctx), (rows, cols), layers, dx=state.dx, dy=state.dy,
                             static=static, meta=meta) as writer:
        writer.append(0.0, 0, _snapshot(solver, layers))
        checked = 0
        for index in range(1, frames):
            ctx.progress(index - 1, frames - 1, "solving")
            target = index * step.steps_per_snapshot
            while solver.step_count < target:
                solver.advance(min(CHECK_EVERY, target - solver.step_count))
                bad = solver.first_nonfinite()
                if bad is not None:
                    raise NodeError(_nonfinite_message(grid, bad, solver.step_count, checked))
                checked = solver.step_count
            writer.append(solver.time, solver.step_count, _snapshot(solver, layers))
        sequence = writer.finish()
    ctx.progress(frames - 1, frames - 1, "solved")

    out_dtype = np.float32 if precision == "float32" else np.float64
    final_layers = {"height": solver.height().astype(out_dtype), "velocity": solver.velocity().astype(out_dtype),
                    "speed": speed.astype(out_dtype), "obstacle": obstacle.astype(out_dtype)}
    if "depth" in state.layers:
        final_layers["depth"] = np.asarray(state["depth"], dtype=out_dtype)
    final = Field(final_layers, state.dx, state.dy, state.t + solver.time, {**state.meta, **meta})
    return {"frames": sequence, "final": final}


def _grid_shape(state: Field) -> tuple[int, int]:
    if "height" not in state.layers:
        raise NodeError(f"the state has no 'height' layer (it has {', '.join(state.layers) or 'none'}): "
                        "build it with sim.wave_init or name the surface height layer 'height'")
    if "speed" not in state.layers and "depth" not in state.layers:
        raise NodeError("the state has neither a 'speed' nor a 'depth' layer, so the wave speed is unknown: "
                        "build it with sim.wave_init, or add a depth layer in metres")
    return state.shape


def _initial_arrays(state: Field) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    shape = state.shape
    height = _finite_layer(state, "height")
    velocity = _finite_layer(state, "velocity") if "velocity" in state.layers else np.zeros(shape)
    if "speed" in state.layers:
        speed = _finite_layer(state, "speed")
        if (speed < 0).any():
            raise NodeError("the 'speed' layer holds negative wave speeds; speeds are metres per second, >= 0")
    else:
        depth = _finite_layer(state, "depth")
        speed = np.sqrt(GRAVITY * np.maximum(depth, 0.0))
    obstacle = _finite_layer(state, "obstacle") > 0.5 if "obstacle" in state.layers else np.zeros(shape, bool)
    # Dry cells (no depth, no speed) do not carry waves: treat them as obstacles too.
    return height, velocity, speed, obstacle | (speed <= 0)


def _finite_layer(state: Field, name: str) -> np.ndarray:
    layer = np.asarray(state[name], dtype=np.float64)
    bad = ~np.isfinite(layer)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise NodeError(f"the initial state's {name!r} layer holds NaN or infinity ({int(bad.sum())} cells, the "
                        f"first at row {row}, column {col}): fix the input that produced it")
    return layer


def _snapshot(solver, layers: list[str]) -> dict[str, np.ndarray]:
    snap = {"height": solver.height().astype(np.float32)}
    if "velocity" in layers:
        snap["velocity"] = solver.velocity().astype(np.float32)
    return snap


def _nonfinite_message(grid: WaveGrid, flat_index: int, step: int, last_good: int) -> str:
    row, col, inside = grid.cell_position(flat_index)
    place = (f"row {row}, column {col} (x = {(col + 0.5) * grid.dx:.4g} m, y = {(row + 0.5) * grid.dy:.4g} m)"
             if inside else f"the sponge margin outside the image (row {row}, column {col})")
    return (f"the wave state became NaN or infinite between step {last_good} (t = {last_good * grid.dt:.4g} s, "
            f"still finite) and step {step} (t = {step * grid.dt:.4g} s); the first bad cell is at {place}. "
            "The solve was stopped. Usual causes: a time step above the stability limit, or a source "
            "amplitude so large the numbers overflow; lower dt/courant or the amplitudes, or use float64")


def _fields_root(ctx) -> Path:
    return ctx.chunk_folder("fields")
