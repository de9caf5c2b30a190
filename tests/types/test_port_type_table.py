"""Looking port types up by name: built-ins always, a registry's table (plugin types) when one is in use."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from thyra_graph.types import Image, PortType, UnknownPortType, builtin_type, port_types, type_by_name


@dataclass
class Tally(PortType):
    type_name = "lab.Tally"


def table(name: str) -> type[PortType]:
    return Tally if name == "lab.Tally" else builtin_type(name)


def test_outside_a_table_only_builtin_types_are_known():
    assert type_by_name("Image") is Image
    with pytest.raises(UnknownPortType, match="unknown port type 'lab.Tally'"):
        type_by_name("lab.Tally")


def test_inside_a_table_its_types_are_known_and_the_table_ends_with_the_block():
    with port_types(table):
        assert type_by_name("lab.Tally") is Tally
        assert type_by_name("Image") is Image
    with pytest.raises(KeyError):
        type_by_name("lab.Tally")


def test_the_builtin_lookup_itself_may_be_the_table():
    with port_types(type_by_name):
        assert type_by_name("Image") is Image
