"""count.save_points: points out as CSV or JSON."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.nodes.count.export import save_points
from thyra_graph.types import Path, Points

POINTS = Points(np.array([[1.23456, 2.0], [30.5, 40.25]]), scales=np.array([2.5, np.nan]))


def test_csv_has_a_header_and_one_row_per_point(tmp_path):
    written = save_points(POINTS, path=str(tmp_path / "out" / "points.csv"))
    assert isinstance(written, Path)
    with open(written.path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [{"x": "1.235", "y": "2.0", "radius": "2.5", "label": "1"},
                    {"x": "30.5", "y": "40.25", "radius": "", "label": "1"}]


def test_json_has_the_count_and_the_points(tmp_path):
    written = save_points(POINTS, path=str(tmp_path / "points.json"))
    data = json.loads(open(written.path, encoding="utf-8").read())
    assert data["count"] == 2
    assert data["points"][1] == {"x": 30.5, "y": 40.25, "radius": None, "label": 1}


def test_no_points_write_an_empty_table(tmp_path):
    written = save_points(Points(np.zeros((0, 2))), path=str(tmp_path / "none.csv"))
    assert open(written.path, encoding="utf-8").read().strip() == "x,y,radius,label"


def test_an_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(NodeError, match=r"end the path with \.csv or \.json"):
        save_points(POINTS, path=str(tmp_path / "points.txt"))
