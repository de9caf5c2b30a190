"""Discovery fills the open registries: a plugin's port types, param kinds and previews load
like its nodes, built-ins register theirs the same way, and a bad one is a load problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

from thyra_graph.engine.param_kinds import BUILTIN_KIND_NAMES
from thyra_graph.nodes.discovery import discover
from thyra_graph.types import ALL_TYPES

TYPE_SOURCE = '''
    from dataclasses import dataclass

    import numpy as np

    from thyra_graph import Output, Param, ParamKind, node
    from thyra_graph.types import PortType


    @dataclass
    class Score(PortType):
        type_name = "lab.Score"
        value: float = 0.0

        def to_record(self):
            return {"value": self.value}, {}

        @classmethod
        def from_record(cls, meta, arrays):
            return cls(meta["value"])


    LEVEL = ParamKind("lab.level", coerce=str.strip, describe="a level name", widget="str")


    @node("lab.score", outputs=[Output("score", Score)], params=[Param("level", "low", kind=LEVEL)])
    def score(*, level):
        """A score."""
        return Score(1.0)


    def draw(value):
        return np.zeros((4, 4, 3), np.uint8), "a score"
'''


def plugin(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def problems_of(registry, path: Path) -> list[str]:
    return [p.message for p in registry.problems if p.origin == str(path)]


def test_builtin_types_and_kinds_register_through_the_builtin_plugin():
    registry = discover(plugin_path=[], user_plugins=False)
    builtin_origin = registry.origins["io.load_image"]

    assert set(registry.types) == {t.type_name for t in ALL_TYPES}
    assert set(registry.param_kinds) == set(BUILTIN_KIND_NAMES)
    assert registry.extension_origins["type:Image"] == builtin_origin
    assert registry.extension_origins["kind:points"] == builtin_origin
    assert registry.problems == []


def test_a_plugins_types_kinds_and_previews_are_registered_under_its_origin(tmp_path):
    path = plugin(tmp_path, "lab.py", TYPE_SOURCE + '''
    THYRA_TYPES = [Score]
    THYRA_PARAM_KINDS = [LEVEL]
    THYRA_PREVIEWS = {"lab.Score": draw}
    ''')

    registry = discover(plugin_path=[tmp_path], user_plugins=False)

    assert problems_of(registry, path) == []
    assert registry.types["lab.Score"].__name__ == "Score"
    assert registry.param_kinds["lab.level"].describe == "a level name"
    assert registry.previews["lab.Score"].__name__ == "draw"
    assert {registry.extension_origins[k] for k in ("type:lab.Score", "kind:lab.level", "preview:lab.Score")} == {str(path)}
    assert registry.origins["lab.score"] == str(path)


def test_a_type_used_by_a_node_is_registered_even_when_not_listed(tmp_path):
    plugin(tmp_path, "lab.py", TYPE_SOURCE)

    registry = discover(plugin_path=[tmp_path], user_plugins=False)

    assert "lab.Score" in registry.types and "lab.level" in registry.param_kinds


def test_a_type_named_like_a_builtin_is_refused_with_its_plugin_named(tmp_path):
    path = plugin(tmp_path, "clash.py", '''
    from dataclasses import dataclass
    from thyra_graph.types import PortType

    @dataclass
    class Image(PortType):
        type_name = "Image"

    THYRA_TYPES = [Image]
    ''')

    registry = discover(plugin_path=[tmp_path], user_plugins=False)

    [message] = [m for m in problems_of(registry, path) if "port type" in m]
    assert "port type 'Image' is already provided by" in message and "this one was ignored" in message
    assert registry.types["Image"].__module__ == "thyra_graph.types.image"


def test_bad_extension_entries_are_load_problems_and_the_rest_still_loads(tmp_path):
    path = plugin(tmp_path, "messy.py", TYPE_SOURCE + '''
    class Unnamed(PortType):
        pass

    THYRA_TYPES = [Score, "lab.Score", Unnamed]
    THYRA_PARAM_KINDS = [LEVEL, 42]
    THYRA_PREVIEWS = {"lab.Score": draw, "Image": draw, "lab.Other": "draw"}
    ''')

    registry = discover(plugin_path=[tmp_path], user_plugins=False)

    messages = problems_of(registry, path)
    assert any("lists 'lab.Score', which is not a PortType subclass" in m for m in messages)
    assert any("Unnamed" in m and "does not set its own type_name" in m for m in messages)
    assert any("lists 42 (int), which is not a ParamKind" in m for m in messages)
    assert any("preview for port type 'Image' was ignored" in m and "only its owner" in m for m in messages)
    assert any("maps 'lab.Other'" in m for m in messages)
    assert len(messages) == 5
    assert "lab.score" in registry and "lab.Score" in registry.previews


def test_a_malformed_param_kind_is_reported_like_a_malformed_node(tmp_path):
    path = plugin(tmp_path, "broken.py", '''
    from thyra_graph import ParamKind

    WIDTH = ParamKind("lab.width", coerce=int, describe="pixels", widget="slider")
    ''')

    registry = discover(plugin_path=[tmp_path], user_plugins=False)

    [message] = problems_of(registry, path)
    assert message.startswith("a param kind declaration is malformed (at ")
    assert "widget must be one of str, color, points, json, got 'slider'" in message
    assert "Correct the ParamKind(...) declaration" in message


def test_a_plugin_of_types_and_previews_alone_is_not_a_problem(tmp_path):
    path = plugin(tmp_path, "types_only.py", '''
    from dataclasses import dataclass

    import numpy as np

    from thyra_graph.types import PortType

    @dataclass
    class Tally(PortType):
        type_name = "lab.Tally"

    THYRA_TYPES = [Tally]
    THYRA_PREVIEWS = {"lab.Tally": lambda value: (np.zeros((1, 1, 3), np.uint8), "tally")}
    ''')

    registry = discover(plugin_path=[tmp_path], user_plugins=False)

    assert problems_of(registry, path) == []
    assert "lab.Tally" in registry.types and "lab.Tally" in registry.previews
