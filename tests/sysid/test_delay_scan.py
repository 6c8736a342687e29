"""A free delay starts in the right control period (a coarse scan before the fit)."""

from __future__ import annotations

import pytest

from s2r.sysid import identify


def test_a_delay_longer_than_a_control_period_is_found_from_zero(recorder):
    """Within one 10 ms control period the cost barely changes with the delay, and from
    0 ms the fit can settle a whole period off (seen: 17.7 ms for 8.4 ms, every other
    parameter bent to fit). The scan starts it in the right period."""
    path = recorder("late.s2r.csv", 3.0, params={"delay.action": 0.023,
                                                   "link.pendulum.mass": 0.028})
    result = identify("furuta", [path], ["delay.action", "link.pendulum.mass",
                                         "joint.arm.damping"], workers=1, holdout=0.0)
    assert result.params["delay.action"].value == pytest.approx(0.023, abs=2e-4)
    assert result.params["link.pendulum.mass"].value == pytest.approx(0.028, rel=1e-3)


def test_the_scan_starts_a_delay_in_its_control_period(recorder):
    import numpy as np

    from s2r.sim import SimRobot
    from s2r.sysid.data import load_data
    from s2r.sysid.evaluate import Evaluator
    from s2r.sysid.identify import scan_delays
    from s2r.sysid.segments import channels, cut, measured

    path = recorder("late2.s2r.csv", 2.0, params={"delay.action": 0.023})
    with SimRobot("furuta") as sim:
        spec = sim.spec
        fit, _ = load_data([path], spec, 0.0)
        cols = channels(["q"], spec.joint_names, [])
        segs = [s for r in fit for s in cut(r, measured(r, cols, spec.joint_names, []), 0.15,
                                            spec.control_rate, 0.1)]
        with Evaluator(sim, segs, cols, spec.joint_names, [], np.ones(2)) as ev:
            def many(xs):
                return ev.many([{"delay.action": float(x[0]), "link.pendulum.mass": 0.03}
                                for x in xs])

            x = scan_delays(many, np.array([0.0, 0.03]), ["delay.action", "x"],
                            np.array([0.0, 0.0]), np.array([0.05, 1.0]), spec.control_rate)
    assert abs(x[0] - 0.023) <= 0.005 and x[1] == 0.03  # the right period; others held
