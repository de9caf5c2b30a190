"""Sizes as people write them: ``20G``, ``512MiB``, ``1.5T``, a number of bytes.

One convention for every size Thyra reads (the cache store's limit, the models' memory
budgets), the SI and IEC one: ``k``, ``M``, ``G``, ``T`` (also ``kB``, ``MB``, ...) are powers
of 1000; ``Ki``, ``Mi``, ``Gi``, ``Ti`` (also ``KiB``, ``MiB``, ...) powers of 1024. Case does
not matter and a space may stand before the unit.

>>> parse_size("20G"), parse_size("512MiB"), parse_size("1.5k"), parse_size("123")
(20000000000, 536870912, 1500, 123)
"""

from __future__ import annotations

import re

_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4}
_SIZE = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmgt])(i)?)?b?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """The number of bytes ``text`` says; ValueError naming the forms that are understood."""
    match = _SIZE.fullmatch(str(text).strip())
    if match is None:
        raise ValueError(f"cannot read {text!r} as a size: write e.g. 20G, 512MiB, 1.5T or a number of bytes")
    number, unit, binary = match.groups()
    power = _POWERS[unit.lower()] if unit else 0
    return int(float(number) * (1024 if binary else 1000) ** power)
