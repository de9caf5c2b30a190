"""The example graphs survive copying: in any other folder they still find their bundled
samples (``samples:NAME``) and write beside themselves, so they validate and run there as
they are, with no path edited and no extra --allow-write."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GRAPHS = sorted((REPO / "graphs").glob("*.yaml"))


def thyra(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, THYRA_CACHE_DIR=str(home / "cache"), THYRA_PLUGIN_PATH="",
               XDG_DATA_HOME=str(home / "xdg"), XDG_CONFIG_HOME=str(home / "config"), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "thyra_graph.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def copies(tmp_path) -> Path:
    """Every example graph copied alone into a folder far from the repository; the working
    folder is yet another one, so neither the repository nor the working folder helps."""
    folder = tmp_path / "my" / "project"
    folder.mkdir(parents=True)
    for path in GRAPHS:
        shutil.copy(path, folder)
    (tmp_path / "cwd").mkdir()
    return folder


def test_no_example_graph_reaches_out_of_its_folder_by_a_relative_path():
    for path in GRAPHS:
        assert "../" not in path.read_text(), f"{path.name}: name samples as samples:NAME, write under out/"


def test_every_example_graph_is_yaml_any_reader_takes():
    # An unquoted 'samples:x' inside { } is YAML 1.2 but stops libyaml (YAML 1.1), and a run
    # waits for the pure-Python reader instead: the examples quote it.
    from thyra_graph.engine.yamlfile import _read

    for path in GRAPHS:
        _read(path.read_text(), 100_000, pure=False)  # raises where libyaml stops


def test_every_copied_example_graph_validates_where_it_was_copied(copies, tmp_path):
    done = thyra("validate", *[str(copies / p.name) for p in GRAPHS], cwd=tmp_path / "cwd", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok") == len(GRAPHS)
    assert str(copies / "out") in done.stdout  # the writes land beside the copy


def test_a_copied_quickstart_runs_and_writes_beside_itself(copies, tmp_path):
    done = thyra("run", str(copies / "quickstart.yaml"), "--json", cwd=tmp_path / "cwd", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"]["coins.count"] == 24
    assert (copies / "out" / "quickstart" / "coins_overlay.png").is_file()
    assert not (tmp_path / "my" / "out").exists()


@pytest.mark.parametrize("name", ["count_tiny_objects", "export_all", "video_sampling", "wave_continuation"])
def test_a_light_copied_example_runs_and_writes_into_out_beside_itself(copies, tmp_path, name):
    # The others need models or take long; they are validated above and run in tests/test_graphs.py.
    done = thyra("run", str(copies / f"{name}.yaml"), "--json", cwd=tmp_path / "cwd", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert any((copies / "out" / name).rglob("*")), f"nothing written under out/{name} beside the copy"
