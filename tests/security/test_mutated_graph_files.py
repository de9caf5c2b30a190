"""A graph file is untrusted input: the example graphs, damaged at random (keys deleted, values
swapped for wrong types, absurd numbers, paths outside the folder, NUL characters), always load
into diagnostics with their reasons, never a traceback."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.graphfile import load_graph_text
from thyra_graph.engine.yamlfile import parse_yaml
from thyra_graph.engine.yamlwrite import dump_yaml

GRAPHS = sorted((Path(__file__).resolve().parents[2] / "graphs").glob("*.yaml"))
WEIRD = [None, True, 0, -1, 1e308, float("nan"), float("inf"), "", "x", "../../etc/passwd", "/etc/shadow",
         "samples:../x", "samples:", [], {}, [1, [2, [3]]], {"a": {"b": 1}}, "a.b.c", "node.out", 10**30, -10**30,
         "\x00", "é" * 1000, [None], {"": 1}, {1: 2}]
KEYS = ["type", "params", "inputs", "outputs", "ui", "version", "nodes", "thyra", "when", "x"]


def damage(data, rng: random.Random, depth: int = 0) -> None:
    """One random change somewhere in ``data``: a key deleted or added, a value replaced."""
    if isinstance(data, dict) and data:
        key, roll = rng.choice(list(data)), rng.random()
        if roll < 0.25:
            del data[key]
        elif roll < 0.5 and depth < 6:
            damage(data[key], rng, depth + 1)
        elif roll < 0.75:
            data[key] = copy.deepcopy(rng.choice(WEIRD))
        else:
            data[rng.choice(KEYS)] = copy.deepcopy(rng.choice([*WEIRD, key]))
    elif isinstance(data, list) and data:
        index = rng.randrange(len(data))
        if rng.random() < 0.5 and depth < 6:
            damage(data[index], rng, depth + 1)
        else:
            data[index] = copy.deepcopy(rng.choice(WEIRD))


@pytest.mark.parametrize("seed", range(4))
def test_damaged_example_graphs_load_into_diagnostics_never_a_traceback(seed, tmp_path):
    registry = default_registry()
    rng = random.Random(seed)
    examples = [parse_yaml(path.read_text(encoding="utf-8")).data for path in GRAPHS]
    for _ in range(100):
        data = copy.deepcopy(rng.choice(examples))
        for _ in range(rng.randint(1, 6)):
            damage(data, rng)
        text = dump_yaml(data)
        loaded = load_graph_text(text, registry, source="damaged.yaml", base_dir=tmp_path)
        assert all(str(d).strip() and "Traceback" not in str(d) for d in loaded.diagnostics), text
        assert loaded.graph is not None or loaded.diagnostics, text  # refused files say why


def test_an_empty_mapping_is_a_file_without_nodes(tmp_path):
    loaded = load_graph_text("{}\n", default_registry(), source="empty.yaml", base_dir=tmp_path)
    assert loaded.graph is None or not loaded.graph.nodes
    assert any("the file has no nodes" in str(d) and d.line == 1 for d in loaded.diagnostics)
