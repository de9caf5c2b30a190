"""The port type registry (thyra_graph.types): names, the shared contract, connection rules."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

import thyra_graph.types as types
from thyra_graph.types import ALL_TYPES, Any, Files, Image, Number, Path, is_compatible, type_by_name, type_names

STORABLE = [t for t in ALL_TYPES if t is not Any]
NAMES = [t.type_name for t in STORABLE]


def test_every_type_is_found_by_its_unique_name():
    assert len({t.type_name for t in ALL_TYPES}) == len(ALL_TYPES)
    for port_type in ALL_TYPES:
        assert type_by_name(port_type.type_name) is port_type
    assert type_names() == sorted(t.type_name for t in ALL_TYPES)


def test_every_registered_type_is_exported_by_name():
    for port_type in ALL_TYPES:
        assert port_type.type_name in types.__all__
        assert getattr(types, port_type.type_name) is port_type


def test_the_design_types_are_all_registered():
    assert set(type_names()) >= {
        "Any", "Image", "Mask", "Instances", "Points", "Boxes", "DensityMap", "Video", "FrameSeries",
        "PointCloud", "Mesh", "Cameras", "Field", "Table", "Text", "Number", "Path",
    }


def test_an_unknown_type_name_is_refused_with_the_known_names():
    with pytest.raises(KeyError, match="unknown port type 'Imgae'.*Image"):
        type_by_name("Imgae")


def test_every_type_documents_itself_for_the_editor():
    for port_type in ALL_TYPES:
        assert port_type.doc, f"{port_type.type_name} has no doc line"
        assert len(port_type.color) == 3 and all(0 <= c <= 255 for c in port_type.color)


def test_the_samples_cover_every_storable_type(samples):
    assert set(samples) == set(STORABLE)


@pytest.mark.parametrize("name", NAMES)
def test_every_type_survives_a_pickle_free_json_safe_record(name, samples, roundtrip, same):
    value = samples[type_by_name(name)]
    value.validate()
    same(roundtrip(value), value)


@pytest.mark.parametrize("name", NAMES)
def test_every_type_is_storable_and_summarised_as_json(name, samples):
    value = samples[type_by_name(name)]
    assert type(value).storable()
    json.dumps(value.summary())
    assert value.nbytes() > 0


def test_any_has_no_record_of_its_own():
    assert not Any.storable()


@pytest.mark.parametrize("name", [t.type_name for t in ALL_TYPES])
def test_a_type_connects_to_itself(name):
    port_type = type_by_name(name)
    assert is_compatible(port_type, port_type)


@pytest.mark.parametrize("name", [t.type_name for t in ALL_TYPES])
def test_an_any_input_accepts_every_type(name):
    assert is_compatible(type_by_name(name), Any)


def test_different_types_are_refused():
    # One subtype relation is declared among the built-in types (Files is a Path, what a
    # multi-file sink wrote); every other pair fails.
    for output, input in itertools.permutations(ALL_TYPES, 2):
        if input is Any or (output, input) == (Files, Path):
            continue
        assert not is_compatible(output, input), f"{output.type_name} -> {input.type_name}"


def test_an_any_output_does_not_feed_a_typed_input():
    assert not is_compatible(Any, Image)


def test_a_declared_subtype_connects_to_its_parent_but_not_back():
    class Count(Number):
        type_name = "Count"

    assert is_compatible(Count, Number)
    assert not is_compatible(Number, Count)


def test_importing_the_types_loads_no_heavy_library():
    code = ("import sys, thyra_graph.types; "
            "print(sorted(m for m in ('cv2', 'skimage', 'scipy', 'torch', 'PySide6') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
