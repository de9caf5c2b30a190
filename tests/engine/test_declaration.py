"""Node declarations: a plugin author's mistake is refused with a message naming it."""

from __future__ import annotations

import math

import pytest

from thyra_graph.engine.declaration import DeclarationError, Input, Output, Param, ParamError, node
from thyra_graph.types import Image, Number

NUMBER_OUT = [Output("out", Number)]


def declare(func, id="test.node", **kwargs):
    kwargs.setdefault("outputs", NUMBER_OUT)
    return node(id, **kwargs)(func)


# -- a good declaration ----------------------------------------------------------------------
def test_a_declaration_derives_category_title_and_summary():
    def blur_more(image, *, sigma):
        """Blur an image more than usual.

        Longer explanation.
        """

    spec = declare(blur_more, "image.blur_more", inputs=[Input("image", Image)], params=[Param("sigma", 2.0, min=0)])
    assert (spec.category, spec.title, spec.summary) == ("image", "Blur more", "Blur an image more than usual.")
    assert spec.param("sigma").kind == "float" and spec.input("image").type is Image
    assert spec.to_json()["params"] == [{"name": "sigma", "kind": "float", "default": 2.0, "help": "", "min": 0}]


def test_port_types_may_be_given_by_name():
    assert Input("image", "Image").type is Image


def test_a_node_can_be_called_directly_with_defaults_filled_in():
    spec = declare(lambda x, *, inc: x + inc, inputs=[Input("x", Number)], params=[Param("inc", 2)])
    assert spec(1) == 3
    assert spec(1, inc=10) == 11


# -- malformed declarations ------------------------------------------------------------------
@pytest.mark.parametrize("bad_id", ["nodot", "Image.blur", "image.Blur", "image..blur", "1mage.blur", "image.blur-more"])
def test_a_bad_id_is_refused(bad_id):
    with pytest.raises(DeclarationError, match=f"id '{bad_id}' must be dotted lowercase"):
        declare(lambda: 1, bad_id)


def test_a_function_lacking_arguments_for_declared_params_is_refused():
    def f(x):
        pass

    with pytest.raises(DeclarationError, match=r"f\(\) lacks arguments for k"):
        declare(f, inputs=[Input("x", Number)], params=[Param("k", 1)])


def test_a_function_with_undeclared_arguments_is_refused():
    def f(y):
        pass

    with pytest.raises(DeclarationError, match=r"f\(\) has arguments y that are not declared"):
        declare(f)


def test_a_param_named_like_an_input_is_refused():
    with pytest.raises(DeclarationError, match="param 'x' clashes with the input of the same name"):
        declare(lambda x: 1, inputs=[Input("x", Number)], params=[Param("x", 1)])


def test_two_params_with_one_name_are_refused():
    with pytest.raises(DeclarationError, match="param 'a' clashes with the param of the same name"):
        declare(lambda *, a: 1, params=[Param("a", 1), Param("a", 2)])


def test_two_outputs_with_one_name_are_refused():
    with pytest.raises(DeclarationError, match="output names must be unique"):
        declare(lambda: 1, outputs=[Output("o", Number), Output("o", Number)])


def test_a_node_without_outputs_is_refused():
    with pytest.raises(DeclarationError, match="at least one output"):
        declare(lambda: 1, outputs=[])


@pytest.mark.parametrize("name", ["Bad", "has space", "ctx", "9lives"])
def test_a_badly_named_param_is_refused(name):
    with pytest.raises(DeclarationError, match=f"param name '{name}'"):
        declare(lambda **kw: 1, params=[Param(name, 1)])


def test_every_mistake_in_a_declaration_is_named_at_once():
    with pytest.raises(DeclarationError) as info:
        declare(lambda: 1, version=0, cache="sometimes", device="tpu")
    message = str(info.value)
    assert "version must be an int >= 1, got 0" in message
    assert "cache must be one of" in message and "'sometimes'" in message
    assert "device must be one of" in message and "'tpu'" in message


def test_an_unknown_port_type_name_is_refused_with_the_known_ones():
    with pytest.raises(DeclarationError, match="unknown port type 'Picture'; known: .*Image"):
        Input("image", "Picture")


def test_a_port_type_that_is_not_a_port_type_is_refused():
    with pytest.raises(DeclarationError, match="PortType"):
        Output("out", int)


def test_migrations_must_come_from_older_versions():
    with pytest.raises(DeclarationError, match="migrations"):
        declare(lambda: 1, version=2, migrations={2: lambda params: params})


def test_a_single_required_module_may_be_given_as_a_string():
    spec = declare(lambda: 1, requires="thyra_no_such_module")
    assert spec.requires == ("thyra_no_such_module",)
    assert spec.missing_requirements() == ["thyra_no_such_module"]


# -- malformed params ------------------------------------------------------------------------
def test_an_unknown_param_kind_is_refused():
    with pytest.raises(DeclarationError, match="param 'x': kind must be one of .*got 'vector'"):
        Param("x", 1, kind="vector")


def test_a_default_outside_the_range_is_refused_naming_the_range():
    with pytest.raises(DeclarationError, match="param 'x': default does not fit: 300 is out of range: expected int from 0 to 255"):
        Param("x", 300, min=0, max=255)


def test_a_default_outside_the_choices_is_refused():
    with pytest.raises(DeclarationError, match="'d' is not allowed: expected one of 'a', 'b'"):
        Param("x", "d", choices=["a", "b"])


def test_a_default_whose_kind_cannot_be_told_asks_for_kind():
    with pytest.raises(DeclarationError, match="pass kind="):
        Param("x", [1, 2])


def test_a_range_with_min_above_max_is_refused():
    with pytest.raises(DeclarationError, match="param 'x': min 10 is above max 1"):
        Param("x", None, kind="int", min=10, max=1)


def test_a_step_must_be_positive():
    with pytest.raises(DeclarationError, match="param 'x': step must be positive"):
        Param("x", 1, step=0)


def test_io_is_only_for_path_params():
    with pytest.raises(DeclarationError, match="param 'x': io"):
        Param("x", "a.txt", io="read")
    with pytest.raises(DeclarationError, match="io must be 'read' or 'write'"):
        Param("x", "a.txt", kind="path", io="append")


def test_a_param_with_default_none_is_optional():
    param = Param("limit", None, kind="int", min=1)
    assert param.optional and param.coerce(None) is None


# -- Param.coerce ----------------------------------------------------------------------------
VALUE = Param("value", 128, min=0, max=255)


@pytest.mark.parametrize("bad", [256, -1, "x", True, 1.5, None, math.nan, [1]])
def test_int_param_errors_name_the_range(bad):
    with pytest.raises(ParamError, match="int from 0 to 255"):
        VALUE.coerce(bad)


def test_int_param_accepts_a_whole_float():
    assert VALUE.coerce(12.0) == 12 and type(VALUE.coerce(12.0)) is int


def test_float_param_accepts_an_int_and_names_a_one_sided_range():
    sigma = Param("sigma", 1.0, min=0)
    assert type(sigma.coerce(2)) is float
    with pytest.raises(ParamError, match="float >= 0"):
        sigma.coerce(-0.5)
    with pytest.raises(ParamError, match="finite"):
        sigma.coerce(math.inf)


def test_choice_param_errors_name_the_choices():
    method = Param("method", "otsu", choices=("otsu", "fixed", "adaptive"))
    with pytest.raises(ParamError, match="'mean' is not allowed: expected one of 'otsu', 'fixed', 'adaptive'"):
        method.coerce("mean")


def test_bool_param_refuses_truthy_values():
    with pytest.raises(ParamError, match="true or false"):
        Param("invert", False).coerce(1)


def test_path_param_refuses_an_empty_path():
    with pytest.raises(ParamError, match="empty"):
        Param("path", "a.png", kind="path").coerce("  ")


def test_color_param_reads_hex_and_lists():
    color = Param("color", "#ff0000", kind="color")
    assert color.default == [255, 0, 0]
    assert color.coerce([0, 128, 255]) == [0, 128, 255]
    with pytest.raises(ParamError, match="'#rrggbb'"):
        color.coerce("red")


def test_points_param_normalises_labels_and_refuses_bad_ones():
    points = Param("points", [], kind="points")
    assert points.coerce([[1, 2], [3, 4, 0]]) == [[1.0, 2.0, 1], [3.0, 4.0, 0]]
    with pytest.raises(ParamError, match=r"label 1 \(positive\) or 0 \(negative\)"):
        points.coerce([[1, 2, 5]])


def test_json_param_refuses_values_json_cannot_hold():
    with pytest.raises(ParamError, match="JSON-friendly"):
        Param("extra", {}, kind="json").coerce({"a": {1, 2}})
