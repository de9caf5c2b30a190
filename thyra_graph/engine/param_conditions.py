"""When a parameter applies: ``Param(..., when={"method": "adaptive"})``.

A condition is declarative data, never code: a mapping from the name of another param of the
same node (the *controlling* param: a ``choice``, ``bool``, ``int`` or ``str`` param, whose
values compare exactly; never a float) to the value it must have, or a list of values any of
which will do. Several names must all hold::

    Param("block_size", 35, when={"method": "adaptive"})
    Param("value", 128, when={"method": ["fixed", "manual"]})
    Param("radius", 1.0, when={"method": "radius", "enabled": True})
    Param("gamma", 2.2, when={"channels": [3, 4]})

A param whose controlling param itself does not apply does not apply either. The editor greys
an inapplicable param with the reason; the engine keeps it in cache keys like any param (the
simple, honest rule: a value in the file is part of what was asked, so an edit to it re-runs
the node even while it is unused, and never serves a stale result).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

#: The param kinds that may control another param: values that compare exactly (a float, a path
#: or a JSON value would make "applies" hinge on rounding or spelling).
CONTROLLING_KINDS = ("choice", "bool", "int", "str")

#: A condition in canonical form: ((param name, (allowed values, ...)), ...).
Condition = tuple[tuple[str, tuple[Any, ...]], ...]


class _Param(Protocol):  # the parts of declaration.Param used here (no import cycle)
    name: str
    kind: str
    when: Condition

    def coerce(self, value: Any) -> Any: ...


def normalise(name: str, when: Any) -> Condition:
    """``when`` as written in a declaration, in canonical form; ``ValueError`` naming the mistake."""
    if when is None or when == ():
        return ()
    if isinstance(when, tuple):  # already canonical (a declaration copied with dataclasses.replace)
        when = dict(when)
    if not isinstance(when, Mapping) or not when:
        raise ValueError(f"param {name!r}: when= must be a mapping like {{'method': 'adaptive'}}, got {when!r}")
    condition = []
    for other, values in when.items():
        if not isinstance(other, str):
            raise ValueError(f"param {name!r}: when= keys are param names, got {other!r}")
        allowed = tuple(values) if isinstance(values, (list, tuple)) else (values,)
        if not allowed:
            raise ValueError(f"param {name!r}: when={{{other!r}: ...}} lists no value")
        if any(isinstance(v, (list, tuple, dict, set)) for v in allowed):
            raise ValueError(f"param {name!r}: when={{{other!r}: ...}} values must be plain values "
                             f"(a choice, true/false, a whole number or a text), got {values!r}")
        condition.append((other, allowed))
    return tuple(condition)


def check(params: Sequence[_Param]) -> list[str]:
    """Every mistake in the params' conditions: unknown or unfit controlling params, bad values, loops."""
    by_name = {p.name: p for p in params}
    problems = []
    for param in params:
        for other, allowed in param.when:
            control = by_name.get(other)
            if control is None or other == param.name:
                known = ", ".join(n for n in by_name if n != param.name) or "none"
                problems.append(f"param {param.name!r}: when= names {other!r}, which is not another param "
                                f"of this node (params: {known})")
                continue
            if control.kind not in CONTROLLING_KINDS:
                problems.append(f"param {param.name!r}: when= names {other!r}, a {control.kind} param; "
                                f"only {', '.join(CONTROLLING_KINDS)} params can decide whether another applies")
                continue
            for value in allowed:
                try:
                    control.coerce(value)
                except ValueError as exc:
                    problems.append(f"param {param.name!r}: when={{{other!r}: {value!r}}} can never hold: {exc}")
    for name in _in_loops(by_name):
        problems.append(f"param {name!r}: its when= conditions go round in a loop")
    return problems


def _in_loops(by_name: Mapping[str, _Param]) -> list[str]:
    """The params from which following ``when=`` names leads back to themselves."""
    looping = []
    for start in by_name:
        seen: set[str] = set()
        todo = [start]
        while todo:
            current = todo.pop()
            names = [other for other, _ in by_name[current].when if other in by_name and other != current]
            if start in names:
                looping.append(start)
                break
            todo += [n for n in names if n not in seen]
            seen.update(names)
    return looping


def inapplicable(params: Iterable[_Param], values: Mapping[str, Any]) -> dict[str, str]:
    """The params that do not apply with these values, each with the reason a user reads."""
    by_name = {p.name: p for p in params}
    reasons: dict[str, str] = {}

    def reason(name: str, depth: int = 0) -> str | None:
        if depth > len(by_name):  # a loop (refused at declaration; never recurse forever)
            return None
        for other, allowed in by_name[name].when:
            if other not in by_name:
                continue
            if reason(other, depth + 1) is not None:
                return f"applies only when {_wording(other, allowed)}, and {other} does not apply now"
            if values.get(other) not in allowed:
                return f"applies only when {_wording(other, allowed)} (now {_word(values.get(other))})"
        return None

    for name in by_name:
        why = reason(name)
        if why is not None:
            reasons[name] = why
    return reasons


def renamed(condition: Condition, rename: Callable[[str], str]) -> dict[str, list[Any]]:
    """The condition with its param names renamed (a subgraph exposes ``blur_sigma`` for ``sigma``)."""
    return {rename(name): list(allowed) for name, allowed in condition}


def to_json(condition: Condition) -> dict[str, Any]:
    """The condition as ``thyra nodes --json`` lists it: name → value, or list of values."""
    return {name: list(allowed) if len(allowed) > 1 else allowed[0] for name, allowed in condition}


def _wording(name: str, allowed: tuple[Any, ...]) -> str:
    return f"{name} is " + " or ".join(_word(v) for v in allowed)


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "empty" if value is None else str(value)
