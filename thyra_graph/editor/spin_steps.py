"""How a number param's spin box steps: by its scale, not a fixed 0.1.

A declared ``step`` wins. Otherwise the step follows the range and the default: a tenth of the
default's order of magnitude, and no more than a hundredth of the range (a thousandth for
integers), so 0–1 steps by 0.01, 0–255 by 1, a 4.0 sigma by 0.1 and a 0.05 radius by 0.001.
A ``scale="log"`` param steps by a factor (its ``step``, default 2). Decimals follow the step
and the default, so no declared value is shown rounded.

No Qt here: :mod:`.param_widgets` builds the spin boxes from a :class:`SpinSteps`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from thyra_graph.engine.declaration import Param

MAX_DECIMALS = 6  # past this a spin box is unreadable; finer values are typed, not stepped
LOG_FACTOR = 2.0


@dataclass(frozen=True)
class SpinSteps:
    step: float          # what one arrow press adds (linear scale)
    decimals: int        # digits after the point a float box shows
    factor: float = 0.0  # log scale: what one arrow press multiplies by (0: linear)


def spin_steps(param: Param) -> SpinSteps:
    """The step, decimals and (for log params) factor of ``param``'s spin box."""
    is_int = param.kind == "int"
    if param.scale == "log":
        factor = param.step or LOG_FACTOR
        return SpinSteps(1.0, 0 if is_int else max(2, decimals_for(param.min or 0.0) + 1), factor)
    step = param.step or _derived_step(param, is_int)
    if is_int:
        return SpinSteps(max(1, round(step)), 0)
    decimals = max(1, decimals_for(step), decimals_for(param.default if isinstance(param.default, float) else 0.0))
    return SpinSteps(step, min(decimals, MAX_DECIMALS))


def decimals_for(value: float) -> int:
    """Digits after the point needed to show ``value`` unrounded (0 for whole numbers)."""
    if not value or not math.isfinite(value):
        return 0
    text = f"{abs(value):.{MAX_DECIMALS + 4}f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def log_step(value: float, steps: int, factor: float, minimum: float) -> float:
    """``value`` moved ``steps`` arrow presses on a log scale (never to zero or below ``minimum``)."""
    start = value if value > 0 else minimum
    return max(minimum, start * factor ** steps)


def _derived_step(param: Param, is_int: bool) -> float:
    candidates = []
    if param.min is not None and param.max is not None and param.max > param.min:
        candidates.append(_power_of_ten(param.max - param.min) / (1000 if is_int else 100))
    default = param.default if isinstance(param.default, (int, float)) and not isinstance(param.default, bool) else 0
    if default:
        candidates.append(_power_of_ten(abs(default)) / 10)
    return min(candidates) if candidates else (1.0 if is_int else 0.1)


def _power_of_ten(value: float) -> float:
    return 10.0 ** math.floor(math.log10(value))
