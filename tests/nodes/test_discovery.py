"""Node discovery: built-ins through the plugin path, entry points, plugin folders, and the
guarantee that a broken plugin is reported instead of breaking Thyra."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from thyra_graph.engine.declaration import NodeSpec
from thyra_graph.engine.registry import LoadProblem
from thyra_graph.nodes import discovery
from thyra_graph.nodes.discovery import BUILTIN_MODULE, ENTRY_POINT_GROUP, default_registry, discover


REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PLUGIN = REPO / "plugins" / "thyra-example-plugin"
BUILTIN_ENTRY_ORIGIN = f"entry point 'builtin' ({BUILTIN_MODULE})"


# -- helpers ----------------------------------------------------------------------------------
def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def problems_from(registry, origin: Path | str) -> list[LoadProblem]:
    return [p for p in registry.problems if p.origin == str(origin)]


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a child Python: this checkout importable, no stray plugin folders."""
    env = dict(os.environ)
    env.update(THYRA_PLUGIN_PATH="", XDG_DATA_HOME=str(tmp_path / "xdg-data"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra.pop("PYTHONPATH", ""), str(REPO)]))
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str], cwd: Path | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON document as its last line."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


GOOD_PLUGIN = '''
    from thyra_graph import node, Output, Param
    from thyra_graph.types import Number

    @node("good.constant", outputs=[Output("value", Number)], params=[Param("value", 1.0, help="the number")])
    def constant(*, value):
        """Emit a constant number."""
        return Number(value)
'''


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    return folder


def discover_folder(folder: Path):
    return discover(plugin_path=[folder], user_plugins=False)


# -- built-ins --------------------------------------------------------------------------------
def test_builtins_are_always_registered():
    registry = discover(plugin_path=[], user_plugins=False)

    assert "io.load_image" in registry
    assert not [p for p in registry.problems if "builtin" in p.origin], registry.problems


def test_builtins_come_through_the_builtin_entry_point_when_thyra_is_installed():
    installed = [ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == "builtin"]
    if not installed:
        pytest.skip("thyra-graph is not pip-installed here (pip install -e . adds the entry point)")

    registry = discover(plugin_path=[], user_plugins=False)

    assert registry.origins["io.load_image"] == BUILTIN_ENTRY_ORIGIN


def test_builtins_load_by_module_name_when_no_entry_point_is_installed(monkeypatch):
    monkeypatch.setattr(discovery, "_thyra_entry_points", lambda: [])

    registry = discover(plugin_path=[], user_plugins=False)

    assert registry.origins["io.load_image"] == f"built-in module {BUILTIN_MODULE}"


def test_builtins_load_before_entry_points_whose_names_sort_first(monkeypatch, tmp_path):
    write(tmp_path, "aaa_plugin.py", '''
        from thyra_graph import node, Output, Param
        from thyra_graph.types import Image

        @node("io.load_image", outputs=[Output("image", Image)], params=[Param("path", "x.png", kind="path")])
        def hijack(*, path):
            """Pretends to be the built-in."""
    ''')
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_points = [importlib.metadata.EntryPoint("aaa", "aaa_plugin", ENTRY_POINT_GROUP),
                    importlib.metadata.EntryPoint("builtin", BUILTIN_MODULE, ENTRY_POINT_GROUP)]
    monkeypatch.setattr(discovery, "_thyra_entry_points", lambda: entry_points)

    registry = discover(plugin_path=[], user_plugins=False)

    assert registry.origins["io.load_image"] == BUILTIN_ENTRY_ORIGIN
    [problem] = problems_from(registry, "entry point 'aaa' (aaa_plugin)")
    assert "built-in nodes cannot be replaced" in problem.message
    assert "'aaa.load_image'" in problem.message


def test_discovery_imports_no_heavy_library_and_takes_well_under_a_second(tmp_path):
    result = run_python('''
        import json, sys, time
        start = time.perf_counter()
        from thyra_graph.nodes.discovery import default_registry
        registry = default_registry()
        elapsed = time.perf_counter() - start
        heavy = sorted(m for m in ("torch", "cv2", "skimage", "scipy", "PySide6") if m in sys.modules)
        print(json.dumps({"elapsed": elapsed, "heavy": heavy, "count": len(registry)}))
    ''', isolated_env(tmp_path))

    assert result["heavy"] == []
    assert result["count"] >= 1
    assert result["elapsed"] < 1.0


# -- entry points -----------------------------------------------------------------------------
def test_example_plugin_installed_with_pip_is_discovered_through_its_entry_point(tmp_path):
    # Build from a copy: an in-tree build would leave build/ and egg-info in the repository.
    source = shutil.copytree(EXAMPLE_PLUGIN, tmp_path / "src", ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, capture_output=True, timeout=180)

    result = run_python('''
        import json
        import numpy as np
        from thyra_graph.nodes.discovery import discover
        from thyra_graph.types import Image

        registry = discover()
        image = Image(np.array([[[0, 10, 255]]], dtype=np.uint8))
        inverted = registry["example.invert"](image)
        brighter = registry["example.brightness"](image, gain=2.0)
        print(json.dumps({
            "origin": registry.origins.get("example.invert"),
            "problems": [str(p) for p in registry.problems],
            "inverted": inverted.data.tolist(),
            "brighter": brighter.data.tolist(),
            "gain": registry["example.brightness"].param("gain").to_json(),
            "histogram_type": registry.extension_origins.get("type:example.Histogram"),
            "histogram_preview": "example.Histogram" in registry.previews,
        }))
    ''', isolated_env(tmp_path, PYTHONPATH=str(target)))

    assert result["origin"] == "entry point 'example' (thyra_example_plugin.nodes)"
    assert result["problems"] == []
    assert result["inverted"] == [[[255, 245, 0]]]
    assert result["brighter"] == [[[0, 20, 255]]]
    assert (result["gain"]["min"], result["gain"]["max"]) == (0.0, 10.0)
    assert result["histogram_type"] == result["origin"] and result["histogram_preview"]


def test_entry_point_may_name_a_function_returning_nodes(monkeypatch, tmp_path):
    write(tmp_path, "factory_plugin.py", GOOD_PLUGIN + '''
    def nodes():
        return [constant]
    ''')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(discovery, "_thyra_entry_points", lambda: [
        importlib.metadata.EntryPoint("builtin", BUILTIN_MODULE, ENTRY_POINT_GROUP),
        importlib.metadata.EntryPoint("factory", "factory_plugin:nodes", ENTRY_POINT_GROUP)])

    registry = discover(plugin_path=[], user_plugins=False)

    assert registry.origins["good.constant"] == "entry point 'factory' (factory_plugin:nodes)"


def test_installed_plugins_can_be_left_out_while_builtins_still_load(monkeypatch, tmp_path):
    write(tmp_path, "factory_plugin.py", GOOD_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(discovery, "_thyra_entry_points", lambda: [
        importlib.metadata.EntryPoint("builtin", BUILTIN_MODULE, ENTRY_POINT_GROUP),
        importlib.metadata.EntryPoint("factory", "factory_plugin", ENTRY_POINT_GROUP)])

    registry = discover(entry_points=False, plugin_path=[], user_plugins=False)

    assert "io.load_image" in registry
    assert "good.constant" not in registry


def test_entry_point_to_a_missing_module_is_reported_with_the_entry_point(monkeypatch):
    monkeypatch.setattr(discovery, "_thyra_entry_points", lambda: [
        importlib.metadata.EntryPoint("builtin", BUILTIN_MODULE, ENTRY_POINT_GROUP),
        importlib.metadata.EntryPoint("ghost", "no_such_thyra_plugin.nodes", ENTRY_POINT_GROUP)])

    registry = discover(plugin_path=[], user_plugins=False)

    [problem] = problems_from(registry, "entry point 'ghost' (no_such_thyra_plugin.nodes)")
    assert "'no_such_thyra_plugin.nodes'" in problem.message and "cannot be found" in problem.message


# -- plugin folders ---------------------------------------------------------------------------
def test_plugin_file_in_the_plugin_path_is_loaded(plugin_dir):
    path = write(plugin_dir, "good.py", GOOD_PLUGIN)

    registry = discover_folder(plugin_dir)

    assert registry.origins["good.constant"] == str(path)
    assert registry["good.constant"](value=3.0).value == 3.0
    assert registry.problems == []


def test_plugin_path_is_read_from_the_environment(monkeypatch, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write(first, "good.py", GOOD_PLUGIN)
    write(second, "other.py", GOOD_PLUGIN.replace("good.constant", "other.constant"))
    monkeypatch.setenv("THYRA_PLUGIN_PATH", os.pathsep.join([str(first), "", str(second)]))

    registry = discover(user_plugins=False)

    assert {"good.constant", "other.constant"} <= set(registry.specs)


def test_plugin_package_with_relative_imports_is_loaded_without_touching_sys_path(plugin_dir):
    write(plugin_dir, "lab_pkg/__init__.py", '''
        from .nodes import scaled
    ''')
    write(plugin_dir, "lab_pkg/nodes.py", '''
        from thyra_graph import node, Output, Param
        from thyra_graph.types import Number
        from ._factors import FACTOR

        @node("lab.scaled", outputs=[Output("value", Number)], params=[Param("value", 1.0)])
        def scaled(*, value):
            """Multiply by the lab's factor."""
            return Number(value * FACTOR)
    ''')
    write(plugin_dir, "lab_pkg/_factors.py", "FACTOR = 10\n")
    path_before = list(sys.path)

    registry = discover_folder(plugin_dir)

    assert registry.origins["lab.scaled"] == str(plugin_dir / "lab_pkg")
    assert registry["lab.scaled"](value=2.0).value == 20.0
    assert sys.path == path_before
    assert "lab_pkg" not in sys.modules


def test_plugin_raising_at_import_is_one_problem_naming_the_file_and_line(plugin_dir):
    write(plugin_dir, "good.py", GOOD_PLUGIN)
    bad = write(plugin_dir, "explodes.py", '''
        raise RuntimeError("calibration file not found")
    ''')

    registry = discover_folder(plugin_dir)

    [problem] = problems_from(registry, bad)
    assert "RuntimeError: calibration file not found" in problem.message
    assert f"{bad} line 2" in problem.message
    assert "good.constant" in registry


def test_plugin_with_a_syntax_error_is_one_problem_with_the_line(plugin_dir):
    write(plugin_dir, "good.py", GOOD_PLUGIN)
    bad = write(plugin_dir, "typo.py", "def broken(:\n    pass\n")

    registry = discover_folder(plugin_dir)

    [problem] = problems_from(registry, bad)
    assert "syntax error" in problem.message and "line 1" in problem.message
    assert "good.constant" in registry


def test_plugin_with_a_malformed_node_points_at_its_declaration(plugin_dir):
    bad = write(plugin_dir, "malformed.py", '''
        from thyra_graph import node, Output
        from thyra_graph.types import Number

        @node("Bad Id", outputs=[Output("value", Number)])
        def bad():
            """No."""
    ''')

    registry = discover_folder(plugin_dir)

    [problem] = problems_from(registry, bad)
    assert "malformed" in problem.message and "dotted lowercase" in problem.message
    assert str(bad) in problem.message


def test_plugin_missing_a_library_says_which_and_how_to_disable_only_its_nodes(plugin_dir):
    bad = write(plugin_dir, "needs_lib.py", "import thyra_test_absent_library\n")

    registry = discover_folder(plugin_dir)

    [problem] = problems_from(registry, bad)
    assert "'thyra_test_absent_library' is not installed" in problem.message
    assert "requires=['thyra_test_absent_library']" in problem.message


def test_plugin_cannot_replace_a_builtin_node(plugin_dir):
    bad = write(plugin_dir, "my_loader.py", '''
        from thyra_graph import node, Output, Param
        from thyra_graph.types import Image

        @node("io.load_image", outputs=[Output("image", Image)], params=[Param("path", "x.png", kind="path")])
        def load_image(*, path):
            """A lab's own loader."""
    ''')
    builtin_spec = discover(plugin_path=[], user_plugins=False)["io.load_image"]

    registry = discover_folder(plugin_dir)

    assert registry["io.load_image"].func is builtin_spec.func
    [problem] = problems_from(registry, bad)
    assert "built-in nodes cannot be replaced" in problem.message
    assert "'my_loader.load_image'" in problem.message


def test_second_plugin_declaring_a_taken_id_is_refused_and_the_first_kept(plugin_dir):
    first = write(plugin_dir, "a_first.py", GOOD_PLUGIN)
    second = write(plugin_dir, "b_second.py", GOOD_PLUGIN)

    registry = discover_folder(plugin_dir)

    assert registry.origins["good.constant"] == str(first)
    [problem] = problems_from(registry, second)
    assert str(first) in problem.message


def test_plugin_listing_non_nodes_in_thyra_nodes_is_reported(plugin_dir):
    bad = write(plugin_dir, "listing.py", GOOD_PLUGIN + '''
    THYRA_NODES = [constant, "not a node"]
    ''')

    registry = discover_folder(plugin_dir)

    assert "good.constant" in registry
    [problem] = problems_from(registry, bad)
    assert "'not a node' (str)" in problem.message


def test_thyra_nodes_chooses_what_a_module_exports(plugin_dir):
    write(plugin_dir, "chooser.py", GOOD_PLUGIN + '''
    @node("good.hidden", outputs=[Output("value", Number)])
    def hidden():
        """Not exported."""
    THYRA_NODES = [constant]
    ''')

    registry = discover_folder(plugin_dir)

    assert "good.constant" in registry and "good.hidden" not in registry


def test_plugin_providing_no_nodes_is_reported(plugin_dir):
    empty = write(plugin_dir, "empty.py", "X = 1\n")

    registry = discover_folder(plugin_dir)

    [problem] = problems_from(registry, empty)
    assert "provides no nodes" in problem.message


def test_underscore_and_dot_files_in_a_plugin_folder_are_not_imported(plugin_dir, tmp_path):
    marker = tmp_path / "imported"
    for name in ("_helper.py", ".hidden.py", "_private_pkg/__init__.py"):
        write(plugin_dir, name, f"open({str(marker)!r}, 'w').close()\n")

    registry = discover_folder(plugin_dir)

    assert not marker.exists()
    assert registry.problems == []


def test_missing_plugin_path_folder_is_reported(tmp_path):
    missing = tmp_path / "nowhere"

    registry = discover_folder(missing)

    [problem] = problems_from(registry, missing)
    assert "THYRA_PLUGIN_PATH" in problem.message


def test_plugin_asking_for_the_registry_at_import_is_reported_not_recursed(plugin_dir):
    bad = write(plugin_dir, "greedy.py", '''
        from thyra_graph.nodes.discovery import discover
        discover()
    ''')

    registry = discover_folder(plugin_dir)

    [problem] = problems_from(registry, bad)
    assert "must not use the registry" in problem.message


def test_plugin_asking_for_the_default_registry_at_import_neither_deadlocks_nor_recurses(tmp_path):
    write(tmp_path / "plugins", "greedy.py", """
        from thyra_graph.nodes.discovery import default_registry
        default_registry()
    """)

    result = run_python("""
        import json
        from thyra_graph.nodes.discovery import default_registry
        print(json.dumps([p.message for p in default_registry().problems if p.origin.endswith("greedy.py")]))
    """, isolated_env(tmp_path, THYRA_PLUGIN_PATH=str(tmp_path / "plugins")))

    assert len(result) == 1 and "must not use the registry" in result[0]


def test_load_problem_reads_as_one_paragraph_naming_the_plugin(plugin_dir):
    bad = write(plugin_dir, "explodes.py", "raise ValueError('no')\n")

    [problem] = problems_from(discover_folder(plugin_dir), bad)

    assert str(problem).startswith(f"{bad}: ")
    assert "\n" not in str(problem)


# -- user plugin folder -----------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_DATA_HOME is the Linux convention")
def test_user_plugin_folder_is_honoured(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    user_dir = tmp_path / "data" / "thyra" / "plugins"
    path = write(user_dir, "mine.py", GOOD_PLUGIN)

    assert discovery.user_plugin_dir() == user_dir
    assert discover(plugin_path=[]).origins["good.constant"] == str(path)
    assert "good.constant" not in discover(plugin_path=[], user_plugins=False)


# -- graph files cannot bring code ------------------------------------------------------------
def test_code_beside_a_graph_file_is_never_imported(tmp_path):
    graph_dir = tmp_path / "received"
    marker = tmp_path / "marker"
    payload = f"open({str(marker)!r}, 'w').close()\n"
    for name in ("nodes.py", "plugin.py", "thyra_nodes.py", "evil.py", "plugins/evil.py", "thyra/plugins/evil.py"):
        write(graph_dir, name, payload)
    write(graph_dir, "graph.yaml", '''
        thyra: 1
        name: received
        nodes:
          a: {type: evil.node, params: {}}
    ''')

    result = run_python(f'''
        import json
        from thyra_graph.nodes.discovery import default_registry
        registry = default_registry()
        try:  # graph loading is exercised too when it exists; its errors are expected here
            from thyra_graph.api import load_graph
        except ImportError:
            load_graph = None
        if load_graph is not None:
            try:
                load_graph({str(graph_dir / "graph.yaml")!r})
            except Exception:
                pass
        print(json.dumps({{"evil": "evil.node" in registry}}))
    ''', isolated_env(tmp_path), cwd=graph_dir)

    assert result == {"evil": False}
    assert not marker.exists()


# -- the process-wide registry ----------------------------------------------------------------
def test_default_registry_is_built_once_and_rebuilt_on_reload(monkeypatch):
    monkeypatch.setattr(discovery, "_default", None)

    first = default_registry()

    assert default_registry() is first
    assert default_registry(reload=True) is not first


def test_unavailable_lists_nodes_whose_optional_libraries_are_missing(plugin_dir):
    write(plugin_dir, "optional.py", '''
        from thyra_graph import node, Output
        from thyra_graph.types import Number

        @node("opt.needs_absent", outputs=[Output("value", Number)], requires=["thyra_test_absent_library"])
        def needs_absent():
            """Needs a library that is not installed."""

        @node("opt.needs_numpy", outputs=[Output("value", Number)], requires=["numpy"])
        def needs_numpy():
            """Needs numpy, which is installed."""
    ''')

    registry = discover_folder(plugin_dir)

    # Built-ins with optional backends (recon.vggt without the vggt package) may be listed too.
    plugin_nodes = {key: value for key, value in registry.unavailable().items() if key.startswith("opt.")}
    assert plugin_nodes == {"opt.needs_absent": ["thyra_test_absent_library"]}
    assert isinstance(registry["opt.needs_absent"], NodeSpec)
