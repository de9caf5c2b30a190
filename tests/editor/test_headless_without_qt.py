"""The editor is a separate layer: ``thyra run`` works where Qt is not installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from .conftest import REPO

BLOCKER = textwrap.dedent("""
    import sys

    class _NoQt:
        # Stands for "PySide6 / NodeGraphQt are not installed".
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "NodeGraphQt", "Qt", "shiboken6"):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
            return None

    sys.meta_path.insert(0, _NoQt())
""")


def test_thyra_run_works_where_qt_cannot_be_imported(tmp_path):
    (tmp_path / "blocker").mkdir()
    (tmp_path / "blocker" / "sitecustomize.py").write_text(BLOCKER)
    # The blocker first; the tree under test (when PYTHONPATH names it) after it.
    path = os.pathsep.join([str(tmp_path / "blocker"), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = dict(os.environ, PYTHONPATH=path, THYRA_CACHE_DIR=str(tmp_path / "cache"))
    probe = subprocess.run([sys.executable, "-c", "import PySide6"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0  # the blocker works
    graph = (REPO / "graphs" / "quickstart.yaml").read_text().replace("../out/", f"{tmp_path.as_posix()}/out/")
    graph = graph.replace("../thyra_graph/", f"{(REPO / 'thyra_graph').as_posix()}/")
    (tmp_path / "quickstart.yaml").write_text(graph)
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "run", str(tmp_path / "quickstart.yaml"), "--json"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"]["coins.count"] == 24


def test_thyra_edit_without_qt_says_which_extra_to_install(tmp_path):
    (tmp_path / "blocker").mkdir()
    (tmp_path / "blocker" / "sitecustomize.py").write_text(BLOCKER)
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "blocker"))
    done = subprocess.run([sys.executable, "-m", "thyra_graph.cli", "edit"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "pip install 'thyra-graph[editor]'" in done.stderr and "Traceback" not in done.stderr
