"""SafetyGuard.filter (plain floats, it runs every training step) against a NumPy reference."""

from __future__ import annotations

import numpy as np

from s2r.robot import ActuatorSpec, JointSpec, RobotSpec, SafetyLimits
from s2r.safety import SafetyGuard


def reference(raw: np.ndarray, previous: np.ndarray, low, high, delta) -> np.ndarray:
    u = np.clip(np.where(np.isfinite(raw), raw, 0.0), low, high)
    return np.clip(np.clip(u, previous - delta, previous + delta), low, high)


def test_filter_matches_the_numpy_rules_on_random_and_nonfinite_commands():
    spec = RobotSpec("two", (JointSpec("a", "revolute"), JointSpec("b", "prismatic")),
                     (ActuatorSpec("a", "a", "torque", -2.0, 2.0),
                      ActuatorSpec("b", "b", "force", 0.5, 3.0)), 100.0,
                     safety=SafetyLimits(max_action_delta=0.7))
    guard, rng = SafetyGuard(spec), np.random.default_rng(0)
    low, high = spec.action_low, spec.action_high
    previous = np.zeros(2)  # the reset state, even outside [0.5, 3] for actuator b
    specials = [np.nan, np.inf, -np.inf]
    for k in range(2000):
        raw = rng.uniform(-6.0, 6.0, 2)
        if k % 7 == 0:
            raw[k % 2] = specials[k % 3]
        expected = reference(raw, previous, low, high, 0.7)
        got = guard.filter(raw)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == np.float64 and np.array_equal(guard.previous, got)
        previous = expected
    assert guard.nonfinite == len(range(0, 2000, 7))
    assert guard.clipped > 0 and guard.rate_limited > 0
    guard.reset([1.0, 1.0])
    np.testing.assert_array_equal(guard.filter([9.0, -9.0]), [1.7, 0.5])
