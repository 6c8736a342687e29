"""The segment replay of benchmarks/replay_throughput.py reproduces a log of the same robot.

A throughput figure means nothing if the replay computes something else: replaying a
segment from its logged state with the logged commands must give the logged trajectory
bit for bit when the log came from the same SimRobot (action delay included), in this
process and in a spawned worker that got the robot pickled.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from s2r.sim import SimRobot

# imported by name from benchmarks/ (a spawned worker imports it the same way)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
rt = importlib.import_module("replay_throughput")


@pytest.fixture(scope="module", params=[0.0, 0.013], ids=["no-delay", "delay-13ms"])
def recorded(request, tmp_path_factory):
    """A furuta chirp log (2 s) and the robot that recorded it."""
    robot = SimRobot("furuta", params={"delay.action": request.param,
                                       "joint.arm.coulomb": 0.004})
    log = rt.record_log(robot, tmp_path_factory.mktemp("log") / "chirp.s2r.csv", 2.0,
                        amplitude=3.0, kp=3.0, kd=0.1)
    yield robot, log
    robot.close()


def test_a_segment_replays_the_logged_trajectory_exactly(recorded):
    robot, log = recorded
    length = 20
    starts = rt.segment_starts(log, length)
    assert len(starts) == 9 and starts[0] == 1
    moved = 0.0
    for start in starts:
        q, qd = rt.replay_segment(robot, log, start, length)
        rows = slice(start + 1, start + length + 1)
        assert q.shape == (length, 2)
        np.testing.assert_array_equal(q, log.q[rows])
        np.testing.assert_array_equal(qd, log.qd[rows])
        assert rt.segment_error(robot, log, start, length) == 0.0
        moved = max(moved, float(np.ptp(log.q[rows, 1])))
    assert moved > 0.05  # the segments really move: equality is not trivial


def test_other_parameters_do_not_reproduce_it(recorded):
    robot, log = recorded
    with SimRobot("furuta", params={**robot.get_params(), "link.pendulum.mass": 0.03}) as other:
        errors = [rt.segment_error(other, log, s, 20) for s in rt.segment_starts(log, 20)]
    assert min(errors) > 0.0


@pytest.mark.parametrize("recorded", [0.013], indirect=True, ids=["delay-13ms"])
def test_without_the_delayed_commands_a_delayed_robot_goes_wrong(recorded):
    robot, log = recorded
    wrong = 0
    starts = rt.segment_starts(log, 20)
    for start in starts:
        state = rt.segment_state(log, start, robot.get("delay.action"))
        assert state.pending  # the last command is still in the delay at the segment start
        # a state that applies it at once (no delay queue) does not reproduce the log
        robot.set_state(replace(state, pending=(), command=state.pending[-1][1]))
        q = np.array([(robot.act(u), robot.observe().q)[1] for u in log.u[start:start + 20]])
        wrong += not np.array_equal(q, log.q[start + 1:start + 21])
    assert wrong > len(starts) // 2  # (Coulomb sticking can hide the difference)


def test_a_spawned_worker_with_the_pickled_robot_gives_the_same_results(recorded):
    robot, log = recorded
    with SimRobot("furuta", params={**robot.get_params(), "link.pendulum.mass": 0.03}) as other:
        starts = rt.segment_starts(log, 20)
        here = [rt.segment_error(other, log, s, 20) for s in starts]
        with rt.make_pool(other, log, 20, workers=1) as pool:
            there, cpu = rt.replay_pool(pool, starts, workers=1)
    assert there == here and cpu > 0.0
