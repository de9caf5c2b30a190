"""libyaml reads graph files, and ruamel's pure-Python reader, where libyaml is missing or stops,
reads them to the same data with the same problems."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from thyra_graph.engine import yamlfile
from thyra_graph.engine.yamlfile import _read, parse_yaml

from .test_yamlfile import billion_laughs

GRAPHS = sorted((Path(__file__).resolve().parents[2] / "graphs").glob("*.yaml"))

# Every scalar style and implicit type YAML 1.2 resolves, flow and block forms, and what goes
# past plain data: anchors, merges, tags, duplicate and complex keys, errors, bounds.
TEXTS = [
    "a: 1\nb: -2\nc: +3\nd: 0o17\ne: 0x1F\nf: 017\ng: 1_000\n",
    "a: 1.5\nb: 1.\nc: .5\nd: 1e3\ne: -1.5E-3\nf: .inf\ng: -.Inf\nh: .NaN\n",
    "a: true\nb: false\nc: True\nd: FALSE\ne: yes\nf: no\ng: on\nh: off\n",
    "a: null\nb: ~\nc:\nd: Null\ne: NULL\n",
    "a: 2024-01-01\nb: 2024-01-01 10:00:00\nc: 2001-12-14t21:59:43.10-05:00\nd: 12:30:00\n",
    "a: '1'\nb: \"2\"\nc: 'true'\nd: \"null\"\ne: 'it''s'\nf: \"tab\\there\\u00e9\"\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\nkeep: |+\n  x\n\nstrip: |-\n  y\n",
    "list: [1, 2.0, three, 'four', null, true]\nmap: {a: 1, b: [x, y], c: {d: e}}\n",
    "- a\n- - b\n  - c\n- {d: 1}\n- []\n- {}\n",
    "nodes:\n  # a comment\n  load: {type: io.load_image, params: {path: ../samples/coins.png}}  # why\n",
    "unicode: \"caf\\u00e9\"\nemoji: \"\\U0001F600\"\nplain: café ünïcode\n",
    "1: one\n2.5: two\nnull: four\n'5': five\ntrue: three\n",
    "a: 'b: c'\nurl: http://x.example/a?b=c#d\nglob: '*.png'\nstar: a*b\n",
    "empty_string: ''\nspaces: '  padded  '\nhash: 'a # not a comment'\n",
    "---\na: 1\n...\n",
    "",
    "# only a comment\n",
    "just a scalar\n",
    "42\n",
    "x: {a: samples:coins.png}\n",  # YAML 1.2, which stops libyaml (YAML 1.1)
    "a: &x 1\nb: *x\nc: &l [1, {d: 2}]\ne: *l\n",
    "base: &b {x: 1, y: 2}\nnode:\n  <<: *b\n  y: 3\n",
    "a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\nd: {<<: *b, '<<': 1}\n",
    "a: !!str 5\nb: !!int '7'\nc: !!float '1'\nd: !!bool 'true'\ne: !!null ''\nf: ! 12\n",
    "a: !foo 5\nb: !!python/object/apply:os.system ['true']\nc: !!set {a, b}\n",
    "a: 1\nb: 2\na: 3\n1: one\n0x1: two\n",
    "? [a, b]\n: 1\n? {c: 1}\n: 2\nd: 3\n",
    "a: 1\n---\nb: 2\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: <<\nb: =\n",
    "a: [1, 2\n",
    "a:\n  b: 1\n c: 2\n",
    "a: 1\nb:\n\tc: 2\n",
    "a: 1\nb: bell\x07\n",
    "a: 1\nb: *nowhere\n",
    "a: &x 1\nb: &x 2\n",
    "a: &x [1, [2, *x]]\n",
    "a:\n  <<: 5\n",
    "a: &a {x: 1}\nc:\n  <<: *a\n  <<: *a\n",
    "base: &b\n  a: 1\n  a: 2\n  ? [1, 2]\n  : 3\nnode:\n  <<: *b\n  c: 4\nmore: {<<: [*b, {a: 5, d: 6}]}\n",
    "a: &t true\nb: &n 3\nc: [*t, *n]\n",
    "a: " + "[" * 150 + "]" * 150 + "\n",
    "[" * 200_000,
    billion_laughs(9, 9),
]


def _same(a, b) -> bool:
    """Equal data of equal types (1 is not 1.0 or True), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _read_both(text: str, monkeypatch) -> tuple:
    with_libyaml = parse_yaml(text, max_nodes=10_000)
    monkeypatch.setattr(yamlfile, "CParser", None)
    return with_libyaml, parse_yaml(text, max_nodes=10_000)


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_without_libyaml_the_data_and_problems_are_the_same(text, monkeypatch):
    with_libyaml, pure = _read_both(text, monkeypatch)

    assert _same(with_libyaml.data, pure.data), (with_libyaml.data, pure.data)
    assert with_libyaml.problems == pure.problems
    assert with_libyaml.fatal == pure.fatal


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.name)
def test_every_example_graph_reads_the_same_without_libyaml(path, monkeypatch):
    with_libyaml, pure = _read_both(path.read_text(encoding="utf-8"), monkeypatch)

    assert not with_libyaml.problems and _same(with_libyaml.data, pure.data)


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.name)
def test_libyaml_itself_reads_every_example_graph(path):
    # An unquoted 'samples:x' inside { } is YAML 1.2 but stops libyaml (YAML 1.1), and a run
    # would wait for the pure-Python reader: the examples quote it.
    text = path.read_text(encoding="utf-8")

    _read(text, len(text), pure=False)  # raises where libyaml stops


def test_lines_are_found_when_asked():
    text = "thyra: 1\n# comment\nnodes:\n  load:\n    type: io.load_image\n    params: {path: a.png}\n"
    lines = parse_yaml(text).lines

    assert lines.line("nodes", "load", "params", "path") == 6
    assert lines.line("nodes", "missing") == 3  # the deepest part that exists
    assert lines.line() == 1


def test_the_commented_tree_is_made_on_demand():
    parsed = parse_yaml("a: 1  # keep me\n")

    assert parsed.lines.tree.ca.items["a"]  # the comment is in the tree


def random_document(rng) -> str:
    """A block-style document mixing what hostile or careless files hold: anchors and aliases,
    merge keys (single and lists), every scalar style, tags (allowed and refused), complex and
    duplicate keys (``true`` and ``1`` are one key in Python)."""
    scalars = ["1", "0x1f", "017", "1.5", ".inf", ".nan", "yes", "true", "~", "''", "'a b'", '"x\\ty"',
               "2001-12-14", "<<", "=", "'a: b'", "!!str 5", "!!int 7", "!!float 3", "!!bool true", "! x",
               "!!binary aGk=", "!foo bar", "!!python/object:os.system ls", "'*.png'", "[1, 2]", "{a: 1}", "[]"]
    keys = ["a", "b", "c", "1", "true", "null", "~", "'x y'", "<<", "? [1, 2]", "3.5"]
    anchors: list[str] = []

    def mapping(depth: int, indent: str) -> list[str]:
        lines = []
        for _ in range(rng.randint(1, 4)):
            key, roll = rng.choice(keys), rng.random()
            if key == "<<" and anchors:
                merged = rng.sample(anchors, min(len(anchors), rng.randint(1, 2)))
                lines.append(f"{indent}<<: " + (f"*{merged[0]}" if len(merged) == 1 else "[" + ", ".join("*" + m for m in merged) + "]"))
            elif key.startswith("?"):
                lines += [indent + key, indent + ": 1"]
            elif depth < 3 and roll < 0.35:
                anchor = f"m{len(anchors)}" if rng.random() < 0.4 else None
                body = mapping(depth + 1, indent + "  ")
                anchors.extend([anchor] if anchor else [])
                lines += [f"{indent}{key}:" + (f" &{anchor}" if anchor else "")] + body
            elif depth < 3 and roll < 0.5:
                lines += [f"{indent}{key}:"] + [f"{indent}  - {rng.choice(scalars)}" for _ in range(rng.randint(1, 3))]
            elif anchors and roll < 0.6:
                lines.append(f"{indent}{key}: *{rng.choice(anchors)}")
            else:
                anchor = f"&s{rng.randint(0, 999)} " if rng.random() < 0.1 else ""
                lines.append(f"{indent}{key}: {anchor}{rng.choice(scalars)}")
        return lines

    return "\n".join(mapping(0, "")) + "\n"


def test_random_hostile_documents_never_raise_and_read_the_same_without_libyaml(monkeypatch):
    # The reader this replaced raised on 6 of 3,000 such documents (merged complex keys).
    import random

    rng = random.Random(12)
    texts = [random_document(rng) for _ in range(300)]
    with_libyaml = [parse_yaml(text, max_nodes=10_000) for text in texts]
    monkeypatch.setattr(yamlfile, "CParser", None)
    for text, fast in zip(texts, with_libyaml):
        pure = parse_yaml(text, max_nodes=10_000)
        assert _same(fast.data, pure.data) and fast.problems == pure.problems and fast.fatal == pure.fatal, text
        assert all(isinstance(p.line, int) and p.line >= 1 for p in fast.problems), text  # each names its line
