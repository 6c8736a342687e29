"""Every parameter of every built-in robot really changes the simulation, and
setting it back restores the nominal rollout bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from s2r.config import builtin_names
from s2r.params import kind_of, owner_of
from s2r.sim import SimRobot

#: the built-in robots, and a double pendulum with a geared elbow motor riding on the upper arm
ROBOTS = [*builtin_names("robots"),
          str(Path(__file__).parent / "data" / "double_pendulum.yaml")]


def rollout(robot: SimRobot, seconds: float = 1.0) -> np.ndarray:
    """Two pushes, one each way, from moving start states; observations stacked."""
    rows = []
    high = robot.spec.action_high
    for sign in (1.0, -1.0):
        obs = robot.reset(q=0.3 * sign * np.ones(robot.spec.n_joints),
                          qd=0.5 * sign * np.ones(robot.spec.n_joints))
        steps = int(round(seconds * robot.spec.control_rate))
        for k in range(steps):
            u = sign * high * (0.6 + 0.4 * np.sin(7.0 * k / robot.spec.control_rate))
            robot.act(u)
            obs = robot.observe()
            rows.append(np.concatenate([[obs.t], obs.q, obs.qd, obs.sensors]))
    return np.array(rows)


def farthest_bound(param) -> float:
    return param.high if param.high - param.nominal >= param.nominal - param.low else param.low


#: values tried instead of the farthest bound, where that bound acts like "off"
#: (a low-pass far above the sample rate passes everything)
TRY = {"sensor.*.velocity_cutoff": 10.0}
#: parameters that act only with another one on: (partner family, its value)
NEEDS = {"joint.*.stribeck_velocity": ("joint.*.coulomb_smooth", 0.5)}


def tried_value(name: str, param) -> float:
    return TRY.get(kind_of(name), farthest_bound(param))


@pytest.fixture(scope="module", params=ROBOTS)
def robot_and_nominal(request):
    robot = SimRobot(request.param)
    yield robot, rollout(robot)
    robot.close()


def test_builtin_robots_exist():
    assert {"cartpole", "pendulum", "furuta"} <= set(ROBOTS)


def test_every_parameter_changes_the_rollout_and_restores_exactly(robot_and_nominal):
    robot, nominal = robot_and_nominal
    silent = []
    for name, param in robot.params.items():
        reference = nominal
        partner = NEEDS.get(kind_of(name))
        if partner is not None:  # compare with the partner on, in both rollouts
            partner_name = partner[0].replace("*", owner_of(name))
            robot.set(partner_name, partner[1])
            reference = rollout(robot)
        robot.set(name, tried_value(name, param))
        changed = rollout(robot)
        robot.set(name, param.nominal)
        if partner is not None:
            robot.set(partner_name, robot.params[partner_name].nominal)
        restored = rollout(robot)
        if changed.shape == reference.shape and np.max(np.abs(changed - reference)) < 1e-6:
            silent.append(name)
        np.testing.assert_array_equal(restored, nominal, err_msg=f"{name} did not restore")
    assert not silent, f"parameters without effect: {silent}"


def test_mass_scales_inertia_consistently():
    robot = SimRobot("pendulum")
    iyy = robot.get("link.pole.inertia_yy")
    robot.set("link.pole.mass", 2.0)
    assert robot.get("link.pole.inertia_yy") == pytest.approx(2 * iyy)
    robot.set("link.pole.mass", 1.0)
    assert robot.get("link.pole.inertia_yy") == iyy
    robot.close()


def test_inert_inertial_parameters_are_left_out():
    robot = SimRobot("cartpole")
    # a cart on a rail cannot rotate: its inertia and COM do nothing
    assert "link.cart.inertia_zz" in robot.inert_parameters
    assert "link.cart.inertia_zz" not in robot.params
    # the pole turns about y: only I_yy matters
    assert "link.pole.inertia_yy" in robot.params
    assert "link.pole.inertia_xx" not in robot.params
    robot.close()


def test_two_robots_in_one_process_do_not_interfere():
    a, b = SimRobot("cartpole"), SimRobot("cartpole")
    ref = rollout(b)
    a.set("link.pole.mass", 0.3)
    rollout(a)
    np.testing.assert_array_equal(rollout(b), ref)
    assert not np.array_equal(rollout(a), ref)
    a.close()
    b.close()


def test_out_of_bounds_and_unknown_parameters_are_refused():
    from s2r.errors import ParameterError

    robot = SimRobot("furuta")
    with pytest.raises(ParameterError, match="outside the bounds"):
        robot.set("link.pendulum.mass", -1.0)
    with pytest.raises(ParameterError, match="did you mean"):
        robot.set("link.pendulum.mas", 0.02)
    robot.close()


def test_action_delay_delays_the_effect():
    robot = SimRobot("pendulum")
    robot.set("delay.action", 0.04)  # two control periods at 50 Hz
    robot.reset()
    robot.act([2.0])
    robot.act([2.0])
    assert robot.observe().qd[0] == 0.0
    robot.act([2.0])
    assert robot.observe().qd[0] > 0.0
    robot.close()


def test_observation_delay_returns_old_measurements():
    robot = SimRobot("pendulum")
    robot.set("delay.observation", 0.04)
    robot.reset(q=[1.0])
    for _ in range(5):
        robot.act([0.0])
    obs = robot.observe()
    assert obs.t == pytest.approx(robot.time - 0.04)
    robot.close()


def test_dc_motor_current_sensor_follows_ohms_law():
    robot = SimRobot("furuta")
    robot.reset()
    robot.act([3.0])
    obs = robot.observe()
    km, rm = robot.get("motor.arm.torque_constant"), robot.get("motor.arm.resistance")
    assert obs.sensors[0] == pytest.approx((3.0 - km * obs.qd[0]) / rm)
    robot.close()


def test_reset_puts_the_joints_exactly_in_the_given_state():
    robot = SimRobot("furuta")
    obs = robot.reset(q=[0.25, -3.0], qd=[1.5, -0.5])
    assert obs.t == 0.0
    assert obs.q.tolist() == [0.25, -3.0] and obs.qd.tolist() == [1.5, -0.5]
    robot.act([1.0])
    assert robot.time == pytest.approx(0.01)
    robot.close()


def test_back_emf_brakes_the_arm_like_the_motor_equation():
    """With 0 V the motor shorts: torque = -km^2/Rm * qd (applied as joint damping)."""
    robot = SimRobot("furuta", params={"joint.arm.damping": 0.0, "joint.pendulum.damping": 0.0})
    robot.reset(qd=[10.0, 0.0])
    robot.act([0.0])
    fast = robot.observe().qd[0]
    robot.set("motor.arm.resistance", robot.params["motor.arm.resistance"].high)
    robot.reset(qd=[10.0, 0.0])
    robot.act([0.0])
    slow_brake = robot.observe().qd[0]
    assert fast < slow_brake < 10.0  # a larger resistance brakes less
    robot.close()


def test_mass_and_com_in_one_call_scale_the_inertia_like_separate_calls():
    """Regression: the COM reload used to recompute the inertia from the old value."""
    both = SimRobot("furuta")
    both.set_params({"link.pendulum.mass": 0.02592, "link.pendulum.com_z": -0.066})
    apart = SimRobot("furuta")
    apart.set("link.pendulum.mass", 0.02592)
    apart.set("link.pendulum.com_z", -0.066)
    assert both.get_params() == apart.get_params()
    assert both.get("link.pendulum.inertia_xx") == pytest.approx(3.3282e-05 * 0.02592 / 0.024)
    np.testing.assert_array_equal(rollout(both), rollout(apart))
    both.close()
    apart.close()
