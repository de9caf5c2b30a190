"""A graph file is untrusted input: the example graphs, damaged at random (keys deleted, values
swapped for wrong types, absurd numbers, paths outside the folder, NUL characters), always load
into diagnostics with their reasons, never a traceback."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from thyra_graph.api import default_registry
from thyra_graph.engine.graphfile import dumps, load_graph_text
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


PIECES = [*":{}[]-&*!|>'\"#%@`,?\t\n \x00\ufeffa1.<=", "<<: *a", "&a ", "!!python/object:x", "\n  ", "---\n", "%YAML 1.1\n"]


@pytest.mark.parametrize("seed", range(3))
def test_example_graphs_with_characters_inserted_deleted_or_repeated_load_and_save_without_a_traceback(seed, tmp_path):
    registry = default_registry()
    rng = random.Random(100 + seed)
    examples = [path.read_text(encoding="utf-8") for path in GRAPHS]
    for _ in range(150):
        text = rng.choice(examples)
        for _ in range(rng.randint(1, 8)):
            at, roll = rng.randrange(len(text) + 1), rng.random()
            if roll < 0.4:
                text = text[:at] + rng.choice(PIECES) + text[at:]
            elif roll < 0.8:
                text = text[:at] + text[at + rng.randint(1, 5):]
            else:
                start = rng.randrange(len(text) + 1)
                text = text[:at] + text[start:start + 20] + text[at:]
        loaded = load_graph_text(text, registry, source="damaged.yaml", base_dir=tmp_path)
        assert all(str(d).strip() for d in loaded.diagnostics), text
        if loaded.graph is not None:
            assert load_graph_text(dumps(loaded.graph), registry, source="saved.yaml", base_dir=tmp_path).graph is not None, text


def test_a_tab_inside_a_value_which_only_libyaml_reads_still_loads_and_saves(tmp_path):
    # YAML allows a tab inside a plain value; ruamel's round-trip reader stops there, so the
    # file's lines are unknown and saving writes the standard layout instead of raising.
    text = "thyra: 1\ndescription: two\twords\nnodes:\n  load: {type: io.load_image, params: {path: a.png}}\n"
    registry = default_registry()
    loaded = load_graph_text(text, registry, source="tab.yaml", base_dir=tmp_path)
    assert loaded.graph is not None and loaded.graph.description == "two\twords"
    saved = load_graph_text(dumps(loaded.graph), registry, source="saved.yaml", base_dir=tmp_path)
    assert saved.graph is not None and saved.graph.description == "two\twords" and list(saved.graph.nodes) == ["load"]
