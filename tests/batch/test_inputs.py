"""What --over reads: globs, folders, tables of parameter rows; refusals name the fix."""

from __future__ import annotations

import doctest

import pytest

import thyra_graph.batch.inputs as inputs_module
from thyra_graph.batch import BatchError, read_inputs


def test_the_module_example_runs():
    assert doctest.testmod(inputs_module).failed == 0


def test_a_glob_gives_sorted_absolute_files_and_the_folder_relpath_starts_from(tmp_path):
    (tmp_path / "data" / "b").mkdir(parents=True)
    for name in ("data/b/2.png", "data/1.png", "data/.hidden.png"):
        (tmp_path / name).write_text("x")
    found = read_inputs("data/**/*.png", bind="load.path", cwd=str(tmp_path))
    assert [i.values["load.path"] for i in found] == [str(tmp_path / "data" / "1.png"), str(tmp_path / "data" / "b" / "2.png")]
    assert {i.root for i in found} == {str(tmp_path / "data")}


def test_tables_need_no_bind_and_bad_rows_are_named(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"load.path": "a.png"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(BatchError, match="line 2: a row is a JSON object"):
        read_inputs(str(tmp_path / "rows.jsonl"), bind=None)
    (tmp_path / "short.csv").write_text("load.path,blur.sigma\na.png\n", encoding="utf-8")
    with pytest.raises(BatchError, match="line 2"):
        read_inputs(str(tmp_path / "short.csv"), bind=None)
    with pytest.raises(BatchError, match="drop --bind"):
        read_inputs(str(tmp_path / "short.csv"), bind="load.path")
