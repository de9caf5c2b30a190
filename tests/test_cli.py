"""The `thyra` command end to end, in subprocesses: exit codes, --json, --set, --target,
Ctrl-C, validate, nodes, cache."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
TESTKIT_PLUGINS = FIXTURES / "plugins"
CHAIN = FIXTURES / "testkit_chain.yaml"  # base(2) → plus(+3) → slow; report (params as JSON)
COINS = FIXTURES / "coins_count.yaml"  # load → gray → blur → threshold → coins; outputs coins.count
INVALID = FIXTURES / "invalid_graph.yaml"
QUICKSTART = REPO / "graphs" / "quickstart.yaml"

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


def environment(home: Path, plugin_path: Path | str = TESTKIT_PLUGINS) -> dict[str, str]:
    """A private cache, the test plugins, and no user plugin folder."""
    return dict(os.environ, THYRA_CACHE_DIR=str(home / "cache"), THYRA_PLUGIN_PATH=str(plugin_path),
                XDG_DATA_HOME=str(home / "xdg"), NO_COLOR="1", COLUMNS="200")


def thyra_command() -> list[str]:
    script = Path(sys.executable).parent / ("thyra.exe" if os.name == "nt" else "thyra")
    return [str(script)] if script.exists() else [sys.executable, "-m", "thyra_graph.cli"]


def thyra(*args: str, home: Path, plugin_path: Path | str = TESTKIT_PLUGINS) -> subprocess.CompletedProcess:
    return subprocess.run([*thyra_command(), *map(str, args)], cwd=home, env=environment(home, plugin_path),
                          capture_output=True, text=True, timeout=60)


def run_json(*args: str, home: Path, expect: int = EXIT_OK) -> dict:
    done = thyra("run", *args, "--json", home=home)
    assert done.returncode == expect, done.stderr
    return json.loads(done.stdout)  # the whole of stdout is one JSON object


def assert_no_traceback(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stderr + done.stdout


def write_graph(folder: Path, text: str, name: str = "graph.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- run: exit codes ----------------------------------------------------------------------------
def test_successful_run_exits_0_and_prints_the_outputs(tmp_path):
    done = thyra("run", CHAIN, home=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    assert "slow.value = 5.0" in done.stdout.splitlines()


def test_missing_input_file_is_a_node_failure_exit_1_naming_the_path(tmp_path):
    done = thyra("run", COINS, "--set", "load.path=missing.png", home=tmp_path)
    assert done.returncode == EXIT_FAILED
    assert_no_traceback(done)
    # a path typed on the command line is taken from the current folder
    assert str(tmp_path / "missing.png") in done.stdout


def test_failed_run_json_names_the_error_and_skips_descendants(tmp_path):
    result = run_json(COINS, "--set", "load.path=missing.png", home=tmp_path, expect=EXIT_FAILED)
    assert result["status"] == "failed"
    assert "missing.png" in result["nodes"]["load"]["error"]
    assert result["nodes"]["gray"]["status"] == "skipped"
    assert "'load'" in result["nodes"]["gray"]["error"]
    assert result["outputs"] == {}


def test_error_messages_are_printed_verbatim_even_with_brackets(tmp_path):
    graph = write_graph(tmp_path, """\
        thyra: 1
        name: failing
        nodes:
          broken: {type: testkit.fail}
    """)
    message = "colour must be [r, g, b]; [/bold] is not a colour"
    done = thyra("run", graph, "--set", f"broken.message={message}", home=tmp_path)
    assert done.returncode == EXIT_FAILED
    assert_no_traceback(done)
    assert message in done.stdout


def test_invalid_graph_with_json_prints_one_json_object(tmp_path):
    done = thyra("run", INVALID, "--json", home=tmp_path)
    assert done.returncode == EXIT_INVALID
    report = json.loads(done.stdout)
    assert report["status"] == "invalid"
    assert any("io.load_imag" in error for error in report["errors"])


@pytest.mark.parametrize("command", ["run", "validate"])
def test_invalid_graph_file_exits_2_without_traceback(tmp_path, command):
    done = thyra(command, INVALID, home=tmp_path)
    assert done.returncode == EXIT_INVALID
    assert_no_traceback(done)
    assert "io.load_imag" in done.stderr and "did you mean 'io.load_image'" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["--set", "nope.value=1"], "no node 'nope'"),
    (["--set", "base.nope=1"], "no parameter 'nope'"),
    (["--set", "report.count=11"], "out of range: expected int from 0 to 10"),
    (["--set", "report.count=many"], "expected int from 0 to 10, got 'many'"),
    (["--set", "report.flag=maybe"], "expected true or false"),
    (["--set", "report.mode=slowest"], "expected one of 'fast', 'exact'"),
    (["--set", "base.value"], "NODE.PARAM=VALUE"),
    (["--target", "nowhere"], "no node 'nowhere'"),
    (["--target", "plus.nothing"], "no output 'nothing'"),
])
def test_bad_arguments_exit_2_with_one_clear_message(tmp_path, args, message):
    done = thyra("run", CHAIN, *args, home=tmp_path)
    assert done.returncode == EXIT_INVALID
    assert_no_traceback(done)
    assert message in done.stderr
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").rglob("*.thyra"))


# -- run: --json, --set, --target ----------------------------------------------------------
def test_json_output_has_the_documented_shape(tmp_path):
    result = run_json(CHAIN, home=tmp_path)
    assert set(result) == {"graph", "status", "nodes", "outputs"}
    assert result["graph"] == "testkit-chain"
    assert result["status"] == "ok"
    assert set(result["nodes"]) == {"base", "plus", "slow", "report"}
    for entry in result["nodes"].values():
        assert {"type", "status", "seconds", "error"} <= set(entry)
        assert entry["status"] == "executed"
        assert isinstance(entry["seconds"], (int, float)) and entry["error"] is None
    assert result["nodes"]["plus"]["type"] == "testkit.add"
    assert result["outputs"]["slow.value"] == 5.0


def test_json_stdout_stays_one_object_when_node_code_prints(tmp_path):
    graph = write_graph(tmp_path, """\
        thyra: 1
        name: chatty
        nodes:
          talk: {type: testkit.chatty, params: {words: not json}}
    """)
    done = thyra("run", graph, "--json", home=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["outputs"] == {"talk.text": "not json"}
    assert "not json" in done.stderr


def test_set_parses_each_value_as_its_parameter_type(tmp_path):
    result = run_json(CHAIN, "--target", "report", "--set", "report.count=3", "--set", "report.scale=0.5",
                      "--set", "report.flag=true", "--set", "report.mode=exact", "--set", "report.label=123",
                      home=tmp_path)
    assert json.loads(result["outputs"]["report.text"]) == {
        "count": 3, "scale": 0.5, "flag": True, "mode": "exact", "label": "123"}


def test_set_int_value_for_a_float_parameter_is_accepted(tmp_path):
    result = run_json(CHAIN, "--set", "plus.amount=10", "--target", "plus", home=tmp_path)
    assert result["outputs"] == {"plus.value": 12.0}


@pytest.mark.parametrize("target", ["plus", "plus.value"])
def test_target_runs_only_what_it_needs(tmp_path, target):
    result = run_json(CHAIN, "--target", target, home=tmp_path)
    assert set(result["nodes"]) == {"base", "plus"}
    assert result["outputs"] == {"plus.value": 5.0}


# -- the quickstart ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quickstart_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("quickstart")


def redirected_sinks(graph_file: Path, folder: Path) -> list[str]:
    """``--set`` arguments that send every file the graph writes into ``folder``."""
    from thyra_graph.api import load_graph

    graph = load_graph(graph_file)
    args = []
    for node_id in graph.nodes:
        for param in graph.spec(node_id).params:
            if param.kind == "path" and param.io == "write":
                args += ["--set", f"{node_id}.{param.name}={folder / Path(graph.params(node_id)[param.name]).name}"]
    return args


def test_quickstart_prints_the_count_on_stdout(quickstart_home):
    overlay = quickstart_home / "coins_overlay.png"
    done = thyra("run", QUICKSTART, *redirected_sinks(QUICKSTART, quickstart_home), home=quickstart_home)
    assert done.returncode == EXIT_OK, done.stderr
    assert "coins.count = 24" in done.stdout.splitlines()
    assert f"save.path: wrote {overlay}" in done.stdout.splitlines()
    assert overlay.is_file()


def test_quickstart_json_summarises_numbers_files_and_arrays(quickstart_home):
    overlay = quickstart_home / "coins_overlay.png"
    result = run_json(QUICKSTART, *redirected_sinks(QUICKSTART, quickstart_home), home=quickstart_home)
    assert result["outputs"]["coins.count"] == 24
    assert result["outputs"]["save.path"] == {"path": str(overlay)}
    image = run_json(QUICKSTART, "--target", "load.image", home=quickstart_home)
    assert image["outputs"] == {"load.image": {"shape": [303, 384, 3], "dtype": "uint8"}}


# -- Ctrl-C -----------------------------------------------------------------------------------
@pytest.mark.skipif(os.name == "nt", reason="SIGINT cannot be sent to a child process on Windows")
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "thread-pool"])
def test_sigint_stops_cleanly_with_130_and_keeps_finished_results(tmp_path, parallel):
    graph = write_graph(tmp_path, f"""\
        thyra: 1
        name: interrupted
        nodes:
          base:  {{type: testkit.constant, params: {{value: 2.0}}}}
          plus:  {{type: testkit.add, inputs: {{x: base.value}}}}
          slow:  {{type: testkit.slow, inputs: {{x: plus.value}}, params: {{seconds: 60, started: {tmp_path / 'one'}}}}}
          {'slow2: {type: testkit.slow, inputs: {x: plus.value}, params: {seconds: 60, started: ' + str(tmp_path / 'two') + '}}' if parallel else ''}
    """)
    process = subprocess.Popen([*thyra_command(), "run", str(graph), "--workers", "2"], cwd=tmp_path,
                               env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "one").exists() or (parallel and not (tmp_path / "two").exists()):
        assert process.poll() is None and time.monotonic() < deadline, "the slow node never started"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    try:
        stdout, stderr = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in stderr
    assert "interrupted" in stderr

    again = run_json(graph, "--set", "slow.seconds=0", "--target", "slow", home=tmp_path)
    assert {n: r["status"] for n, r in again["nodes"].items()} == {"base": "cached", "plus": "cached", "slow": "executed"}


@pytest.mark.skipif(os.name == "nt", reason="SIGINT cannot be sent to a child process on Windows")
def test_second_sigint_quits_even_if_a_node_never_checks_for_cancellation(tmp_path):
    graph = write_graph(tmp_path, f"""\
        thyra: 1
        name: stubborn
        nodes:
          base:  {{type: testkit.constant}}
          one:   {{type: testkit.stubborn, inputs: {{x: base.value}}, params: {{started: {tmp_path / 'one'}}}}}
          two:   {{type: testkit.stubborn, inputs: {{x: base.value}}, params: {{started: {tmp_path / 'two'}}}}}
    """)
    process = subprocess.Popen([*thyra_command(), "run", str(graph), "--workers", "2"], cwd=tmp_path,
                               env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not ((tmp_path / "one").exists() and (tmp_path / "two").exists()):
        assert process.poll() is None and time.monotonic() < deadline, "the nodes never started"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert process.poll() is None  # politely waiting for the nodes to stop
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in stderr


# -- validate ---------------------------------------------------------------------------------
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): node '(?P<node>[\w-]+)': (?P<message>.+)$")


def test_validate_reports_every_problem_of_every_file_as_file_line_node(tmp_path):
    broken_yaml = write_graph(tmp_path, "thyra: 1\nnodes: {a: [\n", name="syntax.yaml")
    # graphs/ write into the repository's out/: run from elsewhere, that folder must be allowed.
    done = thyra("validate", "--allow-write", REPO / "out", QUICKSTART, INVALID, COINS, broken_yaml, home=tmp_path)
    assert done.returncode == EXIT_INVALID
    assert_no_traceback(done)
    problems = [LINE.match(line) for line in done.stderr.splitlines() if line.startswith(str(INVALID))]
    assert all(problems), done.stderr
    found = {(m["line"], m["node"]) for m in problems}
    assert found >= {("5", "load"), ("6", "gray"), ("7", "blur")}
    assert any("out of range" in m["message"] and "0.1 to 100" in m["message"] for m in problems)
    assert any("unknown input 'picture'" in m["message"] for m in problems)
    assert re.search(rf"^{re.escape(str(broken_yaml))}:\d+: .*YAML", done.stderr, re.M)
    assert f"{QUICKSTART}: ok" in done.stdout and f"{COINS}: ok" in done.stdout


def test_validate_good_files_exits_0(tmp_path):
    done = thyra("validate", "--allow-write", REPO / "out", QUICKSTART, COINS, CHAIN, home=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout.count(": ok") == 3


# -- nodes ------------------------------------------------------------------------------------
@pytest.fixture
def odd_plugins(tmp_path) -> str:
    """The test plugins, a plugin that fails to import and one whose node needs a missing module."""
    folder = tmp_path / "odd_plugins"
    folder.mkdir()
    (folder / "broken_plugin.py").write_text("import thyra_graph\nraise ImportError('the frobnicator is missing')\n")
    (folder / "needs_more.py").write_text(textwrap.dedent('''\
        from thyra_graph import node, Output
        from thyra_graph.types import Number

        @node("odd.needs_more", requires=["no_such_module_for_thyra"], outputs=[Output("value", Number)])
        def needs_more():
            """Needs a module nobody has."""
            return 1
    '''))
    return os.pathsep.join([str(TESTKIT_PLUGINS), str(folder)])


def test_nodes_lists_node_types_under_their_category(tmp_path):
    done = thyra("nodes", home=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    lines = done.stdout.splitlines()
    category = None
    seen: dict[str, str] = {}
    for line in lines:
        if line and not line.startswith(" "):
            category = line.strip()
        elif line.strip():
            seen[line.split()[0]] = category
    assert seen["io.load_image"] == "io"
    assert seen["image.threshold"] == "image"
    assert seen["testkit.slow"] == "testkit"


def test_nodes_json_gives_full_declarations_with_availability(tmp_path, odd_plugins):
    done = thyra("nodes", "--json", home=tmp_path, plugin_path=odd_plugins)
    assert done.returncode == EXIT_OK, done.stderr
    listing = {entry["id"]: entry for entry in json.loads(done.stdout)}
    threshold = listing["image.threshold"]
    assert {"id", "version", "category", "inputs", "outputs", "params", "available"} <= set(threshold)
    assert threshold["available"] is True
    assert threshold["inputs"][0]["name"] == "image" and threshold["outputs"][0]["name"] == "mask"
    params = {p["name"]: p for p in threshold["params"]}
    assert params["method"]["choices"] == ["otsu", "fixed", "adaptive"]
    assert (params["value"]["min"], params["value"]["max"], params["value"]["default"]) == (0, 255, 128)
    assert params["value"]["help"]
    assert listing["odd.needs_more"]["available"] is False
    assert listing["odd.needs_more"]["missing"] == ["no_such_module_for_thyra"]


def test_nodes_errors_lists_a_broken_plugin_and_run_still_works(tmp_path, odd_plugins):
    errors = thyra("nodes", "--errors", home=tmp_path, plugin_path=odd_plugins)
    assert errors.returncode == EXIT_FAILED  # scripts can tell a broken plugin
    assert "broken_plugin.py" in errors.stdout and "the frobnicator is missing" in errors.stdout
    run = thyra("run", CHAIN, home=tmp_path, plugin_path=odd_plugins)
    assert run.returncode == EXIT_OK, run.stderr
    assert "warning" in run.stderr and "broken_plugin.py" in run.stderr
    assert "slow.value = 5.0" in run.stdout


def test_nodes_errors_says_when_there_are_none(tmp_path):
    done = thyra("nodes", "--errors", home=tmp_path)
    assert done.returncode == EXIT_OK
    assert "no plugin errors" in done.stdout


# -- cache ------------------------------------------------------------------------------------
def test_cache_info_and_clear_with_cache_dir(tmp_path):
    cache = tmp_path / "elsewhere"
    result = run_json(CHAIN, "--cache-dir", cache, home=tmp_path)
    stored = sum(1 for node in result["nodes"].values() if node["status"] == "executed")
    info = json.loads(thyra("cache", "info", "--cache-dir", cache, "--json", home=tmp_path).stdout)
    assert info["path"] == str(cache)
    assert info["entries"] == stored and info["bytes"] > 0
    human = thyra("cache", "info", "--cache-dir", cache, home=tmp_path).stdout
    assert str(cache) in human and f"entries: {stored}" in human
    cleared = json.loads(thyra("cache", "clear", "--cache-dir", cache, "--json", home=tmp_path).stdout)
    assert cleared == {"path": str(cache), "removed": stored}
    assert json.loads(thyra("cache", "info", "--cache-dir", cache, "--json", home=tmp_path).stdout)["entries"] == 0
    again = run_json(CHAIN, "--cache-dir", cache, home=tmp_path)
    assert {node["status"] for node in again["nodes"].values()} == {"executed"}


def test_cache_commands_default_to_thyra_cache_dir(tmp_path):
    run_json(CHAIN, "--target", "base", home=tmp_path)
    info = json.loads(thyra("cache", "info", "--json", home=tmp_path).stdout)
    assert info["path"] == str(tmp_path / "cache") and info["entries"] == 1
    assert info["kinds"] == {"results": [1, info["bytes"]]} and info["node_types"] == {"testkit.constant": [1, info["bytes"]]}
    done = thyra("cache", "clear", home=tmp_path)
    assert done.returncode == EXIT_OK
    assert "removed 1 entries" in done.stdout
