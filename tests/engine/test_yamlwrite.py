"""Writing graph files: new data in the readable layout, and a file that was read written back
with only the edited lines changed."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from thyra_graph.engine.yamlfile import parse_yaml
from thyra_graph.engine.yamlwrite import YamlDocument, dump_yaml

from .test_yamlfile import QUICKSTART, QUICKSTART_DATA, same


def document(text: str) -> tuple[dict, YamlDocument]:
    parsed = parse_yaml(text)
    return parsed.data, YamlDocument(text)


def test_dump_writes_a_graph_file_as_a_person_would():
    assert dump_yaml(QUICKSTART_DATA) == QUICKSTART


def test_dump_is_deterministic_and_writes_no_anchors():
    shared = [0, 0]
    data = {"ui": {"positions": {"a": shared, "b": shared}}}

    text = dump_yaml(data)

    assert text == dump_yaml({"ui": {"positions": {"a": [0, 0], "b": [0, 0]}}})
    assert text.encode() == dump_yaml(data).encode()
    assert "&" not in text and "*" not in text


def test_dump_keeps_key_order():
    assert dump_yaml({"z": 1, "a": 2, "m": 3}) == "z: 1\na: 2\nm: 3\n"


def test_dump_nested_or_long_params_in_block_style_with_short_lists_in_flow():
    data = {
        "nodes": {
            "prompt": {
                "type": "segment.points",
                "params": {"points": [[10, 20, 1], [30, 40, 0]], "color": [255, 0, 0]},
            },
            "save": {"type": "io.save", "params": {"path": "out/" + "x" * 80 + ".png"}},
        }
    }

    assert dump_yaml(data) == (
        "nodes:\n"
        "  prompt:\n"
        "    type: segment.points\n"
        "    params:\n"
        "      points:\n"
        "        - [10, 20, 1]\n"
        "        - [30, 40, 0]\n"
        "      color: [255, 0, 0]\n"
        "  save:\n"
        "    type: io.save\n"
        "    params:\n"
        f"      path: out/{'x' * 80}.png\n"
    )


def test_dump_writes_multi_line_text_as_a_literal_block():
    data = {"description": "Find the coins.\nThen number them.\n"}

    assert dump_yaml(data) == "description: |\n  Find the coins.\n  Then number them.\n"


def test_dump_never_folds_long_text():
    text = " ".join(["word"] * 60)

    assert dump_yaml({"description": text}) == f"description: {text}\n"


@pytest.mark.parametrize(
    "value",
    [
        "true", "False", "12", "3.5", "017", "0x1f", "1e3", ".inf", "2024-05-01", "null", "~", "",
        "<<", "=", "true", " padded ", "a: b", "- item", "#hash",
    ],
)
def test_dump_quotes_strings_that_would_read_as_something_else(value):
    text = dump_yaml({"key": value})

    assert text.startswith("key: '") or text.startswith('key: "')
    assert same(parse_yaml(text).data, {"key": value})


@pytest.mark.parametrize("value", ["yes", "No", "on", "1:30"])
def test_dump_writes_yaml_1_1_booleans_and_sexagesimals_plain_as_they_are_text_in_1_2(value):
    text = dump_yaml({"key": value})

    assert text == f"key: {value}\n"
    assert same(parse_yaml(text).data, {"key": value})


def test_dump_keeps_unicode_readable():
    assert dump_yaml({"name": "pièces de monnaie 硬币"}) == "name: pièces de monnaie 硬币\n"


def test_dump_writes_tuples_as_lists():
    assert dump_yaml({"position": (0, 260)}) == "position: [0, 260]\n"


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object(), complex(1, 2)])
def test_dump_refuses_values_a_graph_file_cannot_hold(value):
    with pytest.raises(TypeError, match="convert it to plain"):
        dump_yaml({"key": value})


def test_dump_refuses_data_that_contains_itself():
    data: dict = {}
    data["self"] = data

    with pytest.raises(ValueError, match="contains itself"):
        dump_yaml(data)


@pytest.mark.parametrize(
    "data",
    [
        QUICKSTART_DATA,
        {"a": None, "b": True, "c": -0.0, "d": 1e300, "e": 10**30, "f": [], "g": {}, "h": [[]]},
        {1: "int key", None: "null key", "text": "line\r\nbreaks\x85and\u2028more", "tab": "a\tb"},
        {"lines": "  indented first\nsecond\n\n", "trail": "x\n\n\n", "nl": "\n"},
        [1, "two", [3, {"four": 4}]],
        "just text",
    ],
)
def test_dump_then_parse_gives_the_same_data(data):
    parsed = parse_yaml(dump_yaml(data))

    assert parsed.problems == []
    assert same(parsed.data, data)


def test_dump_then_parse_gives_the_same_data_for_any_json_like_data():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    data = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.dictionaries(st.text() | st.integers(), inner, max_size=5)
        ),
        max_leaves=25,
    )

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(data)
    def round_trips(value):
        text = dump_yaml(value)
        parsed = parse_yaml(text)
        assert parsed.problems == []
        assert same(parsed.data, value)
        assert dump_yaml(value) == text

    round_trips()


# ---------------------------------------------------------------------------------------------
# Editing a file: what is not edited keeps its text

GRAPHS = sorted((Path(__file__).resolve().parents[2] / "graphs").glob("*.yaml"))

HAND_WRITTEN = """\
# Coins, counted by hand-tuned threshold.
thyra: 1
name: "coins"   # quoted on purpose

nodes:
  load:  # the sample image
    type: io.load_image
    params: {path: 'samples/coins.png'}

  # smoothing before the threshold
  blur:
    type: image.gaussian_blur
    inputs: {image: load.image}
    params:
      sigma: 2.0     # px
      mode: reflect
ui:
  positions:
    load: [0, 0]
    blur: [220, 0]
"""


@pytest.mark.parametrize("path", GRAPHS, ids=[p.name for p in GRAPHS])
def test_an_unedited_file_is_written_back_byte_for_byte(path):
    text = path.read_text(encoding="utf-8")
    data, doc = document(text)

    assert doc.dumps() == text
    doc.update(data)
    assert doc.dumps() == text


def test_an_unedited_hand_written_file_keeps_every_comment_quote_and_blank_line():
    data, doc = document(HAND_WRITTEN)

    doc.update(data)
    assert doc.dumps() == HAND_WRITTEN


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def edited(change) -> str:
    data, doc = document(HAND_WRITTEN)
    change(data)
    doc.update(data)
    text = doc.dumps()
    assert same(parse_yaml(text).data, data)  # the file holds exactly the edited data
    return text


def test_changing_one_value_changes_one_line_and_keeps_its_comment():
    text = edited(lambda data: data["nodes"]["blur"]["params"].update(sigma=3.5))

    assert changed_lines(HAND_WRITTEN, text) == ["-      sigma: 2.0     # px", "+      sigma: 3.5     # px"]


def test_changing_a_value_in_a_flow_mapping_keeps_the_mapping_on_its_line_and_its_quotes():
    text = edited(lambda data: data["nodes"]["load"]["params"].update(path="other.png"))

    assert changed_lines(HAND_WRITTEN, text) == [
        "-    params: {path: 'samples/coins.png'}", "+    params: {path: 'other.png'}",
    ]


def test_changing_a_hand_aligned_line_keeps_the_alignment_of_the_other_lines():
    text = "nodes:\n  a:    {type: x, params: {n: 1}}\n  bb:   {type: y}\n"
    data, doc = document(text)
    data["nodes"]["a"]["params"]["n"] = 2
    doc.update(data)

    assert changed_lines(text, doc.dumps()) == [
        "-  a:    {type: x, params: {n: 1}}", "+  a: {type: x, params: {n: 2}}",
    ]


def test_a_number_written_as_an_int_is_not_rewritten_when_it_reads_back_as_the_same_float():
    data, doc = document("params: {sigma: 2}\n")
    data["params"]["sigma"] = 2.0

    doc.update(data)
    assert doc.dumps() == "params: {sigma: 2}\n"


def test_a_new_key_is_added_after_its_predecessor_in_the_standard_layout():
    def add(data):
        data["nodes"]["count"] = {"type": "count.objects", "inputs": {"mask": "blur.image"}, "params": {"min_area": 5}}
        data["ui"]["positions"]["count"] = [440, 0]

    text = edited(add)

    assert changed_lines(HAND_WRITTEN, text) == [
        "+  count:", "+    type: count.objects", "+    inputs: {mask: blur.image}", "+    params: {min_area: 5}",
        "+    count: [440, 0]",
    ]


def test_removing_a_key_removes_its_lines_only():
    def remove(data):
        del data["nodes"]["blur"]["params"]["mode"]
        del data["ui"]["positions"]["blur"]

    assert changed_lines(HAND_WRITTEN, edited(remove)) == ["-      mode: reflect", "-    blur: [220, 0]"]


def test_a_renamed_key_keeps_its_body_and_place():
    def rename(data):
        data["nodes"] = {("smooth" if k == "blur" else k): v for k, v in data["nodes"].items()}
        data["ui"]["positions"] = {("smooth" if k == "blur" else k): v for k, v in data["ui"]["positions"].items()}

    assert changed_lines(HAND_WRITTEN, edited(rename)) == [
        "-  blur:", "+  smooth:", "-    blur: [220, 0]", "+    smooth: [220, 0]",
    ]


def test_editing_a_value_reached_through_an_alias_leaves_the_other_uses_alone():
    text = "defaults: &d {sigma: 2}\na: {params: *d}\nb: {params: *d}\n"
    data, doc = document(text)
    data["b"]["params"]["sigma"] = 5

    doc.update(data)
    saved = parse_yaml(doc.dumps()).data

    assert saved == {"defaults": {"sigma": 2}, "a": {"params": {"sigma": 2}}, "b": {"params": {"sigma": 5}}}
