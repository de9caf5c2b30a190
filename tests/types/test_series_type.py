"""FrameSeries (thyra_graph.types.series): per-frame results of a video."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thyra_graph.types import (
    Boxes, DensityMap, FrameSeries, Image, Instances, Mask, Number, Points, Table, Text, Video,
)


def _masks(n: int = 4) -> FrameSeries:
    rng = np.random.default_rng(0)
    return FrameSeries.from_items((i * 5, i * 5 / 25.0, Mask(rng.random((6, 7)) > 0.5)) for i in range(n))


ITEMS = {
    "Number": [Number(1), Number(2.5), Number(0)],
    "Mask": [Mask(np.eye(4, dtype=bool)), Mask(np.zeros((4, 4), bool)), Mask(np.ones((4, 4), bool))],
    "Points": [Points([[1, 2]]), Points(np.zeros((0, 2))), Points([[3, 4], [5, 6]], labels=[1, 0])],
    "Instances": [Instances(np.ones((2, 3, 3), bool), [1, 2], labels=["a", "b"], extra=[{"k": 1}, {}]),
                  Instances.empty(3, 3), Instances(np.zeros((1, 3, 3), bool), classes={4: "bird"})],
    "Boxes": [Boxes([[0, 0, 1, 1]], [0.5], [1], ["x"]), Boxes(np.zeros((0, 4))), Boxes([[1, 1, 2, 2]])],
    "DensityMap": [DensityMap(np.full((3, 3), 0.1, np.float32), {"f": i}) for i in range(3)],
    "Text": [Text("a"), Text(""), Text("ü")],
    "Table": [Table({"n": np.arange(i)}) for i in range(3)],
}


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_a_series_of_any_item_type_survives_a_record(name, roundtrip, same):
    series = FrameSeries([0, 2, 4], [0.0, 0.08, 0.16], ITEMS[name])
    back = roundtrip(series)
    same(back, series)
    assert back.item_type.type_name == name


def test_a_series_of_series_nests_its_records(roundtrip, same):
    inner = [FrameSeries([0, 1], [0.0, 0.5], [Mask(np.eye(2, dtype=bool)), Mask(np.ones((2, 2), bool))]),
             FrameSeries([3], [1.5], [Mask(np.zeros((2, 2), bool))])]
    outer = FrameSeries([10, 20], [1.0, 2.0], inner)
    same(roundtrip(outer), outer)


def test_item_arrays_are_prefixed_per_frame_and_the_meta_names_the_item_type():
    meta, arrays = _masks(3).to_record()
    assert meta["item_type"] == "Mask"
    assert len(meta["items"]) == 3 and all("shape" in item for item in meta["items"])
    assert sorted(arrays) == ["frames", "items.0.bits", "items.1.bits", "items.2.bits", "times"]
    assert arrays["frames"].dtype == np.int64 and arrays["times"].dtype == np.float64


def test_an_empty_series_round_trips(roundtrip, same):
    empty = FrameSeries([], [], [])
    back = roundtrip(empty)
    same(back, empty)
    assert len(back) == 0


def test_an_empty_series_keeps_its_declared_item_type(roundtrip):
    assert roundtrip(FrameSeries([], [], [], Mask)).item_type is Mask


def test_iteration_yields_frame_time_and_item_in_order():
    series = _masks(3)
    triples = list(series)
    assert [(frame, time) for frame, time, _ in triples] == [(0, 0.0), (5, 0.2), (10, 0.4)]
    assert all(isinstance(frame, int) and isinstance(time, float) for frame, time, _ in triples)
    assert triples[1][2] is series.items[1]
    assert len(series) == 3 and series.item_type is Mask


def test_at_looks_up_a_frame_and_names_the_range_when_missing():
    series = _masks(3)
    assert series.at(5) is series.items[1]
    with pytest.raises(KeyError, match="frame 7 is not in this series .*frames 0–10"):
        series.at(7)


def test_coerce_builds_a_series_from_triples():
    series = FrameSeries.coerce([(0, 0.0, Number(3)), (1, 0.04, Number(4))])
    series.validate()
    assert series.item_type is Number and series.frames.tolist() == [0, 1]
    with pytest.raises(TypeError, match="list of .frame, time, value. triples"):
        FrameSeries.coerce([1, 2, 3])


@pytest.mark.parametrize("series, error, message", [
    (FrameSeries([0, 1], [0.0], [Number(1), Number(2)]), ValueError, "2 frame indices, 1 times and 2 items"),
    (FrameSeries([0, 1], [0.0, 0.1], [Number(1)]), ValueError, "2 frame indices, 2 times and 1 items"),
    (FrameSeries([0.0, 1.5], [0.0, 0.1], [Number(1), Number(2)]), ValueError, "frames must be an integer array, got float64"),
    (FrameSeries([[0, 1]], [0.0, 0.1], [Number(1), Number(2)]), ValueError, r"frames must have shape N \(1-D\)"),
    (FrameSeries([3, 1], [0.0, 0.1], [Number(1), Number(2)]), ValueError, "strictly increasing"),
    (FrameSeries([1, 1], [0.0, 0.1], [Number(1), Number(2)]), ValueError, "strictly increasing"),
    (FrameSeries([0, 1], [0.0, np.nan], [Number(1), Number(2)]), ValueError, "times must be finite"),
    (FrameSeries([0, 1], [0.0, 0.1], [Number(1), Text("x")]), TypeError, "FrameSeries of Number holds a Text at frame 1"),
    (FrameSeries([0, 1], [0.0, 0.1], [Mask(np.zeros((2, 2), bool)), Mask(np.zeros((2, 2), np.uint8))]),
     ValueError, "FrameSeries item at frame 1: Mask must be bool"),
])
def test_validate_names_what_is_malformed(series, error, message):
    with pytest.raises(error, match=message):
        series.validate()


def test_a_series_of_video_handles_round_trips(roundtrip, same):
    series = FrameSeries([0, 1], [0.0, 10.0], [Video("a.mp4", 25.0, 250, 4, 4, stop=250), Video("b.mp4", 30.0, 90, 8, 6)])
    same(roundtrip(series), series)


def test_a_series_of_unstorable_items_says_so():
    class Handle(Number):
        type_name = "Handle"

        def to_record(self):
            raise NotImplementedError("Handle values cannot be stored")

    with pytest.raises(NotImplementedError, match="Handle values cannot be stored"):
        FrameSeries([0], [0.0], [Handle(1)]).to_record()


def test_nbytes_grows_with_frames_and_items():
    assert _masks(10).nbytes() > _masks(2).nbytes()
    big = FrameSeries([0], [0.0], [Image(np.zeros((100, 100, 3), np.uint8))])
    assert big.nbytes() > 30_000


def test_summary_shows_length_item_type_and_span():
    summary = json.loads(json.dumps(_masks(3).summary()))
    assert summary == {"frames": 3, "item_type": "Mask", "range": [0, 10], "seconds": [0.0, 0.4]}
    assert json.loads(json.dumps(FrameSeries([], [], []).summary()))["range"] is None
