"""The cheaper PyBullet calls and loads of the hot paths do exactly what the plain ones do."""

from __future__ import annotations

import math

import numpy as np
import pybullet as pb
import pybullet_data
import pytest

from s2r.robot import float_array
from s2r.sim import SimRobot
from s2r.sim.camera import render_robot
from s2r.sim.stepping import send_torques


def _cartpole(client: int) -> int:
    body = pb.loadURDF(f"{pybullet_data.getDataPath()}/cartpole.urdf", physicsClientId=client)
    pb.setGravity(0, 0, -9.81, physicsClientId=client)
    for j in (0, 1):
        pb.setJointMotorControl2(body, j, pb.VELOCITY_CONTROL, force=0.0, physicsClientId=client)
    pb.resetJointState(body, 1, 0.2, 0.0, physicsClientId=client)
    return body


def test_positional_torques_and_steps_are_the_keyword_calls_in_the_right_client():
    """send_torques (one joint: setJointMotorControl2 with positional arguments, several:
    the array call) and positional client ids move the body of the given client exactly as
    the keyword calls do, and leave another client's body alone."""
    clients = [pb.connect(pb.DIRECT) for _ in range(3)]
    try:
        other, fast, slow = clients
        bodies = [_cartpole(c) for c in clients]
        for k in range(200):
            f = 0.5 * math.sin(0.1 * k)
            send_torques(bodies[1], [0], [f], fast)
            pb.stepSimulation(fast)
            send_torques(bodies[1], [0, 1], [0.0, 0.01 * f], fast)  # the array call
            pb.stepSimulation(fast)
            pb.setJointMotorControlArray(bodies[2], [0], pb.TORQUE_CONTROL, forces=[f],
                                         physicsClientId=slow)
            pb.stepSimulation(physicsClientId=slow)
            pb.setJointMotorControlArray(bodies[2], [0, 1], pb.TORQUE_CONTROL,
                                         forces=[0.0, 0.01 * f], physicsClientId=slow)
            pb.stepSimulation(physicsClientId=slow)
        fast_states = pb.getJointStates(bodies[1], [0, 1], fast)
        assert fast_states == pb.getJointStates(bodies[2], [0, 1], physicsClientId=slow)
        assert abs(fast_states[0][0]) > 1e-3  # it moved
        untouched = pb.getJointStates(bodies[0], [0, 1], physicsClientId=other)
        assert [s[:2] for s in untouched] == [(0.0, 0.0), (0.2, 0.0)]
    finally:
        for c in clients:
            pb.disconnect(physicsClientId=c)


@pytest.mark.parametrize("values", [[0.5], [-0.0], [float("nan")], [1e-320, -math.inf],
                                    [0.1, 0.2, 0.3], []])
def test_float_array_is_np_array(values):
    a, b = float_array(values), np.array(values, dtype=np.float64)
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _com_rollout(robot: SimRobot, name: str) -> np.ndarray:
    robot.set(name, robot.get(name) + 0.003)
    robot.reset(q=[0.3, 0.2], qd=[0.0, 0.5])
    high = float(robot.spec.action_high[0])
    rows = []
    for k in range(40):
        robot.act([0.4 * high * math.sin(0.3 * k)])
        o = robot.observe()
        rows.append([o.t, *o.q, *o.qd])
    return np.array(rows)


@pytest.mark.parametrize("robot,com", [("furuta", "link.pendulum.com_z"),
                                       ("cartpole", "link.pole.com_z")])
def test_a_reload_without_shapes_keeps_the_motion_and_renderers_get_them_back(robot, com):
    """A centre-of-mass reload of a robot that nothing can touch leaves the visual and
    collision shapes out: the motion is that of a reload with them, bit for bit (inertia
    from the URDF or from the shapes); rendering asks for them, and the image is that of a
    robot built with that centre of mass."""
    with SimRobot(robot) as lean, SimRobot(robot) as full:
        full.need_shapes()
        a, b = _com_rollout(lean, com), _com_rollout(full, com)
        assert not lean._loaded.has_shapes and full._loaded.has_shapes
        np.testing.assert_array_equal(a, b)
        assert np.abs(a[:, 1:]).max() > 0.1  # a real motion
        value = lean.get(com)
        state = lean.get_state()
        image = render_robot(lean, 48)
        assert lean._loaded.has_shapes
        assert lean.get_state() == state  # the reload for the shapes kept the state
        with SimRobot(robot, params={com: value}) as built:
            built.set_state(state)
            np.testing.assert_array_equal(image, render_robot(built, 48))


def test_a_robot_that_can_touch_something_keeps_its_collision_shapes():
    """Another body in the client (or a floor, or contact links) keeps the collision shapes
    on a reload: contacts stay as they were."""
    with SimRobot("furuta") as robot:
        pb.loadURDF(f"{pybullet_data.getDataPath()}/plane.urdf", [0, 0, -2.0],
                    physicsClientId=robot.client)
        robot.set("link.pendulum.com_z", robot.get("link.pendulum.com_z") + 0.003)
        links = pb.getNumJoints(robot.body, physicsClientId=robot.client)
        boxes = [pb.getAABB(robot.body, j, physicsClientId=robot.client) for j in range(links)]
        # real collision shapes: the arm and the pendulum are 85 and 129 mm long (without
        # shapes PyBullet gives a 2 mm box)
        assert all(max(b - a for a, b in zip(lo, hi)) > 0.05 for lo, hi in boxes)


def test_act_floats_returns_the_command_a_filter_changed_in_place_as_it_was():
    """A command filter may change the robot's list in place (randomizers' pipelines do):
    act_floats returns the controller's clipped command, as act does."""
    def double(u: list[float]) -> list[float]:
        u[0] *= 2.0
        return u

    with SimRobot("pendulum") as a, SimRobot("pendulum") as b:
        for robot in (a, b):
            robot.set_filters(double)
        for u in (0.5, -0.7, 3.0):
            assert a.act_floats([u]).tolist() == b.act(np.array([u])).tolist() == [
                min(max(u, -2.0), 2.0)]
        np.testing.assert_array_equal(a.observe().qd, b.observe().qd)


def test_act_floats_is_act_with_two_actuators():
    """The several-actuator branches (clipping by comprehension, the array torque call, the
    rotors' sub-steps) give act's commands and motion bit for bit."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "double_pendulum.yaml"
    rng = np.random.default_rng(4)
    with SimRobot(path) as a, SimRobot(path) as b:
        a.reset(q=[0.3, -0.2])
        b.reset(q=[0.3, -0.2])
        for k in range(30):
            u = rng.uniform(-3.0, 3.0, 2)
            if k == 5:
                u[1] = np.nan
            x, y = a.act(u), b.act_floats(u.tolist())
            assert x.tobytes() == y.tobytes()
            assert a.observe().q.tobytes() == b.observe().q.tobytes()
        assert np.abs(a.observe().q - [0.3, -0.2]).max() > 0.01  # it moved
