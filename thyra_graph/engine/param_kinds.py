"""Parameter kinds: what values a param accepts, how it reads in errors, which editor widget it gets.

The built-in kinds (``int``, ``float``, ``choice``, ``color``, ``points``, ...) are checked by
:class:`~thyra_graph.engine.declaration.Param` itself, because their checks use the param's own
range and choices. A plugin adds a kind by declaring a :class:`ParamKind` with its own check
and passing it as ``Param(..., kind=MY_KIND)``; listing it in the plugin's
``THYRA_PARAM_KINDS`` makes it visible in the registry (``thyra nodes``, clash checks)::

    CHANNELS = ParamKind(
        "example.channels", coerce=parse_channels, widget="str",
        describe="channel letters from 'rgb', e.g. 'rgb' or 'g'",
        help="which colour channels to count")

A plugin cannot ship Qt code through the registry, so it picks one of the editor's widget
families (:data:`PLUGIN_WIDGETS`): a line of text, a colour picker, a point list or a YAML box.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

#: Names of the kinds Param checks itself; a plugin kind may not take one of them.
BUILTIN_KIND_NAMES = ("int", "float", "bool", "str", "choice", "path", "color", "points", "json")
#: The editor widget families a plugin kind may ask for (named like the built-in kind using them).
PLUGIN_WIDGETS = ("str", "color", "points", "json")
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class ParamKindError(ValueError):
    """A param kind declaration is malformed (a plugin author's mistake, reported at discovery)."""


@dataclass(frozen=True, eq=False)
class ParamKind:
    """One kind of parameter value.

    ``coerce`` takes what a graph file or the editor holds and returns the canonical value
    (JSON-friendly: it enters cache keys and graph files), or raises ``ValueError`` /
    ``TypeError`` saying what is wrong. ``describe`` words the allowed values for error
    messages ("expected <describe>"); ``widget`` is the editor widget family. Built-in kinds
    have ``coerce=None``: Param checks them with the param's range and choices.
    """

    name: str
    coerce: Callable[[Any], Any] | None
    describe: str
    widget: str
    help: str = ""

    def __post_init__(self) -> None:
        if self.name in BUILTIN_KIND_NAMES:
            if self.coerce is not None:
                raise ParamKindError(f"param kind {self.name!r} is built in; give yours a dotted name under your "
                                     f"plugin's prefix, e.g. 'myplugin.{self.name}'")
            return
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ParamKindError(f"param kind name {self.name!r} must be dotted lowercase under your plugin's "
                                 "prefix, like 'myplugin.channels'")
        if not callable(self.coerce):
            raise ParamKindError(f"param kind {self.name!r}: coerce must be a function checking a value, "
                                 f"got {self.coerce!r}")
        if self.widget not in PLUGIN_WIDGETS:
            raise ParamKindError(f"param kind {self.name!r}: widget must be one of {', '.join(PLUGIN_WIDGETS)}, "
                                 f"got {self.widget!r}")
        if not isinstance(self.describe, str) or not self.describe.strip():
            raise ParamKindError(f"param kind {self.name!r}: describe must say in words which values are allowed")

    def check(self, value: Any) -> Any:
        """The canonical value, or ``ValueError`` saying what is wrong and what is expected."""
        try:
            checked = self.coerce(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{exc} (expected {self.describe})") from None
        try:  # the value enters cache keys and graph files: it must survive JSON unchanged
            if json.loads(json.dumps(checked)) != checked:
                raise ValueError("changed by a JSON round trip")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the {self.name!r} param kind returned {checked!r}, which is not a JSON value ({exc}); "
                             "this is a bug in the plugin that declares the kind") from None
        return checked

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "describe": self.describe, "widget": self.widget, "help": self.help}


BUILTIN_PARAM_KINDS: tuple[ParamKind, ...] = (
    ParamKind("int", None, "an integer, optionally within a range", "int"),
    ParamKind("float", None, "a number, optionally within a range", "float"),
    ParamKind("bool", None, "true or false", "bool"),
    ParamKind("str", None, "a string", "str"),
    ParamKind("choice", None, "one of the declared choices", "choice"),
    ParamKind("path", None, "a file path", "path"),
    ParamKind("color", None, "a colour '#rrggbb' or [r, g, b]", "color"),
    ParamKind("points", None, "a list of [x, y] or [x, y, label] (label 1 positive, 0 negative)", "points"),
    ParamKind("json", None, "a JSON-friendly value (numbers, strings, lists, mappings)", "json"),
)
