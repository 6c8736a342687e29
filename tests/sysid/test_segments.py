"""Multiple shooting: segments start from the logged state and command history."""

from __future__ import annotations

import numpy as np
import pytest

from s2r.errors import ConfigError
from s2r.sim import SimRobot
from s2r.sysid.data import read_recordings
from s2r.sysid.segments import channels, cut, measured, simulate


def _segments(path, length, signals=("q",)):
    with SimRobot("furuta") as sim:
        spec = sim.spec
    rec = read_recordings(path, spec)[0]
    cols = channels(signals, spec.joint_names, list(spec.sensors))
    target = measured(rec, cols, spec.joint_names, list(spec.sensors))
    return rec, cols, cut(rec, target, length, spec.control_rate, history=0.1)


def test_segments_cover_the_log_with_the_configured_length(furuta_log):
    rec, cols, segs = _segments(furuta_log, 0.15)
    assert len(segs) == -(-(len(rec) - 2) // 15)
    assert all(len(s.u) == 15 for s in segs[:-1]) and 1 <= len(segs[-1].u) <= 15
    first = segs[1]  # starts at row 16: state and commands of the log
    assert first.t0 == rec.t[16] and first.q0 == tuple(rec.q[16]) and first.qd0 == tuple(rec.qd[16])
    np.testing.assert_array_equal(first.u, rec.u[16:31])
    np.testing.assert_array_equal(first.target, rec.q[17:32])
    assert first.history[-1] == (rec.t[15], tuple(rec.u[15]))
    assert all(t >= rec.t[16] - 0.1 - 1e-12 for t, _ in first.history)


def test_single_shooting_is_one_segment_per_recording(furuta_log):
    rec, _, segs = _segments(furuta_log, None)
    assert len(segs) == 1 and len(segs[0].u) == len(rec) - 2


@pytest.mark.parametrize("delay", [0.0, 0.006, 0.013])
def test_segments_replay_the_true_model_exactly_with_a_delay(recorder, delay):
    """With the true parameters (delay included, at sub-step resolution) every segment
    reproduces the log: the delay queue is filled from the logged command history."""
    truth = {"delay.action": delay, "link.pendulum.mass": 0.03}
    path = recorder("d.s2r.csv", 2.0, params=truth)
    _, cols, segs = _segments(path, 0.15, signals=("q", "qd"))
    with SimRobot("furuta", params=truth) as sim:
        gap = max(np.abs(simulate(sim, s, cols, sim.spec.joint_names, []) - s.target).max()
                  for s in segs)
        sim.set_params({"delay.action": 0.0 if delay else 0.01})
        wrong = max(np.abs(simulate(sim, s, cols, sim.spec.joint_names, []) - s.target).max()
                    for s in segs)
    assert gap < 1e-9
    assert wrong > 1e-3  # so the check above can fail


def test_channels_resolve_and_refuse_unknown_signals():
    assert channels(["q", "qd.arm", "current.arm"], ["arm", "pendulum"], ["current.arm"]) == [
        "q.arm", "q.pendulum", "qd.arm", "current.arm"]
    with pytest.raises(ConfigError, match="unknown signal 'torque'"):
        channels(["torque"], ["arm"], [])


def test_central_start_velocities_remove_the_lag_of_filtered_log_velocities(furuta_log):
    """A log whose velocities lag (here: shifted one row) starts segments badly; central
    differences of the positions start them near the true velocity."""
    from dataclasses import replace

    from s2r.sysid.segments import start_velocities

    with SimRobot("furuta") as sim:
        rec = read_recordings(furuta_log, sim.spec)[0]
    lagged = replace(rec, qd=np.vstack([rec.qd[:1], rec.qd[:-1]]))
    true = rec.qd[1:-1]
    err_logged = np.abs(start_velocities(lagged, "logged")[1:-1] - true).mean()
    err_central = np.abs(start_velocities(lagged, "central")[1:-1] - true).mean()
    assert err_central < 0.5 * err_logged
    with pytest.raises(ConfigError, match="start_velocity: must be logged or central"):
        start_velocities(rec, "spline")
