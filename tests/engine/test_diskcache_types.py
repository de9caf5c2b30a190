"""The disk cache reads a value back with the run's type table: plugin types come back, and an
entry whose type is not registered here (plugin uninstalled) is a miss that stays on disk."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from thyra_graph.engine.diskcache import DiskCache
from thyra_graph.engine.memcache import CacheEntry
from thyra_graph.engine.registry import Registry
from thyra_graph.types import FrameSeries, Number, PortType

KEY = "cd" + "1" * 38


@dataclass
class Spectrum(PortType):
    type_name = "lab.Spectrum"
    power: np.ndarray = None

    def validate(self):
        if self.power.ndim != 1:
            raise ValueError("power must be 1-D")

    def to_record(self):
        return {}, {"power": self.power}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(arrays["power"])


def stored(tmp_path) -> DiskCache:
    cache = DiskCache(tmp_path)
    entry = CacheEntry({"spectrum": Spectrum(np.arange(4.0)), "peak": Number(3.0)}, {}, 0)
    assert cache.put(KEY, entry, node_type="lab.spectrum")
    return cache


def test_a_plugin_type_reads_back_through_the_registry_that_knows_it(tmp_path):
    registry = Registry()
    registry.add_type(Spectrum, "lab plugin")

    entry = stored(tmp_path).get(KEY, port_type=registry.port_type)

    assert isinstance(entry.outputs["spectrum"], Spectrum)
    assert entry.outputs["spectrum"].power.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert entry.outputs["peak"] == Number(3.0)


def test_an_entry_of_a_type_not_registered_here_is_a_miss_and_is_kept(tmp_path, caplog):
    cache = stored(tmp_path)

    with caplog.at_level(logging.INFO, logger="thyra.cache"):
        assert cache.get(KEY, port_type=Registry().port_type) is None
        assert cache.get(KEY) is None  # the built-in table alone does not know it either

    assert cache.store.path_for("results", KEY).is_file()
    assert "kept but not used: unknown port type 'lab.Spectrum'" in caplog.text and "corrupt" not in caplog.text
    registry = Registry()
    registry.add_type(Spectrum, "lab plugin")
    assert cache.get(KEY, port_type=registry.port_type) is not None


def test_a_damaged_entry_of_a_plugin_type_is_still_removed(tmp_path):
    cache = stored(tmp_path)
    path = cache.store.path_for("results", KEY)
    path.write_bytes(path.read_bytes()[:-10])
    registry = Registry()
    registry.add_type(Spectrum, "lab plugin")

    assert cache.get(KEY, port_type=registry.port_type) is None
    assert not path.exists()


def test_a_series_of_a_plugin_type_reads_back_and_is_a_kept_miss_without_the_plugin(tmp_path):
    cache = DiskCache(tmp_path)
    series = FrameSeries([0, 5], [0.0, 0.2], [Spectrum(np.arange(3.0)), Spectrum(np.ones(2))], Spectrum)
    assert cache.put(KEY, CacheEntry({"series": series}, {}, 0))
    registry = Registry()
    registry.add_type(Spectrum, "lab plugin")

    entry = cache.get(KEY, port_type=registry.port_type)
    assert entry.outputs["series"].item_type is Spectrum
    assert entry.outputs["series"].items[1].power.tolist() == [1.0, 1.0]
    assert cache.get(KEY, port_type=Registry().port_type) is None
    assert cache.store.path_for("results", KEY).is_file()
