"""Field (thyra_graph.types.field): named layers on one grid, with spacing and time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thyra_graph.types import Field


def _wave(h: int = 8, w: int = 12) -> Field:
    y, x = np.mgrid[0:h, 0:w]
    height = np.sin(x / 3.0).astype(np.float32)
    return Field({"height": height, "velocity": np.cos(y / 2.0)}, dx=0.01, dy=0.02, t=2.5,
                 meta={"solver": "wave", "boundary": "reflect", "steps": 250})


def test_field_round_trips_layers_in_order_with_grid_time_and_meta(roundtrip, same):
    field = _wave()
    back = roundtrip(field)
    same(back, field)
    assert back.names == ["height", "velocity"]
    assert back["height"].dtype == np.float32 and back["velocity"].dtype == np.float64


def test_layer_names_may_hold_any_character(roundtrip, same):
    field = Field({"depth (m)": np.zeros((2, 2)), "a/b.c": np.ones((2, 2)), "Höhe": np.ones((2, 2))})
    same(roundtrip(field), field)


def test_grid_spacing_and_time_are_kept_as_floats():
    field = Field({"h": np.zeros((2, 2))}, dx=1, dy=np.float32(0.5), t=np.int64(3))
    assert (field.dx, field.dy, field.t) == (1.0, 0.5, 3.0)
    assert all(type(v) is float for v in (field.dx, field.dy, field.t))
    json.dumps(field.to_record()[0])


def test_coerce_makes_a_one_layer_field_from_an_array_and_a_field_from_a_dict():
    depth = np.ones((3, 4), np.float32)
    single = Field.coerce(depth)
    single.validate()
    assert single.names == ["value"] and single.shape == (3, 4)
    both = Field.coerce({"h": depth, "u": depth * 2})
    assert both.names == ["h", "u"]
    with pytest.raises(TypeError, match="Field data must be a numpy array"):
        Field.coerce([[1.0]])


def test_a_missing_layer_names_the_layers_there_are():
    with pytest.raises(KeyError, match="no layer 'pressure'; its layers are height, velocity"):
        _wave()["pressure"]


@pytest.mark.parametrize("make, message", [
    (lambda: Field({}), "Field has no layers"),
    (lambda: Field({"h": np.zeros((2, 2)), "u": np.zeros((2, 3))}),
     r"layer 'u' has shape \(2, 3\) but layer 'h' has \(2, 2\)"),
    (lambda: Field({"h": np.zeros((2, 2, 1))}), r"Field layer 'h' must have shape H×W"),
    (lambda: Field({"h": np.zeros((2, 2), np.int32)}), "Field layer 'h' must be a float array, got int32"),
    (lambda: Field({"": np.zeros((2, 2))}), "layer names must be non-empty strings"),
    (lambda: Field({"h": np.zeros((2, 2))}, dx=0), "Field.dx must be a positive grid spacing"),
    (lambda: Field({"h": np.zeros((2, 2))}, dy=float("nan")), "Field.dy must be a positive grid spacing"),
    (lambda: Field({"h": np.zeros((2, 2))}, t=float("inf")), "Field.t must be a finite time"),
    (lambda: Field({"h": np.zeros((2, 2))}, dx="1cm"), "Field.dx must be a positive grid spacing"),
    (lambda: Field({"h": np.zeros((2, 2))}, meta={"k": np.zeros(2)}), "Field.meta must hold only JSON-friendly"),
])
def test_validate_names_what_is_malformed(make, message):
    with pytest.raises(ValueError, match=message):
        make().validate()


def test_validate_refuses_a_layer_that_is_not_an_array():
    with pytest.raises(TypeError, match="Field layer 'h' must be a numpy array"):
        Field({"h": [[0.0]]}).validate()


def test_nbytes_grows_with_layers_and_size():
    assert _wave(80, 120).nbytes() > _wave().nbytes()
    assert _wave().nbytes() > Field({"height": np.zeros((8, 12), np.float32)}).nbytes()
    assert Field({"h": np.zeros((8, 12))}).nbytes() >= 8 * 12 * 8


def test_summary_lists_layers_by_shape_with_grid_and_time():
    summary = json.loads(json.dumps(_wave(4, 5).summary()))
    assert summary == {
        "layers": {"height": {"shape": [4, 5], "dtype": "float32"}, "velocity": {"shape": [4, 5], "dtype": "float64"}},
        "dx": 0.01, "dy": 0.02, "t": 2.5,
    }
