"""Each security test runs as a fresh user: an empty user config, no secrets in the
environment, a home folder, a working folder and a graph folder of its own, side by side
under tmp_path (so none of them contains another)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

HOSTILE = Path(__file__).parent / "hostile"


@pytest.fixture(autouse=True)
def fresh_user(tmp_path, monkeypatch) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("THYRA_CONFIG", str(config))
    for name in list(os.environ):
        if name.startswith("THYRA_SECRET_") or name in ("OPENAI_BASE_URL", "THYRA_VLM_MODEL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "cache"))
    for folder in ("home", "cwd", "outside"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return config


@pytest.fixture
def graph_dir(tmp_path) -> Path:
    """The folder a downloaded graph file sits in, with the small image it reads."""
    import cv2

    folder = tmp_path / "graph"
    folder.mkdir()
    image = np.zeros((32, 32, 3), np.uint8)
    image[4:12, 4:12] = 255
    image[18:28, 16:26] = 255
    cv2.imwrite(str(folder / "in.png"), image)
    return folder


@pytest.fixture
def hostile(graph_dir):
    """``hostile("name", PORT=...)``: tests/security/hostile/name.yaml, placeholders ``@KEY@``
    filled in, saved into the graph folder; returns its path."""
    def make(name: str, **fields) -> Path:
        text = (HOSTILE / f"{name}.yaml").read_text(encoding="utf-8")
        for key, value in fields.items():
            text = text.replace(f"@{key}@", str(value))
        left = re.findall(r"@[A-Z0-9]+@", text)
        assert not left, f"fill in {left} for {name}.yaml"
        path = graph_dir / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path
    return make


@pytest.fixture
def thyra(capsys):
    """Run the ``thyra`` command in this process: returns (exit code, stdout, stderr)."""
    from thyra_graph.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return run
