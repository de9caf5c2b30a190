"""Starting Thyra stays light: heavy libraries are imported by node code, never at start-up.

Each check runs in a fresh interpreter (this test process has imported everything already)
and looks at ``sys.modules`` afterwards. Timing is left to benchmarks/import_time.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "taichi", "open3d", "cv2", "skimage", "scipy", "PySide6", "NodeGraphQt")


def heavy_modules_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("code", [
    pytest.param("import thyra_graph", id="package"),
    pytest.param("import thyra_graph.api", id="api"),
    pytest.param("from thyra_graph.api import default_registry\nregistry = default_registry()\n"
                 "assert 'io.load_video' in registry, 'built-in nodes missing'", id="default-registry"),
    pytest.param("from thyra_graph.api import default_registry\n"
                 "declarations = [spec.to_json() for spec in default_registry()]\nassert declarations",
                 id="listing-every-declaration"),
])
def test_starting_thyra_imports_no_heavy_library(code):
    assert heavy_modules_after(code) == []


def test_the_probe_sees_a_heavy_library_when_one_is_imported():
    # Guards the check above against passing vacuously (a probe that could never see cv2).
    assert heavy_modules_after("import thyra_graph\nimport cv2") == ["cv2"]
