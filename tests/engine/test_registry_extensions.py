"""The registry's open tables: port types, param kinds and previews owned by who registered them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from thyra_graph.engine.declaration import Output, Param, node
from thyra_graph.engine.param_kinds import ParamKind
from thyra_graph.engine.registry import Registry
from thyra_graph.types import Image, Number, PortType


@dataclass
class Score(PortType):
    type_name = "lab.Score"
    value: float = 0.0

    def to_record(self):
        return {"value": self.value}, {}

    @classmethod
    def from_record(cls, meta, arrays):
        return cls(meta["value"])


@dataclass
class FakeImage(PortType):
    type_name = "Image"


LEVEL = ParamKind("lab.level", coerce=lambda v: str(v), describe="a level name", widget="str")


def score_node(output_type=Score, kind=LEVEL):
    @node("lab.score", outputs=[Output("score", output_type)], params=[Param("level", "low", kind=kind)])
    def score(*, level):
        """A score."""
        return Score(1.0)

    return score


def test_a_node_brings_the_types_and_kinds_it_uses():
    registry = Registry()
    assert registry.add(score_node(), "lab plugin")

    assert registry.types["lab.Score"] is Score
    assert registry.param_kinds["lab.level"] is LEVEL
    assert registry.extension_origins["type:lab.Score"] == "lab plugin"
    assert registry.port_type("lab.Score") is Score


def test_built_in_types_are_known_to_any_registry_and_unknown_names_are_a_key_error():
    registry = Registry()

    assert registry.port_type("Image") is Image
    with pytest.raises(KeyError, match="unknown port type 'lab.Score'"):
        registry.port_type("lab.Score")


def test_a_second_type_under_a_taken_name_is_refused_and_recorded():
    registry = Registry()
    registry.add_type(Image, "builtin")

    assert not registry.add_type(FakeImage, "lab plugin")
    assert registry.types["Image"] is Image
    [problem] = registry.problems
    assert problem.origin == "lab plugin"
    assert "port type 'Image' is already provided by builtin" in problem.message


def test_a_node_using_a_type_whose_name_another_owns_is_refused():
    registry = Registry()
    registry.add_type(Image, "builtin")

    assert not registry.add(score_node(output_type=FakeImage), "lab plugin")
    assert "lab.score" not in registry
    assert "already gives another type" in registry.problems[0].message


def test_a_node_using_a_kind_whose_name_another_owns_is_refused():
    registry = Registry()
    registry.add_param_kind(ParamKind("lab.level", coerce=int, describe="a number", widget="str"), "other plugin")

    assert not registry.add(score_node(), "lab plugin")
    assert "param kind named 'lab.level'" in registry.problems[0].message


def preview(value):
    return np.zeros((2, 2, 3), np.uint8), "score"


def test_only_the_owner_of_a_type_may_register_its_preview():
    registry = Registry()
    registry.add_type(Number, "builtin")
    registry.add_type(Score, "lab plugin")

    assert registry.add_preview("lab.Score", preview, "lab plugin")
    assert not registry.add_preview("Number", preview, "lab plugin")
    assert not registry.add_preview("lab.Missing", preview, "lab plugin")
    assert registry.previews == {"lab.Score": preview}
    messages = [p.message for p in registry.problems]
    assert "belongs to builtin, and only its owner may preview it" in messages[0]
    assert "no such type is registered" in messages[1]
