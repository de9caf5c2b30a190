"""Reading graph files: plain data with the line of every key, and every unsafe or malformed
input refused with its line."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from thyra_graph.engine.yamlfile import LineMap, ParsedYaml, YamlProblem, parse_yaml

QUICKSTART = """\
thyra: 1
name: quickstart
description: Find and number the coins.
nodes:
  load:
    type: io.load_image
    version: 1
    params: {path: ../thyra_graph/samples/coins.png}
  gray:
    type: image.to_gray
    version: 1
    inputs: {image: load.image}
ui:
  positions:
    load: [0, 0]
"""

QUICKSTART_DATA = {
    "thyra": 1,
    "name": "quickstart",
    "description": "Find and number the coins.",
    "nodes": {
        "load": {
            "type": "io.load_image",
            "version": 1,
            "params": {"path": "../thyra_graph/samples/coins.png"},
        },
        "gray": {"type": "image.to_gray", "version": 1, "inputs": {"image": "load.image"}},
    },
    "ui": {"positions": {"load": [0, 0]}},
}


def same(a, b) -> bool:
    """Equal, with the same types all the way down (1 == True == 1.0 would hide mistakes)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return [type(k) for k in a] == [type(k) for k in b] and list(a) == list(b) and all(
            same(a[k], b[k]) for k in a
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def only_problem(parsed: ParsedYaml) -> YamlProblem:
    assert len(parsed.problems) == 1, parsed.problems
    return parsed.problems[0]


# ---------------------------------------------------------------------------------------------
# Reading plain data


def test_graph_file_reads_as_plain_data_without_problems():
    parsed = parse_yaml(QUICKSTART)

    assert same(parsed.data, QUICKSTART_DATA)
    assert parsed.problems == []
    assert parsed.fatal is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"), ("'12'", "12"), ("12", 12), ("-7", -7), ("017", 17), ("0o17", 15),
        ("0x1f", 31), ("3.5", 3.5), ("1.0e+3", 1000.0), ("1e3", 1000.0), (".inf", float("inf")),
        ("-.inf", float("-inf")), ("true", True), ("False", False), ("~", None), ("null", None),
        ("", None), ("'yes'", "yes"), ("!!str 12", "12"), ("!!int '12'", 12), ("!!float '1'", 1.0),
        ("!!bool 'true'", True), ("!!null ''", None), ('"tab\\there"', "tab\there"), ("café", "café"),
        ("|\n  two\n  lines\n", "two\nlines\n"), (">\n  folded\n  text\n", "folded text\n"),
        # YAML 1.2, unlike 1.1 (PyYAML): the Norway problem is gone, sexagesimals are text
        ("yes", "yes"), ("No", "No"), ("on", "on"), ("off", "off"), ("1:30", "1:30"),
    ],
)
def test_scalars_resolve_as_yaml_1_2_resolves_them_into_builtin_types(value, expected):
    assert same(parse_yaml(f"key: {value}\n").data, {"key": expected})


def test_nan_reads_as_a_float_nan():
    value = parse_yaml("key: .nan\n").data["key"]

    assert isinstance(value, float) and value != value


@pytest.mark.parametrize(
    "value", ["2024-05-01", "2024-05-01 10:30:00", "2001-12-14t21:59:43.10-05:00"]
)
def test_timestamps_stay_strings_as_written(value):
    assert parse_yaml(f"when: {value}\n").data == {"when": value}


def test_bare_merge_and_value_indicators_in_value_position_are_strings():
    assert parse_yaml("a: <<\nb: =\n").data == {"a": "<<", "b": "="}


def test_non_string_keys_are_kept_as_yaml_reads_them():
    parsed = parse_yaml("2: two\n2.5: half\ntrue: yes\n~: nothing\n")

    assert same(parsed.data, {2: "two", 2.5: "half", True: "yes", None: "nothing"})
    assert parsed.problems == []


def test_aliases_expand_into_independent_copies():
    parsed = parse_yaml("a: &point [1, 2]\nb: *point\n")

    assert parsed.data == {"a": [1, 2], "b": [1, 2]}
    parsed.data["a"].append(3)
    assert parsed.data["b"] == [1, 2]


def test_nested_and_merged_values_of_an_alias_are_independent_copies_too():
    data = parse_yaml("a: &p {x: [1]}\nb: *p\nc: {<<: *p}\n").data

    data["a"]["x"].append(2)

    assert data["b"] == {"x": [1]} and data["c"] == {"x": [1]}


def test_yaml_1_2_that_libyaml_stops_at_is_read_all_the_same():
    assert parse_yaml("x: {path: samples:coins.png}\n").data == {"x": {"path": "samples:coins.png"}}


# ---------------------------------------------------------------------------------------------
# Lines


def test_line_map_gives_the_line_of_every_nested_key():
    lines = parse_yaml(QUICKSTART).lines

    assert lines.line("thyra") == 1
    assert lines.line("nodes") == 4
    assert lines.line("nodes", "load") == 5
    assert lines.line("nodes", "load", "params") == 8
    assert lines.line("nodes", "load", "params", "path") == 8
    assert lines.line("nodes", "gray", "inputs", "image") == 12
    assert lines.line("ui", "positions", "load") == 15


def test_line_map_gives_the_line_of_list_items():
    text = "points:\n  - [1, 2]\n  -\n    x: 3\n    y: 4\nflat: [a,\n  b]\n"
    lines = parse_yaml(text).lines

    assert lines.line("points", 0) == 2
    assert lines.line("points", 0, 1) == 2
    assert lines.line("points", 1) == 4  # the item starts where its first key does
    assert lines.line("points", 1, "y") == 5
    assert lines.line("flat", 1) == 7


def test_line_map_falls_back_to_the_closest_known_ancestor():
    lines = parse_yaml(QUICKSTART).lines

    assert lines.line("nodes", "gray", "params", "sigma") == 9  # no params: the node's line
    assert lines.line("ui", "positions", "load", 7) == 15  # index past the end
    assert lines.line("ui", "positions", "load", "x") == 15  # a name where a list is
    assert lines.line("nodes", "load", "type", "deeper") == 6  # below a plain value
    assert lines.line("missing") == 1  # the document's first line
    assert lines.line() == 1


def test_line_map_counts_lines_from_one_after_leading_comments():
    lines = parse_yaml("# a graph\n\nnodes:\n  a: {type: x.y}\n").lines

    assert lines.line() == 3
    assert lines.line("nodes", "a", "type") == 4


def test_an_empty_line_map_knows_no_lines():
    assert LineMap().line("nodes", "load") is None
    assert parse_yaml("").lines.line("nodes") is None


def test_lines_of_an_alias_point_to_the_anchored_text():
    text = "defaults: &d\n  sigma: 3\nother:\n  params: *d\n"

    assert parse_yaml(text).lines.line("other", "params", "sigma") == 2


# ---------------------------------------------------------------------------------------------
# Tags that construct objects


def test_os_system_tag_is_refused_and_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "marker"
    text = f'name: evil\nrun: !!python/object/apply:os.system ["touch {marker.as_posix()}"]\n'

    parsed = parse_yaml(text)

    assert parsed.fatal and parsed.data is None
    problem = only_problem(parsed)
    assert problem.line == 2
    assert "!!python/object/apply:os.system" in problem.message
    assert "YAML tags that construct objects are not allowed in graph files" in problem.message
    assert not marker.exists()


def test_an_object_tag_payload_that_unsafe_load_would_run_is_refused(tmp_path):
    def payload(path):
        return f"x: !!python/object/apply:builtins.open [{path.as_posix()!r}, w]\n"

    target = tmp_path / "target"
    parsed = parse_yaml(payload(target))  # yaml.unsafe_load would create the file

    assert parsed.fatal
    assert not target.exists()


@pytest.mark.parametrize(
    ("text", "line", "tag"),
    [
        ("a: 1\nb: !!python/name:os.system\n", 2, "!!python/name:os.system"),
        ("a: !!python/object:argparse.Namespace {}\n", 1, "!!python/object:argparse.Namespace"),
        ("a:\n  - !foo bar\n", 2, "!foo"),
        ("a: !foo {b: 1}\n", 1, "!foo"),
        ("a: !!binary aGVsbG8=\n", 1, "!!binary"),
        ("a: !!set {x, y}\n", 1, "!!set"),
        ("a: !!omap [b: 1]\n", 1, "!!omap"),
        ("a: !<tag:yaml.org,2002:python/name:os.getcwd> ''\n", 1, "!!python/name:os.getcwd"),
        ("%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\n", 3, "tag:example.com,2000:thing"),
        ("!!python/name:os.system : 1\n", 1, "!!python/name:os.system"),
    ],
)
def test_non_standard_tags_are_refused_with_the_tag_and_line(text, line, tag):
    parsed = parse_yaml(text)

    assert parsed.fatal and parsed.data is None
    problem = only_problem(parsed)
    assert problem.line == line
    assert f"'{tag}'" in problem.message
    assert "YAML tags that construct objects are not allowed in graph files" in problem.message


def test_every_refused_tag_is_reported_at_once():
    parsed = parse_yaml("a: !foo 1\nb: 2\nc: !!python/name:os.system\n")

    assert [problem.line for problem in parsed.problems] == [1, 3]


def test_a_standard_tag_on_the_wrong_kind_of_value_is_refused():
    problem = only_problem(parse_yaml("a:\n  b: !!str {c: 1}\n"))

    assert problem.line == 2
    assert "'!!str'" in problem.message and "remove the tag" in problem.message


def test_a_value_that_does_not_fit_its_explicit_tag_is_refused():
    parsed = parse_yaml("a: !!int twelve\n")

    assert parsed.fatal
    assert "'twelve'" in only_problem(parsed).message


# ---------------------------------------------------------------------------------------------
# Duplicate keys, complex keys, merge keys


def test_duplicate_key_names_the_key_and_both_lines_and_keeps_the_first():
    text = "nodes:\n  load: {type: a.first}\n  gray: {type: a.gray}\n  load: {type: a.second}\n"

    parsed = parse_yaml(text)

    assert not parsed.fatal
    assert parsed.data["nodes"]["load"] == {"type": "a.first"}
    assert list(parsed.data["nodes"]) == ["load", "gray"]
    problem = only_problem(parsed)
    assert problem.line == 4
    assert "'load'" in problem.message
    assert "lines 2 and 4" in problem.message
    assert "only one may be kept" in problem.message and "the one on line 2 is used" in problem.message


def test_duplicate_key_lines_follow_the_kept_value():
    text = "a:\n  params:\n    x: 1\na:\n  type: t\n"

    lines = parse_yaml(text).lines

    assert lines.line("a") == 1
    assert lines.line("a", "params", "x") == 3
    assert lines.line("a", "type") == 1  # the dropped value's keys are not there


def test_keys_equal_as_values_are_duplicates_and_both_spellings_are_named():
    parsed = parse_yaml("1: a\n0x1: b\n")

    assert parsed.data == {1: "a"}
    message = only_problem(parsed).message
    assert "'0x1'" in message and "lines 1 and 2" in message


def test_a_key_that_is_a_list_or_mapping_is_a_problem_and_left_out():
    parsed = parse_yaml("? [a, b]\n: 1\n? {c: 1}\n: 2\nd: 3\n")

    assert not parsed.fatal
    assert parsed.data == {"d": 3}
    assert [problem.line for problem in parsed.problems] == [1, 3]
    assert "list" in parsed.problems[0].message and "mapping" in parsed.problems[1].message


@pytest.mark.parametrize(
    ("text", "merged"),
    [
        ("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", {"x": 1, "y": 3}),
        ("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n", {"w": 0, "x": 1, "y": 1, "z": 2}),
        ("a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nc: {<<: *b, z: 3}\n", {"x": 1, "y": 2, "z": 3}),
        ("c:\n  <<: {x: 1}\n  '<<': literal\n", {"x": 1, "<<": "literal"}),
    ],
)
def test_merge_keys_merge_as_yaml_does(text, merged):
    """Keys written in the mapping win over merged ones, earlier mappings in a merge list over
    later ones. (Key order is ruamel's: written keys first; PyYAML put merged keys first.)"""
    parsed = parse_yaml(text)

    assert parsed.problems == []
    assert parsed.data["c"] == merged


def test_two_merge_keys_in_one_mapping_are_refused_with_the_way_to_merge_both():
    problem = only_problem(parse_yaml("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: *a\n  <<: *b\n"))

    assert problem.line == 5
    assert "'<<: [*first, *second]'" in problem.message


def test_merged_keys_have_the_lines_where_they_are_written():
    text = "base: &b\n  x: 1\n  y: 2\nnode:\n  <<: *b\n  y: 3\n"

    lines = parse_yaml(text).lines

    assert lines.line("node", "x") == 2
    assert lines.line("node", "y") == 6


def test_a_merge_key_that_points_at_no_mapping_is_a_problem():
    parsed = parse_yaml("a:\n  <<: 5\n  b: 1\n")

    assert parsed.fatal
    problem = only_problem(parsed)
    assert problem.line == 2 and "'<<'" in problem.message


# ---------------------------------------------------------------------------------------------
# Size limits: alias bombs, recursion, nesting, length


def billion_laughs(levels: int, fanout: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * fanout)}]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * fanout)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text",
    [
        billion_laughs(9, 9),  # the classic: 9**9 strings
        billion_laughs(40, 9),  # deeper
        billion_laughs(60, 2),  # deeper still, 2-fold
        "x: &x [" + ", ".join(["a"] * 500) + "]\ny: [" + ", ".join(["*x"] * 300) + "]\n",  # wide
        "m0: &m0 {k: v, j: w}\n"
        + "".join(f"m{i}: &m{i} {{x: *m{i - 1}, y: *m{i - 1}}}\n" for i in range(1, 40)),
    ],
    ids=["classic", "deeper", "deeper-2-fold", "wide", "mappings"],
)
def test_alias_bombs_are_refused_fast_and_small(text):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        parsed = parse_yaml(text)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert parsed.fatal and parsed.data is None
    assert "too many nodes" in only_problem(parsed).message
    assert elapsed < 2.0
    assert peak < 50 * 1024 * 1024


def test_node_limit_counts_every_value_an_alias_expands_to():
    text = "a: &x [1, 2, 3]\nb: *x\n"  # map, a, [1, 2, 3] (4), b, [1, 2, 3] again (4): 11

    assert not parse_yaml(text, max_nodes=11).fatal
    assert parse_yaml(text, max_nodes=10).fatal


def test_node_limit_stops_a_long_plain_document_while_reading():
    text = "[" + ", ".join(["1"] * 2000) + "]\n"

    parsed = parse_yaml(text, max_nodes=1000)

    assert parsed.fatal
    assert "1,000" in only_problem(parsed).message


@pytest.mark.parametrize("text", ["a: &x [*x]\n", "a: &m {self: *m}\n", "a: &x [1, [2, *x]]\n"])
def test_an_alias_inside_its_own_anchor_is_refused_without_hanging(text):
    parsed = parse_yaml(text)

    assert parsed.fatal
    assert "contains it" in only_problem(parsed).message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "{a: " * 3000 + "1" + "}" * 3000,
        "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 400)),
    ],
    ids=["lists", "mappings", "alias-chain"],
)
def test_deep_nesting_is_refused_without_a_recursion_error(text):
    parsed = parse_yaml(text)

    assert parsed.fatal
    assert "nested more than" in only_problem(parsed).message


def test_text_longer_than_the_limit_is_refused_without_parsing():
    text = "a: [unclosed\n" * 100  # would be a syntax error if it were parsed

    parsed = parse_yaml(text, max_chars=1000)

    assert parsed.fatal
    problem = only_problem(parsed)
    assert problem.line is None
    assert "1,300 characters" in problem.message and "1,000" in problem.message


# ---------------------------------------------------------------------------------------------
# Syntax errors, empty files, several documents


def test_syntax_error_names_line_column_and_a_fix():
    text = "thyra: 1\nnodes:\n  load:\n    params: path: a.png\n"

    problem = only_problem(parse_yaml(text))

    assert problem.line == 4
    assert problem.message == (
        "YAML syntax error: mapping values are not allowed here (line 4, column 17): "
        "check indentation and quoting (a value containing ': ' must be quoted)"
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb:\n\tc: 2\n", 3, ["tabs", "line 3, column 1"]),
        ("a: 1\nb: 'open\n\nc: 3\n", 5, ["starts on line 2", "closing quote"]),
        ("a: [1, 2\nb: 3\n", 2, ["starts on line 1", "close the '[...]'"]),
        ("a: 1\n- b\n", 2, ["check indentation"]),
        ("a: 1\nb: *nowhere\n", 2, ["undefined alias 'nowhere'", "&name"]),
        ("a: &x 1\nb: &x 2\n", 2, ["&x is defined twice", "lines 1 and 2"]),
        ("a: 1\nb: bell\x07\n", 2, ["#x0007", "line 2"]),
    ],
    ids=[
        "tab", "unclosed-quote", "unclosed-list", "bad-indent", "undefined-alias",
        "duplicate-anchor", "control-char",
    ],
)
def test_syntax_errors_are_one_sentence_with_line(text, line, words):
    parsed = parse_yaml(text)

    assert parsed.fatal and parsed.data is None
    problem = only_problem(parsed)
    assert problem.line == line
    assert "\n" not in problem.message and "Traceback" not in problem.message
    for word in words:
        assert word in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "--- # empty\n...\n"])
def test_empty_document_gives_no_data_and_is_not_fatal(text):
    parsed = parse_yaml(text)

    assert parsed.data is None
    assert parsed.problems == []
    assert parsed.fatal is False


def test_a_yaml_version_other_than_1_2_is_refused_with_its_line():
    parsed = parse_yaml("# old\n%YAML 1.1\n---\na: yes\n")

    assert parsed.fatal
    problem = only_problem(parsed)
    assert problem.line == 3
    assert "YAML 1.1" in problem.message and "graph files are YAML 1.2" in problem.message
    assert parse_yaml("%YAML 1.2\n---\na: yes\n").data == {"a": "yes"}


@pytest.mark.parametrize(
    ("text", "line"), [("a: 1\n---\nb: 2\n", 2), ("---\na: 1\n---\nb: 2\n", 3)]
)
def test_two_documents_are_refused(text, line):
    parsed = parse_yaml(text)

    assert parsed.fatal
    problem = only_problem(parsed)
    assert problem.line == line
    assert "a graph file holds one YAML document" in problem.message


def test_parsing_any_text_never_raises():
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")
    pieces = strategies.sampled_from(
        ["a", "b: ", "- ", "\n", "  ", "&x ", "*x", "<<: ", "[", "]", "{", "}", ", ", "'", '"',
         "!!int ", "!foo ", "---\n", "? ", "#", "\t", "1", "~", "|\n", "%TAG ! x\n"]
    )

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(
        strategies.lists(pieces, max_size=40).map("".join) | strategies.text(max_size=80)
    )
    def parses_to_a_result(text):
        parsed = parse_yaml(text, max_nodes=200)
        assert isinstance(parsed, ParsedYaml)
        if parsed.fatal:
            assert parsed.data is None and parsed.problems
        for problem in parsed.problems:
            assert problem.message and "\n" not in problem.message

    parses_to_a_result()


def test_a_merged_mapping_brings_only_the_keys_it_may_hold_and_its_problems_are_told_once():
    text = "base: &b\n  a: 1\n  a: 2\n  ? [1, 2]\n  : 3\nnode:\n  <<: *b\n  c: 4\nmore: {<<: [*b, {a: 5, d: 6}]}\n"
    parsed = parse_yaml(text)
    assert not parsed.fatal
    assert parsed.data["node"] == {"c": 4, "a": 1}  # the first 'a' of the merged mapping, as in 'base'
    assert parsed.data["more"] == {"a": 1, "d": 6}  # of a merge list, the earlier mapping wins
    assert sorted(p.line for p in parsed.problems) == [3, 4]  # where written, not again at each merge


def test_an_anchored_scalar_keeps_its_type():
    assert parse_yaml("a: &t true\nb: *t\nc: &n 3\nd: *n\n").data == {"a": True, "b": True, "c": 3, "d": 3}
    assert type(parse_yaml("a: &t true\n").data["a"]) is bool
