"""Table (thyra_graph.types.table): named columns of equal length."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from thyra_graph.types import Table


def _objects() -> Table:
    return Table({
        "label": ["bird", "cat", "Vogel, groß"],
        "area": np.array([120, 48, 7], np.int64),
        "score": np.array([0.5, 0.25, 1.0], np.float32),
        "kept": np.array([True, False, True]),
    })


def test_table_round_trips_text_and_numeric_columns_in_order(roundtrip, same):
    table = _objects()
    back = roundtrip(table)
    same(back, table)
    assert back.names == ["label", "area", "score", "kept"]


def test_column_names_may_hold_any_character(roundtrip, same):
    table = Table({"area (px²)": np.array([1.0]), "a/b.c": ["x"], "col0": np.array([2])})
    back = roundtrip(table)
    same(back, table)
    assert back.names == ["area (px²)", "a/b.c", "col0"]


def test_an_empty_table_round_trips(roundtrip, same):
    for table in (Table({}), Table({"n": np.zeros(0, np.int32), "s": np.zeros(0, np.float64)})):
        same(roundtrip(table), table)
        assert len(table) == 0


def test_plain_lists_become_one_canonical_form():
    table = Table({"n": [1, 2, 3], "s": ("a", "b", "c"), "u": np.array(["x", "y", "z"])})
    assert isinstance(table["n"], np.ndarray) and table["n"].dtype.kind == "i"
    assert table["s"] == ["a", "b", "c"] and table["u"] == ["x", "y", "z"]
    table.validate()


def test_rows_yield_plain_python_values():
    rows = list(_objects().rows())
    assert rows[0] == {"label": "bird", "area": 120, "score": 0.5, "kept": True}
    assert type(rows[0]["area"]) is int and type(rows[0]["score"]) is float
    assert len(rows) == 3


def test_to_csv_writes_a_header_and_one_line_per_row(tmp_path):
    path = _objects().to_csv(tmp_path / "sub" / "objects.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["label", "area", "score", "kept"]
    assert lines[3] == ["Vogel, groß", "7", "1.0", "True"]
    assert len(lines) == 4


def test_coerce_takes_a_dict_of_columns_or_a_list_of_rows():
    assert Table.coerce({"a": [1, 2]}).names == ["a"]
    table = Table.coerce([{"frame": 0, "count": 3.5}, {"frame": 1, "count": 4.0}])
    table.validate()
    assert list(table.rows()) == [{"frame": 0, "count": 3.5}, {"frame": 1, "count": 4.0}]
    with pytest.raises(TypeError, match="a dict of columns or a list of row dicts"):
        Table.coerce(np.zeros(3))


def test_rows_with_different_columns_are_refused_by_name():
    with pytest.raises(ValueError, match="row 0 has no value for column.*'note'"):
        Table.from_rows([{"frame": 0}, {"frame": 1, "note": "x"}])


def test_a_missing_column_names_the_columns_there_are():
    with pytest.raises(KeyError, match="no column 'size'; its columns are label, area, score, kept"):
        _objects()["size"]


@pytest.mark.parametrize("columns, error, message", [
    ({"a": np.zeros(3), "b": np.zeros(2)}, ValueError, "column 'b' has 2 rows but column 'a' has 3"),
    ({"a": ["x", "y"], "b": np.zeros(3)}, ValueError, "column 'b' has 3 rows but column 'a' has 2"),
    ({"a": np.zeros((3, 2))}, ValueError, r"column 'a' must be 1-D, got shape \(3, 2\)"),
    ({"a": np.array([1 + 2j])}, ValueError, "column 'a' has dtype complex128"),
    ({"a": np.array([{}, {}], dtype=object)}, ValueError, "column 'a' has dtype object"),
    ({"a": ["x", 3]}, ValueError, "column 'a' mixes text with int values"),
    ({"a": 5}, TypeError, "column 'a' must be a numpy array or a list of str, got int"),
    ({"": np.zeros(1)}, ValueError, "column names must be non-empty strings"),
])
def test_validate_names_what_is_malformed(columns, error, message):
    with pytest.raises(error, match=message):
        Table(columns).validate()


def test_nbytes_grows_with_rows_and_text():
    assert Table({"a": np.zeros(1000)}).nbytes() > Table({"a": np.zeros(10)}).nbytes()
    assert Table({"s": ["long text " * 50]}).nbytes() > Table({"s": ["x"]}).nbytes()


def test_summary_shows_column_names_and_row_count():
    assert json.loads(json.dumps(_objects().summary())) == {"columns": ["label", "area", "score", "kept"], "rows": 3}
