"""Param kinds a plugin declares: checked values, readable errors, a widget family, JSON values."""

from __future__ import annotations

import pytest

from thyra_graph.engine.declaration import DeclarationError, Param, ParamError
from thyra_graph.engine.param_kinds import BUILTIN_KIND_NAMES, BUILTIN_PARAM_KINDS, ParamKind, ParamKindError


def parse_size(value):
    """'WxH' → [w, h]."""
    if not isinstance(value, str) or value.count("x") != 1:
        raise ValueError(f"{value!r} is not written WIDTHxHEIGHT")
    width, height = (int(part) for part in value.split("x"))
    return [width, height]


SIZE = ParamKind("lab.size", coerce=parse_size, describe="a size written WIDTHxHEIGHT, e.g. '640x480'", widget="str")


def test_a_param_of_a_plugin_kind_holds_its_name_and_checks_values_with_its_function():
    param = Param("size", "640x480", kind=SIZE, help="output size")

    assert param.kind == "lab.size" and param.plugin_kind is SIZE
    assert param.default == [640, 480]
    assert param.coerce("32x16") == [32, 16]
    assert param.widget == "str"
    assert param.describe_range() == SIZE.describe
    assert param.to_json()["kind"] == "lab.size" and param.to_json()["widget"] == "str"


def test_a_bad_value_is_a_param_error_with_the_kinds_own_words():
    param = Param("size", "640x480", kind=SIZE)

    with pytest.raises(ParamError) as caught:
        param.coerce("huge")
    assert "'huge' is not written WIDTHxHEIGHT" in str(caught.value)
    assert "expected a size written WIDTHxHEIGHT" in str(caught.value)


def test_a_default_that_does_not_fit_the_kind_is_a_declaration_error():
    with pytest.raises(DeclarationError, match="default does not fit"):
        Param("size", "big", kind=SIZE)


def test_a_kind_returning_a_value_json_cannot_hold_is_reported_as_the_plugins_bug():
    odd = ParamKind("lab.odd", coerce=lambda v: {1, 2}, describe="anything", widget="json")

    with pytest.raises(DeclarationError, match="not a JSON value.*bug in the plugin"):
        Param("odd", "x", kind=odd)


def test_a_plugin_kind_takes_no_range_or_choices():
    with pytest.raises(DeclarationError, match="takes no min, max, choices or io"):
        Param("size", "640x480", kind=SIZE, min=1)


@pytest.mark.parametrize("arguments, message", [
    (dict(name="color", coerce=parse_size, describe="x", widget="str"), "is built in"),
    (dict(name="Size", coerce=parse_size, describe="x", widget="str"), "dotted lowercase"),
    (dict(name="lab.size", coerce="parse", describe="x", widget="str"), "coerce must be a function"),
    (dict(name="lab.size", coerce=parse_size, describe="x", widget="slider"), "widget must be one of str, color, points, json"),
    (dict(name="lab.size", coerce=parse_size, describe=" ", widget="str"), "describe must say"),
])
def test_malformed_kind_declarations_say_what_to_change(arguments, message):
    with pytest.raises(ParamKindError, match=message):
        ParamKind(**arguments)


def test_the_builtin_kinds_are_declared_once_each_and_checked_by_param_itself():
    assert [kind.name for kind in BUILTIN_PARAM_KINDS] == list(BUILTIN_KIND_NAMES)
    assert all(kind.coerce is None and kind.widget == kind.name for kind in BUILTIN_PARAM_KINDS)
    color = next(kind for kind in BUILTIN_PARAM_KINDS if kind.name == "color")
    assert Param("tint", "#ff0000", kind=color).default == [255, 0, 0]
