"""sim.wave_solve as a node: snapshots on disk, time step policy, refusals, caching."""

from __future__ import annotations

import re

import numpy as np
import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.context import Context
from thyra_graph.engine.declaration import NodeError
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.nodes.sim.wave_grid import stability_limit
from thyra_graph.nodes.sim.wave_solve import wave_solve
from thyra_graph.types import Field, FieldSequence

from .conftest import cell_centres

pytestmark = pytest.mark.usefixtures("taichi")


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """Snapshot chunks go under THYRA_CACHE_DIR: keep them in the test's folder."""
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))


def bump_state(rows: int = 40, cols: int = 60, *, dx: float = 0.5, depth: float = 2.0) -> Field:
    x, y = cell_centres(rows, cols, dx)
    height = 0.2 * np.exp(-((x - 12) ** 2 + (y - 10) ** 2) / 4.0)
    rock = np.zeros((rows, cols), np.float32)
    rock[15:22, 35:40] = 1
    return Field({"height": height.astype(np.float32), "velocity": np.zeros((rows, cols), np.float32),
                  "depth": np.full((rows, cols), depth, np.float32), "obstacle": rock}, dx, dx)


def solve(state: Field, ctx: Context | None = None, **params):
    return wave_solve(state, ctx=ctx or Context.standalone("sim.wave_solve"), **params)


def test_snapshots_every_frame_interval_are_streamed_to_chunk_files(tmp_path):
    result = solve(bump_state(), duration=1.0, fps=10.0, save_velocity=True)
    frames = result["frames"]
    assert isinstance(frames, FieldSequence)
    assert len(frames) == 11
    np.testing.assert_allclose(frames.times, np.arange(11) / 10.0, atol=1e-12)
    assert frames.names == ["height", "velocity"]
    assert set(frames.static) == {"obstacle", "speed"}
    # Called directly (no run, no store): the chunks go to this process's temporary folder,
    # never into the cache folder.
    assert all(path.is_file() and not path.is_relative_to(tmp_path / "cache") for path in frames.chunk_paths())
    first, last = frames.at(0), frames.at(-1)
    state = bump_state()
    # Exact but for subnormal values (< 1e-37), which Taichi's own thread flushes to zero.
    np.testing.assert_allclose(first["height"], np.where(state["obstacle"] > 0.5, 0, state["height"]), rtol=1e-7, atol=1e-30)
    assert not np.allclose(last["height"], first["height"]), "nothing moved"
    assert np.all(last["height"][frames.static["obstacle"] > 0.5] == 0), "water inside the rock"
    meta = frames.meta
    assert meta["dt"] * meta["steps_per_snapshot"] == pytest.approx(0.1)
    assert meta["dt"] <= meta["cfl_limit"]
    assert meta["device"] == "cpu"
    assert frames.static["speed"][0, 0] == pytest.approx(np.sqrt(9.81 * 2.0), rel=1e-5)


def test_the_final_state_continues_the_solve(tmp_path):
    state = bump_state()
    whole = solve(state, duration=0.6, fps=10.0, boundary="reflecting")["final"]
    first = solve(state, duration=0.3, fps=10.0, boundary="reflecting")["final"]
    second = solve(first, duration=0.3, fps=10.0, boundary="reflecting")["final"]
    assert second.t == pytest.approx(0.6)
    scale = np.abs(whole["height"]).max()
    assert np.abs(second["height"] - whole["height"]).max() < 1e-4 * scale


def test_an_unstable_time_step_is_clamped_with_a_warning_naming_the_limit():
    state = bump_state()
    limit = stability_limit(np.sqrt(9.81 * state["depth"].astype(float)), state["obstacle"] > 0.5, state.dx, state.dy)
    ctx = Context.standalone("sim.wave_solve")
    frames = solve(state, ctx, duration=0.2, fps=10.0, dt=3 * limit, unstable_dt="clamp")["frames"]
    assert frames.meta["dt"] <= limit
    assert len(ctx.warnings) == 1
    assert "clamped" in ctx.warnings[0] and f"{limit:.6g}" in ctx.warnings[0]


def test_an_unstable_time_step_is_refused_when_asked_saying_why():
    with pytest.raises(NodeError, match=r"unstable.*CFL limit is .* refused"):
        solve(bump_state(), duration=0.2, fps=10.0, dt=1.0, unstable_dt="refuse")


def test_a_stable_given_time_step_is_used_as_given():
    frames = solve(bump_state(), duration=0.2, fps=10.0, dt=0.01)["frames"]
    assert frames.meta["dt"] == 0.01
    assert frames.meta["steps_per_snapshot"] == 10


def test_a_state_turning_nan_stops_the_solve_naming_step_and_place():
    # A source so strong that float32 overflows to infinity, then NaN.
    blow_up = [{"type": "point", "x": 10.0, "y": 10.0, "amplitude": 1e38, "period": 1.0}]
    with pytest.raises(NodeError) as caught:
        solve(bump_state(), duration=2.0, fps=10.0, sources=blow_up)
    message = str(caught.value)
    assert re.search(r"NaN or infinite between step \d+ \(t = .* s, still finite\) and step \d+", message)
    row, col = (int(v) for v in re.search(r"at row (\d+), column (\d+)", message).groups())
    assert abs(row - 20) <= 2 and abs(col - 20) <= 2, "the bad cell is not where the source is"


def test_a_grid_too_large_for_memory_is_refused_before_allocating_with_the_size_needed():
    # 100 000² cells: broadcast views take no memory, so only the refusal can allocate.
    huge = np.broadcast_to(np.float32(0), (100_000, 100_000))
    state = Field({"height": huge, "depth": np.broadcast_to(np.float32(5), huge.shape)}, 1.0, 1.0)
    with pytest.raises(NodeError, match=r"would need (\d+\.\d) TB of memory but only .* nothing was allocated"):
        solve(state, duration=1.0)


def test_the_memory_limit_parameter_refuses_smaller_grids_too():
    with pytest.raises(NodeError, match=r"would need .* MB of memory but only 1\.0 MB is allowed \(max_memory_gb\)"):
        solve(bump_state(), duration=0.1, max_memory_gb=0.001)


def test_nan_in_the_initial_state_is_refused_naming_the_layer_and_cell():
    state = bump_state()
    state.layers["height"][3, 7] = np.nan
    with pytest.raises(NodeError, match=r"'height' layer holds NaN .* row 3, column 7"):
        solve(state, duration=0.1)


def test_a_state_without_depth_or_speed_is_refused():
    state = Field({"height": np.zeros((8, 8), np.float32)}, 1.0, 1.0)
    with pytest.raises(NodeError, match="neither a 'speed' nor a 'depth'"):
        solve(state, duration=0.1)


@pytest.mark.parametrize("sources, message", [
    ([{"type": "wave"}], "source 0 has type 'wave'"),
    ([{"type": "point", "x": 1}], r"lacks y, amplitude, period"),
    ([{"type": "point", "x": 500, "y": 1, "amplitude": 1, "period": 1}], "outside the image"),
    ([{"type": "swell", "direction": 0, "amplitude": 1, "period": -2}], "period must be positive"),
    ([{"type": "point", "x": 18, "y": 9, "amplitude": 1, "period": 1}], "entirely on obstacles"),
])
def test_bad_sources_are_refused_naming_the_source(sources, message):
    with pytest.raises(NodeError, match=message):
        solve(bump_state(), duration=0.1, sources=sources)


def test_asking_for_a_gpu_without_one_warns_and_runs_on_the_cpu():
    ctx = Context.standalone("sim.wave_solve")
    frames = solve(bump_state(), ctx, duration=0.1, fps=10.0, device="gpu")["frames"]
    if frames.meta["device"] == "cpu":
        assert any("no usable GPU backend" in w or "cannot switch" in w for w in ctx.warnings)
    else:  # a machine with a GPU: nothing to warn about
        assert not ctx.warnings


# -- in a graph: cached re-runs, and a deleted chunk -------------------------------------------------
def solve_graph(tmp_path) -> Graph:
    graph = Graph(default_registry(), name="waves", base_dir=tmp_path)
    graph.add_node("sim.synthetic_sea", "sea", params={"width": 96, "height": 64})
    graph.add_node("sim.wave_init", "init", params={"width_m": 48.0, "grid_width": 48})
    graph.connect("sea.image", "init.image")
    graph.connect("sea.rocks", "init.mask")
    graph.add_node("sim.wave_solve", "solve", params={"duration": 0.5, "fps": 10.0})
    graph.connect("init.state", "solve.state")
    return graph


def test_a_cached_rerun_does_not_solve_again_but_a_deleted_chunk_does(tmp_path):
    graph = solve_graph(tmp_path)
    disk = DiskCache(tmp_path / "cache")
    first = Executor(disk=disk).run(graph, ["solve.frames"])
    assert first.ok and first.nodes["solve"].status == "executed"
    frames = first.outputs["solve.frames"]

    again = Executor(disk=disk).run(graph, ["solve.frames"])  # a new process would see the same
    assert again.nodes["solve"].status == "cached"
    assert again.outputs["solve.frames"].chunk_paths() == frames.chunk_paths()

    frames.chunk_paths()[0].unlink()
    rebuilt = Executor(disk=disk).run(graph, ["solve.frames"])
    assert rebuilt.nodes["solve"].status == "executed"
    assert rebuilt.outputs["solve.frames"].chunk_paths() == frames.chunk_paths(), "the same content, the same files"
    assert all(path.is_file() for path in rebuilt.outputs["solve.frames"].chunk_paths())
