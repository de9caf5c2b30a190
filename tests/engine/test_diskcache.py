"""The disk cache: every storable value round-trips; a damaged entry is never returned."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import numpy as np
import pytest

from thyra_graph.engine import atomic
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.store import MAGIC, default_cache_dir
from thyra_graph.engine.memcache import CacheEntry
from thyra_graph.types import (
    ALL_TYPES, Boxes, Cameras, DensityMap, DensityModel, Field, Files, FrameSeries, Image, Instances, Mask, Mesh, Number, Path,
    FieldSequence, PointCloud, Points, PortType, Table, Text, Video,
)

KEY = "ab" + "0" * 38


def samples() -> dict[str, PortType]:
    """One value of every storable port type."""
    rng = np.random.default_rng(1)
    return {
        "Number": Number(2.5, unit="m"),
        "Text": Text("zwei Vögel 🐦"),
        "Path": Path("out/heat.png"),
        "Files": Files("out/masks", ["out/masks/a_001_car.png", "out/masks/index.json"]),
        "Image": Image(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)),
        "Mask": Mask(rng.random((5, 9)) > 0.5),
        "Points": Points(np.array([[1.0, 2.0], [3.5, 4.5]]), np.array([1, 0])),
        "Boxes": Boxes(np.array([[0, 0, 4, 5], [1, 1, 2, 2]]), [0.9, 0.4], [1, 2], ["bird", "cat"]),
        "Instances": Instances(rng.random((2, 5, 7)) > 0.5, [1, 2], [0.9, 0.8]),
        "DensityMap": DensityMap(rng.random((6, 4)).astype(np.float32)),
        "DensityModel": DensityModel.from_trees(
            [{"children_left": np.array([1, -1, -1]), "children_right": np.array([2, -1, -1]),
              "feature": np.array([0, -2, -2]), "threshold": np.array([0.5, -2.0, -2.0]),
              "value": np.array([0.1, 0.0, 0.2])}], {"features": ["gaussian@1"], "sigmas": [1.0]}),
        "Video": Video("clips/birds.mp4", 29.97, 300, 640, 360, start=10, stop=200, stride=3),
        "FrameSeries": FrameSeries([0, 3], [0.0, 0.1], [Number(1), Number(2)]),
        "PointCloud": PointCloud(rng.random((10, 3))),
        "Mesh": Mesh(rng.random((4, 3)), np.array([[0, 1, 2], [0, 2, 3]])),
        "Cameras": Cameras(np.repeat(np.eye(3)[None], 2, axis=0), np.repeat(np.eye(4)[None, :3], 2, axis=0), (640, 480)),
        "Field": Field({"height": rng.random((4, 5))}, dx=0.01, dy=0.02, t=1.5),
        "Table": Table({"label": ["bird", "cat"], "area": np.array([120, 48])}),
        "FieldSequence": FieldSequence("cache/fields", [{"digest": "ab12" * 10, "frames": 2}],
                                       ["height"], (4, 5), [0.0, 0.04], [0, 7], dx=0.5, dy=0.5),
    }


def same_value(a: PortType, b: PortType) -> bool:
    """Equal as the cache sees them: same type, same metadata, same arrays (dtype included)."""
    meta_a, arrays_a = a.to_record()
    meta_b, arrays_b = b.to_record()
    return (type(a) is type(b) and json.dumps(meta_a, sort_keys=True) == json.dumps(meta_b, sort_keys=True)
            and arrays_a.keys() == arrays_b.keys()
            and all(arrays_a[k].dtype == arrays_b[k].dtype and np.array_equal(arrays_a[k], arrays_b[k]) for k in arrays_a))


@pytest.fixture
def cache(tmp_path) -> DiskCache:
    return DiskCache(tmp_path / "cache")


@pytest.fixture
def stored(cache) -> DiskCache:
    """A cache holding one entry under KEY (an image, so the body is not tiny)."""
    assert cache.put(KEY, CacheEntry({"image": samples()["Image"], "count": Number(3)}, nbytes=200), node_type="test.node")
    return cache


# -- storing and reading ---------------------------------------------------------------------
def test_the_samples_cover_every_storable_type():
    assert set(samples()) == {t.type_name for t in ALL_TYPES if t.storable()}


@pytest.mark.parametrize("type_name", list(samples()))
def test_every_storable_type_round_trips(cache, type_name):
    value = samples()[type_name]
    assert cache.put(KEY, CacheEntry({"out": value}, {"out/a.png": [12, 34]}, nbytes=99))
    entry = cache.get(KEY)
    assert entry is not None
    assert same_value(entry.outputs["out"], value)
    assert entry.files == {"out/a.png": [12, 34]} and entry.nbytes == 99


def test_several_outputs_are_stored_in_one_entry(stored):
    entry = stored.get(KEY)
    assert set(entry.outputs) == {"image", "count"}
    assert entry.outputs["count"] == Number(3)


def test_a_missing_entry_is_none_without_a_warning(cache, caplog):
    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert cache.get(KEY) is None
    assert caplog.records == []


def test_the_header_can_be_read_without_the_body(stored):
    header = stored.read_header(KEY)
    assert header["node_type"] == "test.node" and set(header["ports"]) == {"image", "count"}


def test_an_entry_survives_a_new_cache_object(stored):
    assert same_value(DiskCache(stored.root).get(KEY).outputs["image"], samples()["Image"])


def test_an_entry_survives_a_new_process(stored):
    script = textwrap.dedent(f"""
        from thyra_graph.engine.diskcache import DiskCache
        entry = DiskCache({str(stored.root)!r}).get({KEY!r})
        print(entry.outputs["count"].value, entry.outputs["image"].data.sum())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["3", str(samples()["Image"].data.sum())]


def test_a_value_without_a_safe_record_is_not_stored(cache, caplog):
    @dataclass
    class Handle(PortType):
        type_name = "Any"

    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert cache.put(KEY, CacheEntry({"out": Handle()})) is False
    assert not cache.store.path_for("results", KEY).is_file()
    assert "cannot be stored" in caplog.text


def test_entries_are_content_addressed_files(stored):
    path = stored.store.path_for("results", KEY)
    assert path.is_file() and path.name == f"{KEY}.thyra" and path.parent.name == KEY[:2]
    assert path.read_bytes().startswith(MAGIC)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_the_default_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("THYRA_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    assert DiskCache().root == tmp_path / "here"


# -- damaged entries -------------------------------------------------------------------------
def truncate(data: bytes) -> bytes:
    return data[:-10]


def flip_body_byte(data: bytes) -> bytes:
    i = len(data) - 20
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


def garbage_header(data: bytes) -> bytes:
    length = int.from_bytes(data[len(MAGIC):len(MAGIC) + 8], "big")
    start = len(MAGIC) + 8
    return data[:start] + b"\xff" * length + data[start + length:]


def random_bytes(data: bytes) -> bytes:
    return np.random.default_rng(0).integers(0, 256, len(data), dtype=np.uint8).tobytes()


@pytest.mark.parametrize("damage", [truncate, flip_body_byte, garbage_header, random_bytes])
def test_a_damaged_entry_is_detected_logged_and_removed(stored, caplog, damage):
    path = stored.store.path_for("results", KEY)
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert stored.get(KEY) is None
    assert "corrupt" in caplog.text and str(path) in caplog.text
    assert not path.exists()


def test_a_damaged_header_is_detected_by_read_header_too(stored, caplog):
    path = stored.store.path_for("results", KEY)
    path.write_bytes(garbage_header(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert stored.read_header(KEY) is None
    assert "corrupt" in caplog.text and not path.exists()


class _Payload:
    """Unpickling this would create a folder: proof that pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_an_entry_with_a_pickled_object_array_is_refused_without_unpickling(cache, caplog, tmp_path):
    marker = tmp_path / "unpickled"
    body_buffer = io.BytesIO()
    np.savez(body_buffer, **{"out/values": np.array([_Payload(str(marker))], dtype=object)})
    # A record whose checksums are all right (as a hostile shared cache could hold): the
    # body is still read without pickle.
    header = {"node_type": "test.node", "files": {}, "nbytes": 8,
              "ports": {"out": {"type": "Table", "meta": {"columns": ["values"]}, "arrays": ["values"]}}}
    assert cache.store.put("results", KEY, header, body_buffer.getvalue())
    path = cache.store.path_for("results", KEY)

    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        assert cache.get(KEY) is None
    assert not marker.exists()
    assert "corrupt" in caplog.text and not path.exists()


# -- two processes at once -------------------------------------------------------------------
WORKER = """
import sys
import numpy as np
from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.memcache import CacheEntry
from thyra_graph.types import Image

cache = DiskCache(sys.argv[1])
bad = 0
for round in range(40):  # enough overlap that a non-atomic write is caught
    for i in range(12):
        key = f"{i:02d}" + "c" * 38
        image = Image(np.full((128, 128, 3), i, dtype=np.uint8))
        if (round + i + int(sys.argv[2])) % 2:
            cache.put(key, CacheEntry({"image": image}, nbytes=image.nbytes()))
        else:
            entry = cache.get(key)
            if entry is not None and not (entry.outputs["image"].data == i).all():
                bad += 1
print(bad)
"""


def test_two_processes_sharing_a_cache_corrupt_nothing(cache, caplog):
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(cache.root), str(n)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (0, 1)]
    results = [w.communicate(timeout=120) for w in workers]
    for worker, (out, err) in zip(workers, results):
        assert worker.returncode == 0, err
        assert out.strip() == "0"  # no wrong value was ever returned
        assert "corrupt" not in err  # and no reader met a half-written entry

    with caplog.at_level(logging.WARNING, logger="thyra.cache"):
        for i in range(12):
            entry = cache.get(f"{i:02d}" + "c" * 38)
            assert entry is not None and (entry.outputs["image"].data == i).all()
    assert caplog.records == []
    assert cache.store.usage().entries == 12
    assert not list(cache.root.rglob("*.tmp"))


# -- maintenance -----------------------------------------------------------------------------
def test_stats_count_entries_and_bytes_and_clear_removes_them(cache):
    assert cache.store.usage().entries == 0 and cache.store.usage().bytes == 0
    for i in range(3):
        cache.put(f"{i:02d}" + "d" * 38, CacheEntry({"out": Number(i)}))
    stats = cache.store.usage()
    assert stats.root == cache.root and stats.entries == 3
    assert stats.bytes == sum(p.stat().st_size for p in cache.root.rglob("*.thyra"))

    assert cache.store.clear() == 3
    assert cache.store.usage().entries == 0
    assert cache.get("00" + "d" * 38) is None
    cache.put(KEY, CacheEntry({"out": Number(1)}))  # still usable after clearing
    assert cache.store.path_for("results", KEY).is_file()


def test_discard_removes_one_entry(stored):
    stored.store.discard("results", KEY, "a test removes it")
    assert not stored.store.path_for("results", KEY).is_file()


def test_an_entry_is_stored_after_another_process_cleared_the_cache(tmp_path):
    from thyra_graph.engine.diskcache import DiskCache
    from thyra_graph.engine.memcache import CacheEntry
    from thyra_graph.types import Number

    cache = DiskCache(tmp_path)
    assert cache.put("ab" * 20, CacheEntry({"out": Number(1)}))
    DiskCache(tmp_path).store.clear()  # the folders this cache made are gone now
    assert cache.put("ab" * 20, CacheEntry({"out": Number(2)}))
    assert cache.get("ab" * 20).outputs["out"] == Number(2)


def test_clear_also_removes_what_nodes_stored_as_chunks(tmp_path):
    from thyra_graph.engine.diskcache import DiskCache

    cache = DiskCache(tmp_path)
    chunk = cache.store.folder("fields") / ("ab" * 20 + ".npz")
    atomic.write_bytes(chunk, b"x" * 1000)
    assert cache.store.usage().kinds["fields"] == [1, 1000]
    cache.store.clear()
    assert not chunk.exists()
