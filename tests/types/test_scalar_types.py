"""Small values (thyra_graph.types.scalar): Number, Text, Path, Any."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from thyra_graph.types import Any, Files, Image, Number, Path, Text, is_compatible


# -- Number ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [0, -3, 2.5, float("inf"), float("nan")])
def test_number_round_trips_ints_and_floats_keeping_the_kind(value, roundtrip):
    back = roundtrip(Number(value, unit="px"))
    assert type(back.value) is type(value)
    assert back.unit == "px"
    assert back.value == value or (value != value and back.value != back.value)


@pytest.mark.parametrize("plain, expected", [(3, 3), (2.5, 2.5), (np.int64(7), 7), (np.float32(0.5), 0.5), (True, 1)])
def test_number_coerces_python_and_numpy_scalars(plain, expected):
    number = Number.coerce(plain)
    assert number.value == expected
    assert type(number.value) in (int, float)
    number.validate()


def test_a_number_made_from_a_numpy_scalar_keeps_a_json_safe_record(roundtrip):
    number = Number(np.float64(1.25))
    json.dumps(number.to_record()[0])
    assert roundtrip(number) == number


def test_number_coerce_refuses_text():
    with pytest.raises(TypeError, match="expected a Number .*got str"):
        Number.coerce("3")


@pytest.mark.parametrize("bad", ["3", True, None, [1]])
def test_number_validate_refuses_non_numbers(bad):
    with pytest.raises(TypeError, match="Number.value must be int or float"):
        Number(bad).validate()


def test_number_summary_is_the_plain_value():
    assert json.dumps(Number(4).summary()) == "4"
    assert int(Number(4.0)) == 4 and float(Number(4)) == 4.0


# -- Text --------------------------------------------------------------------------------------
def test_text_round_trips_unicode(roundtrip):
    text = Text("Zwei Vögel — 鳥 🐦\nzweite Zeile")
    assert roundtrip(text) == text


def test_text_coerces_a_str_and_refuses_bytes():
    assert Text.coerce("hi") == Text("hi")
    with pytest.raises(TypeError, match="expected Text"):
        Text.coerce(b"hi")


def test_text_validate_refuses_a_non_string():
    with pytest.raises(TypeError, match="Text.text must be a str"):
        Text(3).validate()


def test_text_nbytes_counts_encoded_bytes_and_grows():
    assert Text("a" * 1000).nbytes() > Text("a").nbytes()
    assert Text("é").nbytes() == Text("ab").nbytes()  # two UTF-8 bytes each


def test_text_summary_is_shortened_for_logs():
    summary = Text("x" * 1000).summary()
    assert len(summary) == 200 and summary.endswith("...")
    json.dumps(summary)


# -- Path --------------------------------------------------------------------------------------
def test_path_round_trips_and_stands_for_its_file(roundtrip):
    path = Path("out/heat map.png")
    assert roundtrip(path) == path
    assert path.files() == ["out/heat map.png"]
    assert path.as_path() == pathlib.Path("out/heat map.png")


def test_path_coerces_str_and_pathlib():
    assert Path.coerce(pathlib.Path("a") / "b.png") == Path(str(pathlib.Path("a") / "b.png"))
    assert Path.coerce("c.png").path == "c.png"
    with pytest.raises(TypeError, match="expected a Path"):
        Path.coerce(3)


def test_path_validate_refuses_an_empty_path():
    with pytest.raises(ValueError, match="Path.path must be a non-empty string"):
        Path("").validate()


def test_path_summary_is_json():
    assert json.loads(json.dumps(Path("a.png").summary())) == {"path": "a.png"}


# -- Files -------------------------------------------------------------------------------------
def test_files_round_trip_and_stand_for_every_written_file_but_not_the_folder(roundtrip):
    files = Files("out/masks ü", ["out/masks ü/a_001_car.png", "out/masks ü/index.json"])
    back = roundtrip(files)
    assert back == files and type(back) is Files
    assert back.files() == ["out/masks ü/a_001_car.png", "out/masks ü/index.json"]
    assert json.loads(json.dumps(back.summary())) == {"path": "out/masks ü", "files": 2}


def test_files_is_a_path_so_it_feeds_path_inputs():
    assert is_compatible(Files, Path) and not is_compatible(Path, Files)
    assert Files("out", []).as_path() == pathlib.Path("out")
    assert Files("out", []) != Path("out")


def test_files_coerce_refuses_a_bare_path_and_validate_refuses_empty_entries():
    with pytest.raises(TypeError, match="expected Files"):
        Files.coerce(Path("out"))
    with pytest.raises(ValueError, match="Files.written must be a list of non-empty path strings"):
        Files("out", [""]).validate()


# -- Any ---------------------------------------------------------------------------------------
def test_any_passes_port_values_through_and_refuses_plain_ones():
    image = Image(np.zeros((2, 2), np.uint8))
    assert Any.coerce(image) is image
    with pytest.raises(TypeError, match="must be a Thyra port value, got ndarray"):
        Any.coerce(np.zeros(2))
