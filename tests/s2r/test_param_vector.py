"""ParameterVector: named values <-> optimiser vectors, log scale where strictly positive."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s2r.errors import ParameterError
from s2r.param_vector import ParameterVector
from s2r.params import Parameter, ParameterTable, ParameterTarget
from s2r.sim import SimRobot

TABLE = ParameterTable([
    Parameter("link.pole.mass", 0.1, 0.025, 0.4, "kg"),
    Parameter("link.pole.inertia_yy", 1e-3, 2.5e-4, 4e-3, "kg*m^2"),
    Parameter("joint.hinge.damping", 0.0, 0.0, 0.1, "N*m*s/rad"),
    Parameter("link.pole.com_z", 0.5, 0.25, 0.75, "m"),
    Parameter("joint.hinge.lower_limit", -1.0, -1.5, -0.1, "rad"),
    Parameter("world.gravity", 9.81, 4.905, 14.715, "m/s^2"),
])


def in_bounds(name: str) -> st.SearchStrategy[float]:
    p = TABLE[name]
    return st.floats(p.low, p.high, allow_nan=False)


VALUES = st.fixed_dictionaries({name: in_bounds(name) for name in TABLE})


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_values_round_trip_through_the_vector(values):
    vec = ParameterVector(TABLE)
    x = vec.to_vector(values)
    back = vec.from_vector(x)
    assert list(back) == list(TABLE)
    for name, value in values.items():
        assert back[name] == pytest.approx(value, rel=1e-13, abs=1e-300)
    np.testing.assert_allclose(vec.to_vector(back), x, rtol=1e-15, atol=1e-15)


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_in_bounds_values_give_vectors_inside_the_vector_bounds(values):
    vec = ParameterVector(TABLE)
    low, high = vec.bounds()
    x = vec.to_vector(values)
    assert np.all(low <= x) and np.all(x <= high)


def test_log_scale_exactly_for_strictly_positive_lower_bounds():
    vec = ParameterVector(TABLE)
    assert dict(zip(vec.names, vec.log.tolist(), strict=True)) == {
        "link.pole.mass": True, "link.pole.inertia_yy": True, "joint.hinge.damping": False,
        "link.pole.com_z": True, "joint.hinge.lower_limit": False, "world.gravity": True}
    low, high = vec.bounds()
    assert low[0] == math.log(0.025) and high[0] == math.log(0.4)
    assert (low[2], high[2]) == (0.0, 0.1) and (low[4], high[4]) == (-1.5, -0.1)
    assert vec.from_vector(high) == pytest.approx(dict(zip(vec.names, [0.4, 4e-3, 0.1, 0.75, -0.1,
                                                                14.715], strict=True)))
    TABLE.check(vec.from_vector(high))  # exp(log(high)) rounding does not leave the bounds
    TABLE.check(vec.from_vector(low))
    with pytest.raises(ParameterError, match="outside the bounds"):
        TABLE.check(vec.from_vector(high + 1e-3))  # out of the vector bounds: not clipped
    x = vec.nominal()
    x[0] += math.log(2.0)  # one unit of log = the same relative change at any value
    assert vec.from_vector(x)["link.pole.mass"] == pytest.approx(0.2, rel=1e-14)


def test_free_globs_and_fixed_values_with_masks():
    vec = ParameterVector(TABLE, free=["link.*.mass", "joint.hinge.damping"],
                          fixed={"world.gravity": 9.8})
    assert vec.names == ["link.pole.mass", "joint.hinge.damping"] and len(vec) == 2
    assert vec.free_mask.tolist() == [True, False, True, False, False, False]
    assert vec.fixed_mask.tolist() == [False, False, False, False, False, True]
    values = vec.values([math.log(0.2), 0.05])
    assert values["world.gravity"] == 9.8 and values["link.pole.com_z"] == 0.5
    assert values["link.pole.mass"] == pytest.approx(0.2) and values["joint.hinge.damping"] == 0.05
    assert set(vec.from_vector([0.0, 0.0])) == {"link.pole.mass", "joint.hinge.damping",
                                                "world.gravity"}
    assert ParameterVector(TABLE, fixed={"world.gravity": 9.8}).names == list(TABLE)[:-1]


@pytest.mark.parametrize("kwargs, message", [
    ({"free": ["link.pole.masss"]}, "unknown parameter"),
    ({"free": ["motor.*"]}, "matches no parameter"),
    ({"fixed": {"world.gravityy": 9.8}}, "unknown parameter"),
    ({"fixed": {"world.gravity": 100.0}}, "outside the bounds"),
    ({"free": ["world.*"], "fixed": {"world.gravity": 9.8}}, "both free and fixed"),
])
def test_bad_names_and_values_are_refused(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        ParameterVector(TABLE, **kwargs)


def test_bad_vectors_and_missing_values_are_refused():
    vec = ParameterVector(TABLE, free=["link.pole.mass"])
    with pytest.raises(ParameterError, match="a vector of 1 values"):
        vec.from_vector([1.0, 2.0])
    with pytest.raises(ParameterError, match="no value given"):
        vec.to_vector({"world.gravity": 9.8})
    with pytest.raises(ParameterError, match="outside the bounds"):
        vec.to_vector({"link.pole.mass": 0.0})


def test_a_robot_table_round_trips_and_its_values_can_be_set():
    with SimRobot("furuta") as robot:
        assert isinstance(robot, ParameterTarget)
        vec = ParameterVector(robot.params, free=["link.*.mass", "motor.*", "joint.*.damping"])
        assert all(robot.params[n].low > 0 for n, log in zip(vec.names, vec.log) if log)
        x = vec.nominal()
        low, high = vec.bounds()
        robot.set_params(vec.from_vector(0.5 * (low + high)))  # the middle is within bounds
        for name, value in vec.from_vector(x).items():
            assert value == pytest.approx(robot.params[name].nominal, rel=1e-13)
