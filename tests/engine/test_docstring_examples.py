"""The examples in the engine's docstrings run, so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["thyra_graph.engine.atomic", "thyra_graph.engine.store", "thyra_graph.engine.code_version",
           "thyra_graph.engine.yamlfile", "thyra_graph.engine.filelock", "thyra_graph.engine.samples",
           "thyra_graph.engine.sizes"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
