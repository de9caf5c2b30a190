"""DensityMap (thyra_graph.types.density): a density whose integral is the count."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thyra_graph.types import DensityMap


def _two_blobs() -> np.ndarray:
    # Two unit-mass blobs: the map should count two objects.
    density = np.zeros((20, 30), np.float32)
    density[4:6, 4:6] = 0.25
    density[10:12, 20:22] = 0.25
    return density


def test_the_count_is_the_integral_of_the_map():
    assert DensityMap(_two_blobs()).count == pytest.approx(2.0)


def test_the_count_is_a_plain_float_for_reports():
    count = DensityMap(_two_blobs()).count
    assert type(count) is float
    json.dumps(count)


def test_density_map_round_trips_with_its_meta(roundtrip, same):
    density = DensityMap(_two_blobs(), {"model": "csrnet", "frame": 4})
    back = roundtrip(density)
    same(back, density)
    assert back.count == density.count


def test_float64_model_output_is_stored_as_float32():
    density = DensityMap(_two_blobs().astype(np.float64))
    assert density.data.dtype == np.float32
    density.validate()


def test_coerce_accepts_float_and_integer_arrays():
    assert DensityMap.coerce(np.ones((3, 3), np.uint8)).count == 9.0
    assert DensityMap.coerce(np.ones((3, 3))).data.dtype == np.float32
    with pytest.raises(TypeError, match="DensityMap data must be a numpy array"):
        DensityMap.coerce([[1.0]])


@pytest.mark.parametrize("data, message", [
    (np.zeros((4, 4, 1), np.float32), r"DensityMap.data must have shape H×W, got shape \(4, 4, 1\)"),
    (np.zeros(4, np.float32), r"got shape \(4,\)"),
    (np.zeros((4, 4), np.int32), "DensityMap.data must be float32, got int32"),
    (np.array([[0.1, np.nan]], np.float32), "NaN or infinite"),
])
def test_validate_names_what_is_malformed(data, message):
    with pytest.raises(ValueError, match=message):
        DensityMap(data).validate()


def test_validate_refuses_meta_the_cache_could_not_store():
    with pytest.raises(ValueError, match="DensityMap.meta must hold only JSON-friendly values"):
        DensityMap(_two_blobs(), {"sigma": np.float32(3)}).validate()


def test_nbytes_grows_with_the_map():
    assert DensityMap(np.zeros((100, 100), np.float32)).nbytes() > DensityMap(np.zeros((10, 10), np.float32)).nbytes()


def test_summary_shows_the_count_and_the_shape_not_the_pixels():
    summary = json.loads(json.dumps(DensityMap(_two_blobs()).summary()))
    assert summary == {"shape": [20, 30], "dtype": "float32", "count": 2.0}
