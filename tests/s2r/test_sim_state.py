"""SimRobot state snapshots (delay queues included) and pickled copies in other processes."""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pybullet as pb
import pytest

from s2r.errors import RobotError
from s2r.sim import SimRobot, SimState
from s2r.sim.rollout import rollout
from s2r.sim.state import state_from_log

DELAYS = {"delay.action": 0.033, "delay.observation": 0.021}  # > 1 period, not a multiple


def commands(robot: SimRobot, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(robot.spec.action_low, robot.spec.action_high, (n, robot.spec.n_actions))


def record(robot: SimRobot, actions: np.ndarray) -> np.ndarray:
    rows = []
    for u in actions:
        robot.act(u)
        o = robot.observe()
        rows.append(np.concatenate([[o.t], o.q, o.qd, o.sensors]))
    return np.array(rows)


@pytest.fixture(params=["furuta", "cartpole"])
def delayed(request):
    robot = SimRobot(request.param, params=DELAYS)
    robot.reset(q=0.2 * np.ones(robot.spec.n_joints), qd=np.ones(robot.spec.n_joints))
    yield robot
    robot.close()


def test_snapshot_restores_delay_queues_exactly(delayed):
    robot = delayed
    record(robot, commands(robot, 20, seed=1))
    state = robot.get_state()
    assert state.pending and len(state.history) > 1  # both delays hold something
    after = commands(robot, 30, seed=2)
    first = record(robot, after)
    robot.reset()  # a reset empties the queues ...
    robot.set_state(state)  # ... the snapshot brings them back
    np.testing.assert_array_equal(record(robot, after), first)
    with SimRobot(robot.description, params=robot.get_params()) as fresh:
        fresh.set_state(state)
        np.testing.assert_array_equal(record(fresh, after), first)


def test_a_reset_would_lose_the_pending_commands(delayed):
    """Why the snapshot carries the queue: without it the segment starts at 0 V/N."""
    robot = delayed
    record(robot, commands(robot, 20, seed=1))
    state = robot.get_state()
    after = commands(robot, 5, seed=2)
    first = record(robot, after)
    robot.reset(q=state.q, qd=state.qd)
    assert not np.array_equal(record(robot, after)[:, 1:], first[:, 1:])


def test_state_is_plain_picklable_data(delayed):
    robot = delayed
    record(robot, commands(robot, 10))
    state = robot.get_state()
    assert isinstance(state, SimState)
    assert pickle.loads(pickle.dumps(state)) == state
    assert all(type(v) is float for v in state.q + state.qd + state.command)


def test_set_state_refuses_a_state_of_another_robot(delayed):
    state = delayed.get_state()
    with SimRobot("pendulum") as other, pytest.raises(RobotError, match="q and qd need 1"):
        other.set_state(state)
    with pytest.raises(RobotError, match="other_joints needs 0"):
        delayed.set_state(dataclasses.replace(state, other_joints=((0.0, 0.0),)))


def test_state_from_log_keeps_the_commands_of_the_delay_window():
    with SimRobot("pendulum", params={"delay.action": 0.05}) as robot:
        robot.reset(q=[0.3])
        actions = [[1.5], [-1.0], [0.5], [2.0], [-2.0], [1.0]]
        sent = []
        for u in actions:
            sent.append((robot.time, u))
            robot.act(u)
        live = robot.get_state()
        obs = robot.observe()
        built = state_from_log(obs.t, obs.q, obs.qd, sent, action_delay=0.05)
        assert built.command == live.command == (2.0,)  # sent at 0.06, due at 0.11 <= 0.12
        assert [u for _, u in built.pending] == [u for _, u in live.pending] == [(-2.0,), (1.0,)]
        for (due_b, _), (due_l, _) in zip(built.pending, live.pending, strict=True):
            assert due_b == pytest.approx(due_l, abs=1e-12)
        after = [[0.0]] * 8
        first = record(robot, np.array(after))
        robot.set_state(built)
        np.testing.assert_allclose(record(robot, np.array(after)), first, rtol=0, atol=1e-12)


def test_state_from_log_keeps_the_measurements_of_the_observation_delay():
    logged = [(0.02 * k, [0.1 * k], [float(k)]) for k in range(10)]  # samples up to t = 0.18
    state = state_from_log(0.2, [1.0], [10.0], [(0.18, [0.5])], action_delay=0.0,
                           measurements=logged,
                           observation_delay=0.05)
    assert [round(t, 9) for t, *_ in state.history] == [0.14, 0.16, 0.18, 0.2]
    with SimRobot("pendulum", params={"delay.observation": 0.05}) as robot:
        robot.set_state(state)
        obs = robot.observe()  # the logged state 0.05 s old, interpolated between samples
        assert round(obs.t, 9) == 0.15
        np.testing.assert_allclose([obs.q[0], obs.qd[0]], [0.75, 7.5], rtol=0, atol=1e-12)
        assert robot.get_state().q == (1.0,) and robot.time == 0.2
        robot.act([0.0])  # one period later it reports the state of 0.17 s
        assert round(robot.observe().t, 9) == 0.17


def test_state_from_log_refuses_commands_after_the_start_or_none():
    with pytest.raises(RobotError, match="after the start time"):
        state_from_log(1.0, [0.0], [0.0], [(1.5, [1.0])], action_delay=0.0)
    with pytest.raises(RobotError, match="no commands"):
        state_from_log(1.0, [0.0], [0.0], [], action_delay=0.0)


def test_pickled_copy_is_independent_with_equal_params_and_identical_steps(delayed):
    robot = delayed
    robot.set_params({"link.pendulum.mass" if robot.spec.name == "furuta" else "link.pole.mass":
                      robot.get("link.pendulum.mass" if robot.spec.name == "furuta"
                                else "link.pole.mass") * 1.7})
    record(robot, commands(robot, 10))
    copy = pickle.loads(pickle.dumps(robot))
    try:
        assert copy.client != robot.client
        assert copy.get_params() == robot.get_params()
        assert copy.get_state() == robot.get_state()
        after = commands(robot, 25, seed=3)
        np.testing.assert_array_equal(record(copy, after), record(robot, after))
        copy.close()
        robot.act(after[0])  # closing the copy leaves the original working
        assert robot.observe().q.shape == (robot.spec.n_joints,)
    finally:
        copy.close()


def test_pickled_copy_after_a_centre_of_mass_change_steps_identically():
    with SimRobot("pendulum") as robot:
        robot.set_params({"link.pole.com_z": robot.get("link.pole.com_z") * 1.2,
                          "link.pole.mass": 1.3})
        robot.reset(q=[1.0])
        with pickle.loads(pickle.dumps(robot)) as copy:
            after = commands(robot, 20)
            np.testing.assert_array_equal(record(copy, after), record(robot, after))


def test_rollouts_in_a_spawned_worker_match_in_process():
    with SimRobot("furuta", params=DELAYS) as robot:
        robot.reset(q=[0.1, 3.0])
        record(robot, commands(robot, 5))
        actions = commands(robot, 40, seed=4)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            remote = pool.submit(rollout, robot, actions).result(timeout=240)
        local = rollout(robot, actions)
        np.testing.assert_array_equal(remote.q, local.q)
        np.testing.assert_array_equal(remote.qd, local.qd)
        np.testing.assert_array_equal(remote.t, local.t)


def test_closed_robot_raises_robot_error_not_pybullet_error():
    robot = SimRobot("pendulum")
    robot.close()
    for call in (lambda: robot.act([0.0]), lambda: robot.reset(), robot.get_state,
                 lambda: robot.set_params({"link.pole.mass": 1.5})):
        with pytest.raises(RobotError, match="closed") as info:
            call()
        assert not isinstance(info.value, pb.error)
    with pytest.raises(RobotError, match="closed"):
        pickle.dumps(robot)


def test_rendering_a_closed_robot_is_a_robot_error():
    from s2r.sim.camera import default_pose, render_robot

    robot = SimRobot("pendulum")
    pose = default_pose(robot)
    robot.close()
    with pytest.raises(RobotError, match="render: the robot is closed"):
        render_robot(robot, 16, pose)
    with pytest.raises(RobotError, match="closed"):
        default_pose(robot)


def test_a_robot_with_hooks_or_filters_refuses_to_pickle():
    with SimRobot("pendulum") as robot:
        robot.add_substep_hook(print)
        with pytest.raises(RobotError, match="sub-step hooks or filters"):
            pickle.dumps(robot)
        robot.remove_substep_hook(print)
        robot.set_filters(measurement=lambda q, qd, s: (q, qd, s))
        with pytest.raises(RobotError, match="sub-step hooks or filters"):
            pickle.dumps(robot)
        robot.set_filters()
        pickle.loads(pickle.dumps(robot)).close()


def test_a_robot_unpickled_in_a_fresh_process_prints_no_pybullet_banner(tmp_path):
    """Worker processes (sysid, training) rebuild pickled robots; PyBullet's build-time
    banner must not land on their stderr, which the user sees."""
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "robot.pkl"
    with SimRobot("pendulum") as robot:
        path.write_bytes(pickle.dumps(robot))
    code = (f"import pickle; r = pickle.loads(open({str(path)!r}, 'rb').read()); "
            "print(type(r).__name__, len(r.observe().q)); r.close()")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["SimRobot", "1"]
    assert "build time" not in proc.stderr + proc.stdout
