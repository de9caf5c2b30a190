"""Parameter values between text fields and typed values.

Widgets hand over text (or numbers); these functions turn it into the value the
declaration expects, or raise :class:`ParamError` with the reason the properties panel
shows next to the field.
"""

from __future__ import annotations

import json
from typing import Any

from thyra_graph.engine.declaration import Param, ParamError
from thyra_graph.engine.yamlfile import parse_yaml


def parse_text(param: Param, text: str) -> Any:
    """The typed value of what the user typed for ``param`` (checked by the declaration)."""
    stripped = text.strip()
    if not stripped and param.optional:
        return None
    kind = param.widget  # a plugin's kind reads text like the built-in kind whose widget it uses
    if kind in ("str", "path"):
        return param.coerce(text)
    if kind == "choice":
        matches = [c for c in param.choices if str(c) == stripped]
        return param.coerce(matches[0] if matches else stripped)
    if kind in ("int", "float"):
        try:
            number: Any = int(stripped) if kind == "int" else float(stripped)
        except ValueError:
            try:
                number = float(stripped)
            except ValueError:
                raise ParamError(f"{stripped!r} is not a number: expected {param.describe_range()}") from None
        return param.coerce(number)
    if kind == "bool":
        lowered = stripped.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise ParamError(f"expected true or false, got {stripped!r}")
    if kind == "color" and stripped.startswith("#"):
        return param.coerce(stripped)
    if kind == "points":
        return param.coerce(parse_points(text))
    parsed = parse_yaml(text)  # read as the graph file will read it
    if parsed.fatal:
        line = parsed.problems[0].line
        where = f" (line {line})" if line else ""
        raise ParamError(f"cannot read this value{where}: write YAML or JSON, e.g. [1, 2] or {{a: 1}}")
    return param.coerce(parsed.data)


def parse_points(text: str) -> list[list[float]]:
    """Points typed one per line as ``x, y`` or ``x, y, label`` (or as a YAML list)."""
    stripped = text.strip()
    if stripped.startswith("["):
        parsed = parse_yaml(stripped)
        if parsed.fatal:
            raise ParamError("cannot read the list of points: write [[x, y, label], ...]")
        return parsed.data
    points = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in line.replace(",", " ").split() if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise ParamError(f"line {number}: {line!r} is not 'x, y' or 'x, y, label'") from None
        if len(values) not in (2, 3):
            raise ParamError(f"line {number}: {line!r} is not 'x, y' or 'x, y, label'")
        points.append(values)
    return points


def format_value(param: Param, value: Any) -> str:
    """Text a field shows for ``value`` (round-trips through :func:`parse_text`)."""
    if value is None:
        return ""
    if param.widget == "points":
        return "\n".join(f"{_num(p[0])}, {_num(p[1])}, {int(p[2]) if len(p) > 2 else 1}" for p in value)
    if param.widget == "color" and isinstance(value, (list, tuple)):
        return "#" + "".join(f"{int(v):02x}" for v in value)
    if param.widget == "json":
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
