"""Sizes as people write them, read by one convention for the cache limit and model budgets:
k/M/G/T are powers of 1000, Ki/Mi/Gi/Ti powers of 1024."""

from __future__ import annotations

import pytest

from thyra_graph.engine.declaration import NodeError
from thyra_graph.engine.resources import parse_budget
from thyra_graph.engine.sizes import parse_size
from thyra_graph.engine.store import parse_limit


@pytest.mark.parametrize("text, size", [
    ("123", 123), ("123b", 123), ("1.5k", 1500), ("1.5kB", 1500), ("2 MB", 2 * 10**6), ("20G", 20 * 10**9),
    ("8gb", 8 * 10**9), ("1T", 10**12), ("1Ki", 1024), ("512MiB", 512 * 2**20), ("2 gib", 2 * 2**30),
    ("1.5TiB", int(1.5 * 2**40)), (".5G", 5 * 10**8), ("  7 M  ", 7 * 10**6),
])
def test_si_units_are_powers_of_1000_and_iec_units_powers_of_1024(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "twenty", "-1G", "1.2.3", "5ib", "5 PB", "1e9", "10%"])
def test_anything_else_is_refused_with_the_forms_that_are_understood(text):
    with pytest.raises(ValueError, match="write e.g. 20G, 512MiB"):
        parse_size(text)


def test_the_cache_limit_and_the_model_budgets_read_a_size_the_same_way():
    for text in ("8GB", "512MiB", "1.5g", "123456"):
        assert parse_limit(text) == parse_budget(text, total=None, source="X") == parse_size(text)
    assert parse_limit("none") is None and parse_limit("0") is None
    with pytest.raises(NodeError, match="THYRA_MODEL_RAM_BUDGET='lots' is not a memory budget"):
        parse_budget("lots", total=None, source="THYRA_MODEL_RAM_BUDGET")
