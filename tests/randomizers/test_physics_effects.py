"""Physics randomizers change the simulation the way physics says they should.

Each test samples a fixed value (a constant distribution) through RandomizedEnv
and compares the motion with a closed-form prediction, not just "it changed".
"""

from __future__ import annotations

import math

import numpy as np
import pybullet as pb
import pytest

from randomizers.registry import build_randomizers
from randomizers.wrapper import RandomizedEnv
from s2r.tasks import CartpoleSwingup, FurutaSwingup, PendulumSwingup


def run(env, q, qd=None, seconds=4.0, action=0.0):
    """Reset to (q, qd), hold ``action``; return (t, q) per control step (t=0 included)."""
    qd = np.zeros(len(q)) if qd is None else qd
    _, info = env.reset(seed=0, options={"state": (np.asarray(q), np.asarray(qd))})
    ts, qs = [info["t"]], [np.array(info["q"])]
    steps = round(seconds * env.unwrapped.spec_robot.control_rate)
    for _ in range(steps):
        _, _, _, _, info = env.step(np.array([action]))
        ts.append(info["t"])
        qs.append(np.array(info["q"]))
    return np.array(ts), np.array(qs), info


def wrapped(task_cls, entries, seed=0):
    return RandomizedEnv(task_cls(), build_randomizers(entries), seed=seed)


def cart_pole_period(robot) -> float:
    """Small oscillations of a hanging pole on a free cart (linearised Lagrangian)."""
    big_m, m = robot.get("link.cart.mass"), robot.get("link.pole.mass")
    i_c, d = robot.get("link.pole.inertia_yy"), robot.get("link.pole.com_z")
    g = robot.get("world.gravity")
    w2 = (big_m + m) * m * g * d / ((big_m + m) * (i_c + m * d * d) - (m * d) ** 2)
    return 2 * math.pi / math.sqrt(w2)


def test_pole_mass_changes_the_cart_pole_period_as_predicted(period):
    periods = {}
    for scale in (1.0, 3.0):
        env = wrapped(CartpoleSwingup, [{"type": "mass", "params": "link.pole.mass",
                                         "distribution": scale}])
        t, q, _ = run(env, [0.0, math.pi - 0.1])
        robot = env.ctx.robot
        periods[scale] = period(t, q[:, 1] - math.pi)
        assert robot.get("link.pole.mass") == pytest.approx(0.1 * scale)
        assert periods[scale] == pytest.approx(cart_pole_period(robot), rel=0.01)
        env.close()
    assert periods[3.0] < 0.95 * periods[1.0]  # 1.58 s -> 1.48 s


def test_inertia_is_rescaled_with_the_mass():
    env = wrapped(CartpoleSwingup, [{"type": "mass", "distribution": [0.5, 2.0]}], seed=3)
    robot = env.ctx.robot
    nominal = {n: robot.params[n].nominal for n in robot.params.match("link.pole.inertia_*")}
    for _ in range(3):
        _, info = env.reset()
        s = info["randomization"]["mass"]["values"]["link.pole.mass"] / 0.1
        for name, value in nominal.items():
            assert robot.get(name) == pytest.approx(s * value, rel=1e-12)
        dyn = pb.getDynamicsInfo(robot.body, robot.link_index("pole"),
                                 physicsClientId=robot.client)
        assert dyn[2][1] == pytest.approx(s * nominal["link.pole.inertia_yy"], rel=1e-9)
    env.close()


def decay_rate(t, q) -> float:
    """Exponential decay rate of the peaks of a damped oscillation (1/s)."""
    peaks = [i for i in range(1, len(q) - 1) if q[i] > q[i - 1] and q[i] >= q[i + 1]]
    return -float(np.polyfit(t[peaks], np.log(q[peaks]), 1)[0])


def test_joint_damping_decays_the_swing_at_c_over_2i():
    rates = {}
    for c in (0.01, 0.15):
        env = wrapped(PendulumSwingup, [{"type": "joint_damping", "operation": "abs",
                                         "distribution": c}])
        t, q, _ = run(env, [0.2], seconds=6.0)
        robot = env.ctx.robot
        i_pivot = robot.get("link.pole.inertia_yy") + robot.get("link.pole.mass") * 0.5**2
        rates[c] = decay_rate(t, q[:, 0])
        assert rates[c] == pytest.approx(c / (2 * i_pivot), rel=0.05)
        env.close()
    assert rates[0.15] > 10 * rates[0.01]


def test_coulomb_friction_makes_the_pendulum_stick():
    # gravity stiffness k = m g d = 4.905 N*m/rad; at 0.03 rad gravity gives 0.147 N*m
    k, q0 = 1.0 * 9.81 * 0.5, 0.03
    stuck = wrapped(PendulumSwingup, [{"type": "joint_friction", "distribution": 0.4}])
    _, q_stuck, _ = run(stuck, [q0], seconds=2.0)
    np.testing.assert_allclose(q_stuck[:, 0], q0, atol=1e-6)  # 0.4 > 0.147: never moves
    slips = wrapped(PendulumSwingup, [{"type": "joint_friction", "distribution": 0.1}])
    _, q_slip, _ = run(slips, [q0], seconds=2.0)
    # 0.1 < 0.147: one half swing about the shifted equilibrium Fc/k, then it sticks at
    # 2 Fc/k - q0 (inside the band |q| < Fc/k where friction holds it)
    assert q_slip[-1, 0] == pytest.approx(2 * 0.1 / k - q0, rel=0.03)
    assert np.all(np.abs(q_slip[-20:, 0] - q_slip[-1, 0]) < 1e-6)
    free = wrapped(PendulumSwingup, [])
    _, q_free, _ = run(free, [q0], seconds=2.0)
    assert q_free[:, 0].min() < -0.9 * q0  # without friction it swings through
    for env in (stuck, slips, free):
        env.close()


def arm_velocity_after_one_step(entries) -> float:
    env = wrapped(FurutaSwingup, entries)
    # action 1 (5 V) for one 10 ms step: 2 V applied after the 2 V/step rate limit
    _, q, info = run(env, [0.0, 0.0], seconds=0.01, action=1.0)
    env.close()
    return float(info["qd"][0])


@pytest.mark.parametrize("entry, ratio", [
    ({"type": "actuator", "params": "motor.arm.torque_constant", "distribution": 1.5}, 1.5),
    ({"type": "actuator", "params": "motor.arm.resistance", "distribution": 2.0}, 0.5),
    # a 1.5 V limit (0.3 x 5 V) cuts the 2 V command to 3/4
    ({"type": "motor_strength", "params": "motor.arm.voltage_limit", "distribution": 0.3}, 0.75),
])
def test_motor_constants_change_the_arm_acceleration_for_the_same_voltage(entry, ratio):
    nominal = arm_velocity_after_one_step([])
    changed = arm_velocity_after_one_step([entry])
    assert nominal > 0.1
    # torque = km * (u - km * qd) / R: proportional at rest; back-EMF adds < 2 % in 10 ms
    assert changed / nominal == pytest.approx(ratio, rel=0.02)


def test_gravity_scales_the_period_as_one_over_sqrt_g(period):
    periods = {}
    for scale in (1.0, 1.44):
        env = wrapped(PendulumSwingup, [{"type": "gravity", "distribution": scale}])
        t, q, _ = run(env, [0.1])
        periods[scale] = period(t, q[:, 0])
        assert env.ctx.robot.get("world.gravity") == pytest.approx(9.81 * scale)
        env.close()
    assert periods[1.0] / periods[1.44] == pytest.approx(1.2, rel=0.005)


def test_timestep_changes_the_number_of_substeps_not_the_physics(period):
    results = {}
    for scale in (1.0, 2.0):
        env = wrapped(PendulumSwingup, [{"type": "timestep", "distribution": scale}])
        robot = env.ctx.robot
        calls = []
        robot.add_substep_hook(lambda r: calls.append(r.time))
        t, q, _ = run(env, [0.5], seconds=3.0)
        results[scale] = (len(calls), period(t, q[:, 0]), q[:, 0])
        assert robot.get("world.timestep") == pytest.approx(0.002 * scale)
        env.close()
    assert results[1.0][0] == 2 * results[2.0][0] == 1500  # 10 vs 5 sub-steps per step
    assert results[1.0][1] == pytest.approx(results[2.0][1], rel=0.01)  # same pendulum...
    assert np.max(np.abs(results[1.0][2] - results[2.0][2])) > 1e-5  # ...integrated differently


def test_com_at_startup_reloads_the_model_and_changes_the_period(period):
    env = wrapped(PendulumSwingup, [{"type": "com", "params": "link.pole.com_z",
                                     "distribution": 0.2}])  # add: -0.5 m -> -0.3 m
    robot = env.ctx.robot
    t, q, info = run(env, [0.1])
    record = info["randomization"] if "randomization" in info else env.last_record
    assert record["com"]["values"]["link.pole.com_z"] == pytest.approx(-0.3)
    dyn = pb.getDynamicsInfo(robot.body, robot.link_index("pole"), physicsClientId=robot.client)
    assert dyn[3][2] == pytest.approx(-0.3)  # the reloaded body has the new COM
    m, g, d = robot.get("link.pole.mass"), robot.get("world.gravity"), 0.3
    i_pivot = robot.get("link.pole.inertia_yy") + m * d * d
    assert period(t, q[:, 0]) == pytest.approx(2 * math.pi * math.sqrt(i_pivot / (m * g * d)),
                                               rel=0.01)
    assert period(t, q[:, 0]) < 0.95 * 2 * math.pi * math.sqrt(
        (robot.get("link.pole.inertia_yy") + m * 0.25) / (m * g * 0.5))
    _, info = env.reset(seed=1)  # startup: not drawn again
    assert info["randomization"]["com"] == record["com"]
    env.close()
