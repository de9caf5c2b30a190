"""The shared contract helpers (thyra_graph.types.base)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from thyra_graph.types.base import PortType, array_summary, as_array, check_array, check_json


def test_array_summary_shows_shape_and_dtype_never_content():
    assert array_summary(np.zeros((2, 3), np.uint8)) == {"shape": [2, 3], "dtype": "uint8"}


def test_as_array_refuses_a_list_naming_the_field():
    with pytest.raises(TypeError, match="Image data must be a numpy array, got list"):
        as_array([1, 2], name="Image data")


def test_check_array_names_the_expected_pattern_on_a_wrong_shape():
    with pytest.raises(ValueError, match=r"PointCloud.points must have shape N×3, got shape \(4, 2\)"):
        check_array(np.zeros((4, 2)), name="PointCloud.points", shape=("N", 3))


def test_check_array_names_the_dtype_and_the_conversion():
    with pytest.raises(ValueError, match=r"must be float32, got float64 \(convert with .astype\(np.float32\)\)"):
        check_array(np.zeros((2, 2)), name="x", shape=("H", "W"), dtype=np.float32)


def test_check_array_accepts_a_dtype_family():
    check_array(np.zeros(3, np.int16), name="x", shape=("N",), kind="iu")
    with pytest.raises(ValueError, match="x must be an integer array, got float64"):
        check_array(np.zeros(3), name="x", shape=("N",), kind="iu")


def test_check_json_refuses_numpy_scalars_and_paths_with_the_fix():
    check_json({"frame": 3, "tags": ["a"], "score": float("nan")}, name="meta")
    with pytest.raises(ValueError, match=r"meta must hold only JSON-friendly values.*\.item\(\)"):
        check_json({"frame": np.int64(3)}, name="meta")
    with pytest.raises(ValueError, match="str()"):
        check_json({"source": pathlib.Path("a.png")}, name="meta")


def test_the_base_type_coerces_only_its_own_instances():
    class Thing(PortType):
        type_name = "Thing"

    thing = Thing()
    assert Thing.coerce(thing) is thing
    with pytest.raises(TypeError, match="expected Thing, got int"):
        Thing.coerce(3)
    assert not Thing.storable()
    with pytest.raises(NotImplementedError, match="Thing values cannot be stored"):
        thing.to_record()
