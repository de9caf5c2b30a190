"""Cache keys tell the truth: they change with the code a node runs, ignore params that cannot
change its result, take declared external state, and keep a non-deterministic node's answer
as a fixed input that its descendants cache against."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.executor import Executor
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.registry import Registry
from thyra_graph.engine.code_version import code_modules, code_version
from thyra_graph.engine.declaration import DeclarationError, Output, Param, node
from thyra_graph.engine.planner import make_plan
from thyra_graph.types import Number

# -- a plugin copied to a temporary folder, edited between runs --------------------------------

PLUGIN = {
    "__init__.py": "from .sources import base\nfrom .scaling import scale\nfrom .offsets import offset\n"
                   "THYRA_NODES = [base, scale, offset]\n",
    "sources.py": """
        from thyra_graph import Output, node
        from thyra_graph.types import Number

        @node("kp.base", outputs=[Output("value", Number)])
        def base():
            \"\"\"A fixed number.\"\"\"
            return Number(2.0)
        """,
    "factors.py": "FACTOR = 10.0\n",
    "scaling.py": """
        from thyra_graph import Input, Output, node
        from thyra_graph.types import Number
        from .factors import FACTOR

        @node("kp.scale", inputs=[Input("value", Number)], outputs=[Output("value", Number)])
        def scale(value):
            \"\"\"Multiply by the plugin's factor.\"\"\"
            return Number(value.value * FACTOR)
        """,
    "offsets.py": """
        from thyra_graph import Input, Output, node
        from thyra_graph.types import Number

        @node("kp.offset", inputs=[Input("value", Number)], outputs=[Output("value", Number)])
        def offset(value):
            \"\"\"Add one.\"\"\"
            return Number(value.value + 1.0)
        """,
}

GRAPH = """
thyra: 1
name: keys
nodes:
  base:   {type: kp.base}
  scale:  {type: kp.scale, inputs: {value: base.value}}
  offset: {type: kp.offset, inputs: {value: scale.value}}
outputs: [offset.value]
"""


def write_plugin(folder: Path) -> Path:
    package = folder / "plugins" / "keyplug"
    package.mkdir(parents=True)
    for name, text in PLUGIN.items():
        (package / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return package


def run(folder: Path) -> dict:
    env = dict(os.environ, THYRA_CACHE_DIR=str(folder / "cache"), THYRA_PLUGIN_PATH=str(folder / "plugins"),
               XDG_DATA_HOME=str(folder / "xdg"), NO_COLOR="1")
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "run", str(folder / "graph.yaml"), "--json"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def statuses(result: dict) -> dict[str, str]:
    return {node_id: info["status"] for node_id, info in result["nodes"].items()}


def test_editing_a_plugins_helper_module_reruns_exactly_the_nodes_that_use_it(tmp_path):
    package = write_plugin(tmp_path)
    (tmp_path / "graph.yaml").write_text(GRAPH, encoding="utf-8")
    first = run(tmp_path)
    assert statuses(first) == {"base": "executed", "scale": "executed", "offset": "executed"}
    assert first["outputs"]["offset.value"] == 21.0
    assert set(statuses(run(tmp_path)).values()) == {"cached"}

    # An algorithm fix in a module that only kp.scale imports:
    (package / "factors.py").write_text("FACTOR = 100.0\n", encoding="utf-8")
    fixed = run(tmp_path)
    # kp.offset's code did not change, but its input did: it re-runs through its key's inputs.
    assert statuses(fixed) == {"base": "cached", "scale": "executed", "offset": "executed"}
    assert fixed["outputs"]["offset.value"] == 201.0  # the fixed answer, never the stored one


def test_editing_one_nodes_module_leaves_the_others_cached(tmp_path):
    package = write_plugin(tmp_path)
    (tmp_path / "graph.yaml").write_text(GRAPH, encoding="utf-8")
    run(tmp_path)
    text = (package / "offsets.py").read_text(encoding="utf-8")
    (package / "offsets.py").write_text(text.replace("+ 1.0", "+ 2.0"), encoding="utf-8")
    result = run(tmp_path)
    assert statuses(result) == {"base": "cached", "scale": "cached", "offset": "executed"}
    assert result["outputs"]["offset.value"] == 22.0


def test_code_version_follows_project_imports_but_never_reads_third_party_ones():
    from thyra_graph.engine import code_version as versions
    from thyra_graph.nodes.count import blobs

    version = code_version(blobs.blobs.func)
    assert len(version) == 16 and version == code_version(blobs.blobs.func)
    _, _, imports = versions._module_source("thyra_graph.nodes.count.blobs")
    assert "numpy" in imports and any(name.startswith("thyra_graph.nodes.count.") for name in imports)
    read = code_modules(blobs.blobs.func)
    assert "thyra_graph.nodes.count.blobs" in read and all(name.startswith("thyra_graph.") for name in read)
    assert not any(name.startswith("thyra_graph.engine") for name in read)  # the engine is not a node's code


def test_computing_a_code_version_imports_nothing():
    from thyra_graph.nodes.segment import sam2_points  # its closure names torch and transformers
    before = set(sys.modules)
    code_version(sam2_points.sam2_points.func)
    assert set(sys.modules) == before


# -- params that cannot change the result -------------------------------------------------------

CALLS: list[str] = []


@node("honest.work", params=[Param("gain", 2.0, help="multiplies"),
                             Param("timeout", 30.0, affects_result=False, help="seconds to wait"),
                             Param("unload", False, affects_result=False, help="free memory after")],
      outputs=[Output("value", Number)])
def work(*, gain, timeout, unload):
    """Count calls."""
    CALLS.append("work")
    return Number(gain)


@pytest.fixture
def registry():
    registry = Registry()
    registry.add(work)
    registry.add(draw)
    registry.add(sensor)
    return registry


def test_toggling_a_result_neutral_param_reruns_nothing(registry, tmp_path):
    CALLS.clear()
    graph = Graph(registry, name="neutral")
    graph.add_node("honest.work", "w")
    executor = Executor(disk=DiskCache(tmp_path))
    executor.run(graph)
    graph.set_param("w", "timeout", 99.0)
    graph.set_param("w", "unload", True)
    assert executor.run(graph).nodes["w"].status == "cached"
    graph.set_param("w", "gain", 3.0)
    assert executor.run(graph).nodes["w"].status == "executed"
    assert CALLS == ["work", "work"]


def test_result_neutral_params_are_listed_as_such_in_the_declaration():
    assert {p["name"]: p.get("affects_result", True) for p in work.to_json()["params"]} == {
        "gain": True, "timeout": False, "unload": False}


# -- non-determinism is declared, not guessed from a param name --------------------------------

DRAWS: list[float] = []


@node("honest.draw", deterministic=False,
      params=[Param("seed", None, kind="int", seed=True, help="fixed seed; empty: a new draw every run")],
      outputs=[Output("value", Number)])
def draw(*, seed):
    """A random number."""
    import random

    DRAWS.append(seed)
    return Number(random.Random(seed).random())


STATE = {"serial": "A1"}


@node("honest.sensor", deterministic=False, fingerprint=lambda params: STATE["serial"],
      params=[Param("channel", 0, help="which channel")], outputs=[Output("value", Number)])
def sensor(*, channel):
    """Reads an external device (here: a dict)."""
    DRAWS.append(STATE["serial"])
    return Number(float(len(DRAWS)))


def test_a_nondeterministic_node_without_a_seed_param_is_one_draw_kept_until_its_inputs_change(registry, tmp_path):
    DRAWS.clear()
    graph = Graph(registry, name="sensor")
    graph.add_node("honest.sensor", "s")
    executor = Executor(disk=DiskCache(tmp_path))
    first = executor.run(graph)
    again = executor.run(graph)
    assert again.nodes["s"].status == "cached" and again.outputs["s.value"].value == first.outputs["s.value"].value


def test_a_fingerprint_hook_reruns_the_node_when_the_external_state_changes(registry, tmp_path):
    DRAWS.clear()
    graph = Graph(registry, name="sensor")
    graph.add_node("honest.sensor", "s")
    executor = Executor(disk=DiskCache(tmp_path))
    executor.run(graph)
    STATE["serial"] = "B2"
    try:
        assert executor.run(graph).nodes["s"].status == "executed"
        assert executor.run(graph).nodes["s"].status == "cached"
    finally:
        STATE["serial"] = "A1"
    assert DRAWS == ["A1", "B2"]


def test_the_seed_is_whichever_param_the_declaration_marks(registry):
    graph = Graph(registry, name="draws")
    graph.add_node("honest.draw", "d")
    assert make_plan(graph, run_nonce="1").fresh_draws == {"d"}
    graph.set_param("d", "seed", 7)
    assert make_plan(graph, run_nonce="1").fresh_draws == set()


def test_a_seed_on_a_deterministic_node_is_a_declaration_error():
    with pytest.raises(DeclarationError, match="seed=True but the node is deterministic"):
        @node("honest.bad", params=[Param("seed", None, kind="int", seed=True)], outputs=[Output("v", Number)])
        def bad(*, seed):
            return Number(0.0)
