"""Spin boxes step by the param's scale: 0–1 by 0.01, 0–255 by 1, 0–1000 by 10, a sigma of 4
by 0.1; a declared step wins; a log-scaled param steps by a factor; decimals follow the step
and the default, so no declared value shows rounded. Pure logic: no Qt needed."""

from __future__ import annotations

import pytest

from thyra_graph.editor.spin_steps import SpinSteps, decimals_for, log_step, spin_steps
from thyra_graph.engine.declaration import DeclarationError, Param


@pytest.mark.parametrize("param, expected", [
    (Param("score", 0.5, min=0.0, max=1.0), SpinSteps(0.01, 2)),
    (Param("level", 128, min=0, max=255), SpinSteps(1, 0)),
    (Param("width", 500.0, min=0.0, max=1000.0), SpinSteps(10.0, 1)),
    (Param("count", 100, min=0, max=1000), SpinSteps(1, 0)),
    (Param("sigma", 4.0, min=0.0), SpinSteps(0.1, 1)),
    (Param("radius", 0.05, min=1e-9), SpinSteps(0.001, 3)),
    (Param("interval", 0.04, min=1e-5, max=100.0), SpinSteps(0.001, 3)),
    (Param("azimuth", 270.0, min=0.0, max=360.0), SpinSteps(1.0, 1)),
    (Param("offset", 0.0), SpinSteps(0.1, 1)),
    (Param("shift", 0), SpinSteps(1, 0)),
])
def test_the_step_follows_the_range_and_the_default(param, expected):
    assert spin_steps(param) == expected


def test_a_declared_step_wins_and_decimals_still_show_the_default_unrounded():
    assert spin_steps(Param("beta", 0.3, min=0.01, max=2, step=0.05)) == SpinSteps(0.05, 2)
    assert spin_steps(Param("odd", 51, min=3, max=2001, step=2)) == SpinSteps(2, 0)
    assert spin_steps(Param("fine", 0.125, min=0.0, max=1.0, step=0.1)).decimals == 3


def test_a_log_scaled_param_steps_by_a_factor_and_never_below_its_minimum():
    steps = spin_steps(Param("rate", 1e-3, min=1e-6, max=1.0, scale="log", step=10))
    assert steps.factor == 10 and steps.decimals == 7
    assert log_step(1e-3, 1, steps.factor, 1e-6) == pytest.approx(1e-2)
    assert log_step(1e-3, -2, steps.factor, 1e-6) == pytest.approx(1e-5)
    assert log_step(1e-5, -5, steps.factor, 1e-6) == 1e-6
    assert spin_steps(Param("tiles", 8, min=1, max=4096, scale="log")).factor == 2.0


@pytest.mark.parametrize("bad, message", [
    (dict(scale="log"), "scale='log' needs an int or float param with min > 0"),
    (dict(scale="log", min=0.0), "needs an int or float param with min > 0"),
    (dict(scale="log", min=0.1, step=0.5), "step is the factor between steps and must be above 1"),
    (dict(scale="cubic"), "scale must be one of linear, log"),
])
def test_a_log_scale_needs_a_positive_minimum_and_a_factor_above_one(bad, message):
    with pytest.raises(DeclarationError, match=message):
        Param("rate", 1.0, **bad)


def test_decimals_count_what_a_value_needs():
    assert [decimals_for(v) for v in (0.0, 2.0, 0.5, 0.05, 0.125, 1e-6)] == [0, 0, 1, 2, 3, 6]
