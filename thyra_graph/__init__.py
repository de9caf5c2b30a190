"""Thyra: typed vision nodes, YAML graph files, a caching executor.

The public API is loaded lazily so ``import thyra_graph`` stays fast::

    from thyra_graph import load_graph, node, Input, Output, Param
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    # writing nodes (plugins use the same declaration as built-ins)
    "node": "thyra_graph.engine.declaration",
    "Input": "thyra_graph.engine.declaration",
    "Output": "thyra_graph.engine.declaration",
    "Param": "thyra_graph.engine.declaration",
    "NodeError": "thyra_graph.engine.declaration",
    "NodeSpec": "thyra_graph.engine.declaration",
    "ParamKind": "thyra_graph.engine.param_kinds",
    "Context": "thyra_graph.engine.context",
    # using graphs
    "Graph": "thyra_graph.engine.graph",
    "load_graph": "thyra_graph.api",
    "new_graph": "thyra_graph.api",
    "run_graph": "thyra_graph.api",
    "run_batch": "thyra_graph.api",
    "default_registry": "thyra_graph.api",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'thyra_graph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
