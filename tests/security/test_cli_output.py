"""What the CLI prints is what scripts rely on: --json stdout is JSON alone whatever plugins
print (from Python or from C, at import or while running), `nodes --errors` fails when a
plugin failed, and --set takes numbers in any Python syntax."""

from __future__ import annotations

import json
import os
import textwrap

import pytest
from test_cli import CHAIN, TESTKIT_PLUGINS, run_json, thyra, write_graph

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


@pytest.fixture
def noisy_plugins(tmp_path) -> str:
    """A plugin that prints at import and while running, through Python and straight to fd 1."""
    folder = tmp_path / "noisy_plugins"
    folder.mkdir()
    (folder / "noisy.py").write_text(textwrap.dedent('''\
        import os
        print("hello from a plugin at import")
        os.write(1, b"raw bytes from C at import\\n")

        from thyra_graph import Output, node
        from thyra_graph.types import Number

        @node("noisy.number", outputs=[Output("value", Number)])
        def number():
            """A number, announced loudly."""
            print("hello from a running node")
            os.write(1, b"raw bytes from a running node\\n")
            return 7
    '''))
    return os.pathsep.join([str(TESTKIT_PLUGINS), str(folder)])


def test_plugin_output_cannot_break_run_json(tmp_path, noisy_plugins):
    graph = write_graph(tmp_path, "thyra: 1\nname: noisy\nnodes:\n  n: {type: noisy.number}\n")
    done = thyra("run", graph, "--json", "--workers", "1", home=tmp_path, plugin_path=noisy_plugins)
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["outputs"]["n.value"] == 7  # the whole of stdout parses
    for text in ("hello from a plugin at import", "raw bytes from C at import",
                 "hello from a running node", "raw bytes from a running node"):
        assert text in done.stderr and text not in done.stdout


def test_plugin_output_cannot_break_nodes_json(tmp_path, noisy_plugins):
    done = thyra("nodes", "--json", home=tmp_path, plugin_path=noisy_plugins)
    assert done.returncode == EXIT_OK, done.stderr
    assert "noisy.number" in {entry["id"] for entry in json.loads(done.stdout)}
    assert "raw bytes from C at import" in done.stderr


def test_nodes_errors_exits_1_when_a_plugin_failed_and_0_when_all_loaded(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "broken_plugin.py").write_text("raise ImportError('the frobnicator is missing')\n")
    failed = thyra("nodes", "--errors", home=tmp_path, plugin_path=os.pathsep.join([str(TESTKIT_PLUGINS), str(broken)]))
    assert failed.returncode == EXIT_FAILED
    assert "the frobnicator is missing" in failed.stdout
    failed_json = thyra("nodes", "--errors", "--json", home=tmp_path, plugin_path=str(broken))
    assert failed_json.returncode == EXIT_FAILED and json.loads(failed_json.stdout)[0]["origin"].endswith("broken_plugin.py")
    assert thyra("nodes", "--errors", home=tmp_path).returncode == EXIT_OK


@pytest.mark.parametrize("text, value", [("5e-1", 0.5), ("1_000", 1000.0), (".5", 0.5), ("-3.", -3.0),
                                         ("1E2", 100.0), ("+2", 2.0)])
def test_set_takes_any_python_float_syntax(tmp_path, text, value):
    result = run_json(CHAIN, "--set", f"plus.amount={text}", "--set", "slow.seconds=0", home=tmp_path)
    assert result["outputs"]["slow.value"] == 2.0 + value


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "five"])
def test_set_refuses_what_the_param_does_not_allow_naming_it(tmp_path, text):
    done = thyra("run", CHAIN, "--set", f"plus.amount={text}", home=tmp_path)
    assert done.returncode == EXIT_INVALID
    assert "plus.amount" in done.stderr and "Traceback" not in done.stderr


def test_set_int_params_take_exponents_and_float_params_underscores(tmp_path):
    graph = write_graph(tmp_path, "thyra: 1\nname: ints\nnodes:\n  p: {type: testkit.params}\n")
    result = run_json(graph, "--set", "p.count=1e1", "--set", "p.scale=1_000.5", home=tmp_path)
    assert json.loads(result["outputs"]["p.text"])["count"] == 10
    assert json.loads(result["outputs"]["p.text"])["scale"] == 1000.5
