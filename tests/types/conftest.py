"""Shared checks for port types: the disk cache's record path, and value equality."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any, Callable

import numpy as np
import pytest

from thyra_graph.types import (
    Boxes, Cameras, DensityMap, DensityModel, Field, FieldSequence, Files, FrameSeries, Image, Instances, Mask, Mesh, Number, Path,
    PointCloud, Points, PortType, Table, Text, Video, type_by_name,
)


def record_roundtrip(value: PortType) -> PortType:
    """Store ``value`` the way the disk cache does and read it back.

    Arrays go through ``np.savez`` and ``np.load(allow_pickle=False)`` (so an object array
    would fail), metadata through ``json.dumps``/``json.loads`` (so a numpy scalar, a tuple
    or a non-string key would fail or change). The decoded value must validate.
    """
    meta, arrays = value.to_record()
    assert isinstance(meta, dict)
    assert all(isinstance(name, str) for name in arrays)
    assert all(isinstance(array, np.ndarray) for array in arrays.values())
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as npz:
        loaded = {name: npz[name] for name in npz.files}
    meta = json.loads(json.dumps(meta))
    decoded = type_by_name(value.type_name).from_record(meta, loaded)
    decoded.validate()
    return decoded


def assert_same(a: Any, b: Any, where: str = "value") -> None:
    """Deep equality for port values: same types, same array dtypes, shapes and contents."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{where}: shape {a.shape} != {b.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{where}: contents differ"
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture
def roundtrip() -> Callable[[PortType], PortType]:
    return record_roundtrip


@pytest.fixture
def same() -> Callable[[Any, Any], None]:
    return assert_same


@pytest.fixture
def samples() -> dict[type[PortType], PortType]:
    """One realistic, fully populated value of every storable registered type."""
    rng = np.random.default_rng(7)
    masks = rng.random((3, 5, 7)) > 0.5
    return {
        Number: Number(2.5, unit="m"),
        Text: Text("zwei Vögel 🐦"),
        Path: Path("out/heat.png"),
        Files: Files("out/masks", ["out/masks/a_001_car.png", "out/masks/index.json"]),
        Image: Image(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), {"source": "birds.jpg", "frame": 3}),
        Mask: Mask(rng.random((5, 9)) > 0.5),
        Points: Points(np.array([[1.0, 2.0], [3.5, 4.5]]), np.array([1, 0]), np.array([2.0, np.nan])),
        Boxes: Boxes(np.array([[0, 0, 4, 5], [1, 1, 2, 2]]), [0.9, 0.4], [1, 2], ["bird", "cat"]),
        Instances: Instances(masks, [1, 2, 1], [0.9, 0.8, 0.7], ["a", "b", "c"], ["x", "y", "z"],
                             {1: "bird", 2: "cat"}, [{"point": [1, 2]}, {}, {"order": 3}]),
        DensityMap: DensityMap(rng.random((6, 4)).astype(np.float32) / 10, {"model": "csrnet"}),
        DensityModel: DensityModel.from_trees(
            [{"children_left": np.array([1, -1, -1]), "children_right": np.array([2, -1, -1]),
              "feature": np.array([1, -2, -2]), "threshold": np.array([0.25, -2.0, -2.0]),
              "value": np.array([0.1, 0.0, 0.3])},
             {"children_left": np.array([-1]), "children_right": np.array([-1]), "feature": np.array([-2]),
              "threshold": np.array([-2.0]), "value": np.array([0.05])}],
            {"features": ["gaussian@1", "laplacian@1"], "sigmas": [1.0]}, {"dots": 2}),
        Video: Video("clips/birds.mp4", 29.97, 300, 640, 360, start=10, stop=200, stride=3),
        FrameSeries: FrameSeries([0, 3, 6], [0.0, 0.1, 0.2], [Points([[1, 2]]), Points([[3, 4], [5, 6]]), Points([])]),
        PointCloud: PointCloud(rng.random((10, 3)), rng.integers(0, 256, (10, 3), dtype=np.uint8),
                               rng.random((10, 3)), rng.random(10)),
        Mesh: Mesh(rng.random((4, 3)), np.array([[0, 1, 2], [0, 2, 3]]), np.full((4, 3), 200, np.uint8)),
        Cameras: Cameras(np.repeat(np.eye(3)[None], 2, axis=0), np.repeat(np.eye(4)[None, :3], 2, axis=0),
                         (640, 480), ["frame_0", "frame_1"]),
        Field: Field({"height": rng.random((4, 5)), "velocity": rng.random((4, 5))}, dx=0.01, dy=0.02, t=1.5,
                     meta={"solver": "taichi"}),
        FieldSequence: FieldSequence("cache/fields", [{"digest": "ab12" * 10, "frames": 3}],
                                     ["height"], (4, 5), [0.0, 0.04, 0.08], [0, 7, 14], dx=0.5, dy=0.5,
                                     static={"obstacle": np.zeros((4, 5), np.float32)}, meta={"fps": 25.0}),
        Table: Table({"label": ["bird", "cat"], "area": np.array([120, 48]), "score": np.array([0.5, 0.25])}),
    }
