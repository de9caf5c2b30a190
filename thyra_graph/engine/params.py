"""A node's parameter: its kind, default, range, choices, help, and the hints the editor reads
(when it applies, how a list's rows and a spin box's steps are edited).

:class:`Param` checks values against its declaration (:meth:`Param.coerce`) for graph files,
the editor and direct calls alike. It is imported with the rest of a declaration from
:mod:`thyra_graph.engine.declaration`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from . import param_conditions
from .param_kinds import ParamKind
from .samples import is_sample_ref, sample_ref_problem

PARAM_KINDS = ("int", "float", "bool", "str", "choice", "path", "color", "points", "json")
#: How the editor edits the rows of a list param (``items=``): a hint, the node's code checks values.
LIST_ITEMS = ("number", "int", "text", "scalar", "point")
SCALES = ("linear", "log")


class DeclarationError(ValueError):
    """A node declaration is malformed (a plugin author's mistake, reported at discovery)."""


class ParamError(ValueError):
    """A parameter value does not fit its declaration. The message names the allowed values."""


@dataclass(frozen=True)
class Param:
    """A parameter: default, allowed values and a one-line help text.

    ``kind`` is derived from the default when not given (bool, int, float, str; ``choice``
    when ``choices`` is given). Path parameters say whether the node reads or writes the file
    (``io="read"`` files are fingerprinted into the cache key; ``io="write"`` marks a sink).
    ``optional=True`` also allows ``None`` (for "no limit" style values).
    ``affects_result=False`` declares a param that cannot change what the node computes
    (``unload``, ``timeout``, ``retries``, ``concurrency``, ``overwrite``, ``debug_dir``): it is
    left out of the cache key, so toggling it re-runs nothing.
    ``seed=True`` marks the param that seeds a non-deterministic node: ``None`` asks for a
    fresh draw on every run, a number for a repeatable one.
    ``kind`` may also be a plugin's :class:`~thyra_graph.engine.param_kinds.ParamKind`: its
    check, wording and editor widget are used, and ``kind`` then holds its name.
    ``when={"method": "adaptive"}`` says when the param applies (see param_conditions.py): the
    editor greys it otherwise; cache keys keep it. ``step`` is the spin box step (derived from
    the range when not given); ``scale="log"`` makes the spin box step by a factor (``step``,
    default 2) for values spanning decades. ``items`` says how the editor edits a json list's
    rows: ``number``, ``int``, ``text``, ``scalar`` (a number or a word, e.g. a class id or name)
    or ``point`` ([x, y]); without it, the rows' values decide.
    """

    name: str
    default: Any
    kind: str | ParamKind | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: Sequence[Any] | None = None
    help: str = ""
    io: str | None = None
    optional: bool = False
    affects_result: bool = True
    seed: bool = False
    when: Any = None  # {param: value or [values]} as declared; param_conditions.Condition after checking
    items: str | None = None
    scale: str = "linear"
    #: The plugin kind declaration when ``kind`` names one (None for built-in kinds).
    plugin_kind: ParamKind | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.kind, ParamKind):
            if self.kind.coerce is None:  # a built-in kind's record: Param checks it itself
                object.__setattr__(self, "kind", self.kind.name)
            else:
                object.__setattr__(self, "plugin_kind", self.kind)
                object.__setattr__(self, "kind", self.kind.name)
        kind = self.kind or _kind_of(self.default, self.choices)
        if self.plugin_kind is not None:
            if self.choices is not None or self.min is not None or self.max is not None or self.io is not None:
                raise DeclarationError(f"param {self.name!r}: a {kind!r} param takes no min, max, choices or io; "
                                       "its kind checks the value")
        elif kind not in PARAM_KINDS:
            raise DeclarationError(f"param {self.name!r}: kind must be one of {', '.join(PARAM_KINDS)}, got {kind!r}")
        object.__setattr__(self, "kind", kind)
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if kind == "path" and self.io not in ("read", "write", None):
            raise DeclarationError(f"param {self.name!r}: io must be 'read' or 'write'")
        if kind != "path" and self.io is not None:
            raise DeclarationError(f"param {self.name!r}: io={self.io!r} applies to path parameters only: add kind='path'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise DeclarationError(f"param {self.name!r}: min {_fmt(self.min)} is above max {_fmt(self.max)}")
        if self.step is not None and not self.step > 0:
            raise DeclarationError(f"param {self.name!r}: step must be positive, got {self.step!r}")
        self._check_editing_hints(kind)
        if self.default is None:
            object.__setattr__(self, "optional", True)
        else:
            try:
                object.__setattr__(self, "default", self.coerce(self.default))
            except ParamError as exc:
                raise DeclarationError(f"param {self.name!r}: default does not fit: {exc}") from None

    def _check_editing_hints(self, kind: str) -> None:
        try:
            object.__setattr__(self, "when", param_conditions.normalise(self.name, self.when))
        except ValueError as exc:
            raise DeclarationError(str(exc)) from None
        if self.items is not None and (kind != "json" or self.items not in LIST_ITEMS):
            raise DeclarationError(f"param {self.name!r}: items= applies to kind='json' lists and must be one of "
                                   f"{', '.join(LIST_ITEMS)}, got {self.items!r}")
        if self.scale not in SCALES:
            raise DeclarationError(f"param {self.name!r}: scale must be one of {', '.join(SCALES)}, got {self.scale!r}")
        if self.scale == "log":
            if kind not in ("int", "float") or self.min is None or self.min <= 0:
                raise DeclarationError(f"param {self.name!r}: scale='log' needs an int or float param with min > 0")
            if self.step is not None and self.step <= 1:
                raise DeclarationError(f"param {self.name!r}: with scale='log', step is the factor between "
                                       f"steps and must be above 1, got {self.step!r}")

    @property
    def widget(self) -> str:
        """The editor widget family: the kind's own name, or the one a plugin kind chose."""
        return self.plugin_kind.widget if self.plugin_kind is not None else self.kind

    # -- checking values ----------------------------------------------------------------------
    def describe_range(self) -> str:
        """Human wording of the allowed values, used in error messages and help."""
        if self.plugin_kind is not None:
            return self.plugin_kind.describe
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind in ("int", "float"):
            if self.min is not None and self.max is not None:
                return f"{self.kind} from {_fmt(self.min)} to {_fmt(self.max)}"
            if self.min is not None:
                return f"{self.kind} >= {_fmt(self.min)}"
            if self.max is not None:
                return f"{self.kind} <= {_fmt(self.max)}"
            return "an integer" if self.kind == "int" else "a number"
        return {
            "bool": "true or false", "str": "a string", "path": "a file path",
            "color": "a colour '#rrggbb' or [r, g, b]",
            "points": "a list of [x, y] or [x, y, label] (label 1 positive, 0 negative)",
            "json": "a JSON-friendly value (numbers, strings, lists, mappings)",
        }[self.kind]

    def coerce(self, value: Any) -> Any:
        """Return the value in canonical form, or raise :class:`ParamError`."""
        if value is None:
            if self.optional:
                return None
            raise ParamError(f"a value is required ({self.describe_range()})")
        if self.plugin_kind is not None:
            try:
                return self.plugin_kind.check(value)
            except ValueError as exc:
                raise ParamError(str(exc)) from None
        kind = self.kind
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise ParamError(f"expected true or false, got {value!r}")
        if kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(f"expected {self.describe_range()}, got {value!r}")
            if kind == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ParamError(f"expected {self.describe_range()}, got {value!r}")
                value = int(value)
            else:
                value = float(value)
                if not math.isfinite(value):
                    bounds = f" ({self.describe_range()})" if self.min is not None or self.max is not None else ""
                    raise ParamError(f"expected a finite number{bounds}, got {value!r}")
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                raise ParamError(f"{value!r} is out of range: expected {self.describe_range()}")
            return value
        if kind == "choice":
            if value in self.choices:
                return value
            raise ParamError(f"{value!r} is not allowed: expected {self.describe_range()}")
        if kind in ("str", "path"):
            if not isinstance(value, str):
                raise ParamError(f"expected {self.describe_range()}, got {value!r}")
            if kind == "path" and not value.strip():
                raise ParamError("the path is empty")
            if kind == "path" and is_sample_ref(value):
                problem = sample_ref_problem(value, writes=self.io != "read")  # io=None may write (trust.py)
                if problem is not None:
                    raise ParamError(problem)
            return value
        if kind == "color":
            return _coerce_color(value)
        if kind == "points":
            return _coerce_points(value)
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError):
            raise ParamError(f"expected {self.describe_range()}, got {value!r}") from None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default, "help": self.help}
        for key in ("min", "max", "step", "io"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.choices is not None:
            data["choices"] = list(self.choices)
        if self.optional:
            data["optional"] = True
        if not self.affects_result:
            data["affects_result"] = False
        if self.seed:
            data["seed"] = True
        if self.plugin_kind is not None:
            data["widget"] = self.plugin_kind.widget
        if self.when:
            data["when"] = param_conditions.to_json(self.when)
        if self.items is not None:
            data["items"] = self.items
        if self.scale != "linear":
            data["scale"] = self.scale
        return data


def _kind_of(default: Any, choices: Sequence[Any] | None) -> str:
    if choices is not None:
        return "choice"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    raise DeclarationError(f"cannot tell the kind of a parameter with default {default!r}: pass kind=")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _coerce_color(value: Any) -> list[int]:
    if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return [int(value[i:i + 2], 16) for i in (1, 3, 5)]
    if (isinstance(value, (list, tuple)) and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)):
        return [int(v) for v in value]
    raise ParamError(f"expected a colour '#rrggbb' or [r, g, b] with 0-255 values, got {value!r}")


def _coerce_points(value: Any) -> list[list[float]]:
    if not isinstance(value, (list, tuple)):
        raise ParamError(f"expected a list of [x, y] or [x, y, label], got {value!r}")
    points = []
    for item in value:
        ok = isinstance(item, (list, tuple)) and len(item) in (2, 3) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in item)
        if not ok or (len(item) == 3 and item[2] not in (0, 1)):
            raise ParamError(f"point {item!r} must be [x, y] or [x, y, label] with label 1 (positive) or 0 (negative)")
        x, y = float(item[0]), float(item[1])
        points.append([x, y, int(item[2]) if len(item) == 3 else 1])
    return points
