"""Tiny node types for engine tests: no images, no files unless a test asks for them.

``registry`` holds:

- ``test.const``  (param ``value`` float) → ``out`` Number
- ``test.add``    (input ``x`` Number; param ``inc`` float in -100..100) → ``out`` Number
- ``test.sum``    (inputs ``a``, ``b`` Number) → ``out`` Number
- ``test.text``   → ``out`` Text (to provoke type mismatches)
- ``test.read``   (param ``path``, a file it reads) → ``out`` Number
- ``test.write``  (input ``x`` Number; param ``path``, a file it writes) → ``out`` Path
- ``test.noise``  (not deterministic; param ``seed`` int or None) → ``out`` Number
"""

from __future__ import annotations

import pytest

from thyra_graph.engine.declaration import Input, Output, Param, node
from thyra_graph.engine.graph import Graph
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Number, Path, Text


@node("test.const", params=[Param("value", 1.0, help="the number")], outputs=[Output("out", Number)])
def const(*, value):
    """A constant."""
    return value


@node("test.add", inputs=[Input("x", Number)],
      params=[Param("inc", 1.0, min=-100, max=100, help="what to add")], outputs=[Output("out", Number)])
def add(x, *, inc):
    """Add a constant."""
    return x.value + inc


@node("test.sum", inputs=[Input("a", Number), Input("b", Number)], outputs=[Output("out", Number)])
def total(a, b):
    """Add two numbers."""
    return a.value + b.value


@node("test.text", outputs=[Output("out", Text)])
def text():
    """A text."""
    return Text("hello")


@node("test.read", params=[Param("path", "in.txt", kind="path", io="read", help="file to read")],
      outputs=[Output("out", Number)])
def read(*, path):
    """The size of a file."""
    return len(open(path, "rb").read())


@node("test.write", inputs=[Input("x", Number)],
      params=[Param("path", "out.txt", kind="path", io="write", help="file to write")],
      outputs=[Output("out", Path)])
def write(x, *, path):
    """Write a number to a file."""
    open(path, "w").write(str(x.value))
    return path


@node("test.noise", deterministic=False, params=[Param("seed", None, kind="int", seed=True, help="fixed seed")],
      outputs=[Output("out", Number)])
def noise(*, seed):
    """A random number."""
    import random

    return random.Random(seed).random()


TEST_NODES = (const, add, total, text, read, write, noise)


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    for spec in TEST_NODES:
        reg.add(spec)
    return reg


@pytest.fixture
def graph(registry: Registry, tmp_path) -> Graph:
    """An empty graph whose relative paths resolve inside ``tmp_path``."""
    return Graph(registry, name="test", base_dir=tmp_path)


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch) -> None:
    """No engine test may touch the user's real disk cache."""
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
