"""The fast reader reads plain graph files exactly as the round-trip reader does, and hands
everything else to it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from thyra_graph.engine import yamlfast
from thyra_graph.engine.yamlfast import NOT_PLAIN, read_plain
from thyra_graph.engine.yamlfile import _parse_round_trip, parse_yaml

GRAPHS = sorted((Path(__file__).resolve().parents[2] / "graphs").glob("*.yaml"))

# Plain documents: every scalar style and implicit type YAML 1.2 resolves, flow and block forms.
PLAIN = [
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
    "1: one\n2.5: two\nnull: four\n'5': five\n",
    "true: three\n0: zero\n",
    "a: 'b: c'\nurl: http://x.example/a?b=c#d\nglob: '*.png'\nstar: a*b\n",
    "empty_string: ''\nspaces: '  padded  '\nhash: 'a # not a comment'\n",
    "---\na: 1\n...\n",
    "",
    "# only a comment\n",
    "just a scalar\n",
    "42\n",
]

# Documents the fast reader must decline: the round-trip reader explains or handles them.
NOT_PLAIN_TEXTS = {
    "anchor": "a: &x 1\nb: 2\n",
    "alias": "a: &x 1\nb: *x\n",
    "merge": "base: &b {x: 1}\nnode:\n  <<: *b\n  y: 2\n",
    "explicit tag": "a: !!str 5\n",
    "local tag": "a: !foo 5\n",
    "python tag": "a: !!python/object/apply:os.system ['true']\n",
    "set": "s: !!set {a, b}\n",
    "duplicate key": "a: 1\na: 2\n",
    "complex key": "? [a, b]\n: 1\n",
    "mapping key": "? {a: 1}\n: 2\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "keys equal as values": "1: one\ntrue: two\n",
    "version directive": "%YAML 1.1\n---\na: yes\n",
    "value key": "a: =\n",
    "syntax error": "a: [1, 2\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "too deep": "a: " + "[" * 150 + "]" * 150 + "\n",
    "far too deep, unclosed": "[" * 200_000,
}


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


@pytest.mark.parametrize("text", PLAIN)
def test_plain_documents_read_the_same_as_the_round_trip_reader(text):
    fast = read_plain(text, max_nodes=10_000)
    slow = _parse_round_trip(text, 10_000)
    assert fast is not NOT_PLAIN, "a plain document should take the fast path"
    assert not slow.problems and not slow.fatal
    assert _same(fast, slow.data), (fast, slow.data)


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.name)
def test_every_example_graph_takes_the_fast_path_with_the_same_data(path):
    text = path.read_text(encoding="utf-8")
    fast = read_plain(text, max_nodes=len(text) + 1)
    assert fast is not NOT_PLAIN
    assert _same(fast, _parse_round_trip(text, len(text) + 1).data)


@pytest.mark.parametrize("name", sorted(NOT_PLAIN_TEXTS))
def test_anything_not_plain_goes_to_the_round_trip_reader(name):
    text = NOT_PLAIN_TEXTS[name]
    assert read_plain(text, max_nodes=10_000) is NOT_PLAIN
    # ... which still gives its answer or its explained problems through parse_yaml.
    assert _same(parse_yaml(text).data, _parse_round_trip(text, 100_000).data)


def test_too_many_values_go_to_the_round_trip_reader_which_names_the_bound():
    text = "[" + ", ".join(["1"] * 50) + "]\n"
    assert read_plain(text, max_nodes=20) is NOT_PLAIN
    parsed = parse_yaml(text, max_nodes=20)
    assert parsed.fatal and "more than 20 values" in parsed.problems[0].message


def test_lines_of_a_fast_read_file_are_found_when_asked():
    text = "thyra: 1\n# comment\nnodes:\n  load:\n    type: io.load_image\n    params: {path: a.png}\n"
    parsed = parse_yaml(text)
    assert parsed.fast
    assert parsed.lines.line("nodes", "load", "params", "path") == 6
    assert parsed.lines.line("nodes", "missing") == 3  # the deepest part that exists
    assert parsed.lines.line() == 1


def test_the_commented_tree_of_a_fast_read_file_is_made_on_demand():
    text = "a: 1  # keep me\n"
    parsed = parse_yaml(text)
    assert parsed.fast
    assert parsed.tree.ca.items["a"]  # the comment is in the tree


def test_without_the_c_extension_every_file_takes_the_round_trip_reader(monkeypatch):
    monkeypatch.setattr(yamlfast, "CParser", None)
    assert read_plain("a: 1\n", max_nodes=10) is NOT_PLAIN
    parsed = parse_yaml("a: 1\n")
    assert parsed.data == {"a": 1} and not parsed.fast
