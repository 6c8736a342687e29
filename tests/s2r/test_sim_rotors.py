"""Geared motors in SimRobot: gear ratio, rotor inertia and the coupling into a moving mount.

The robot: tests/s2r/data/double_pendulum.yaml, whose elbow motor (j2, 10:1 gear) rides on
the upper arm l1. Reference: RK4 at a tiny step with the mass matrix ``M(q) + M_r``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pybullet as pb
import pytest
import yaml

from s2r.errors import ConfigError, RobotError
from s2r.sim import SimRobot

DATA = Path(__file__).parent / "data"
YAML = DATA / "double_pendulum.yaml"
J, N, DAMPING, Q0 = 2e-4, 10.0, np.array([0.01, 0.002]), [1.0, -0.5]


def commands(k: int) -> list[float]:
    return [0.5 * np.sin(0.2 * k), 0.05 * np.cos(0.3 * k)]


def variant(tmp_path: Path, edit: Callable[[dict], object], **top: object) -> Path:
    """A copy of the double pendulum YAML with ``edit`` applied."""
    config = copy.deepcopy(yaml.safe_load(YAML.read_text()))
    config["urdf"] = str(DATA / "double_pendulum.urdf")
    edit(config)
    config.update(top)
    path = tmp_path / f"robot{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def roll(robot: SimRobot | Path, periods: int = 50) -> np.ndarray:
    own = not isinstance(robot, SimRobot)
    sim = SimRobot(robot) if own else robot
    try:
        sim.reset(q=Q0)
        rows = []
        for k in range(periods):
            sim.act(commands(k))
            rows.append(sim.observe().q.copy())
        return np.array(rows)
    finally:
        if own:
            sim.close()


def rk4_reference(periods: int, dt: float = 5e-5) -> np.ndarray:
    """q after ``periods`` 10 ms periods of the commands, with the elbow rotor on l1."""
    c = pb.connect(pb.DIRECT)
    try:
        b = pb.loadURDF(str(DATA / "double_pendulum.urdf"), useFixedBase=True,
                        flags=pb.URDF_USE_INERTIA_FROM_FILE, physicsClientId=c)
        pb.setGravity(0, 0, -9.81, physicsClientId=c)
        m_rotor = J * np.array([[1.0, N], [N, N * N]])

        def f(tau: np.ndarray, x: np.ndarray) -> np.ndarray:
            q, qd = x[:2].tolist(), x[2:].tolist()
            m = np.array(pb.calculateMassMatrix(b, q, physicsClientId=c)) + m_rotor
            h = np.array(pb.calculateInverseDynamics(b, q, qd, [0.0, 0.0], physicsClientId=c))
            return np.concatenate([x[2:], np.linalg.solve(m, tau - h - DAMPING * x[2:])])

        x = np.array([*Q0, 0.0, 0.0])
        for k in range(periods):
            u = commands(k)
            tau = np.array([u[0], N * u[1]])  # the gear multiplies the elbow motor's torque
            for _ in range(round(0.01 / dt)):
                k1 = f(tau, x)
                k2 = f(tau, x + dt / 2 * k1)
                k3 = f(tau, x + dt / 2 * k2)
                k4 = f(tau, x + dt * k3)
                x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return x[:2]
    finally:
        pb.disconnect(c)


def test_elbow_motor_on_the_upper_arm_converges_to_the_coupled_model(tmp_path: Path) -> None:
    reference = rk4_reference(30)
    fine = np.abs(roll(YAML, 30)[-1] - reference).max()  # 1 ms physics step
    coarse = np.abs(roll(variant(tmp_path, lambda c: None, timestep=0.002), 30)[-1]
                    - reference).max()
    base = np.abs(roll(variant(tmp_path, lambda c: c["actuators"][1].update(mount="base")), 30)
                  [-1] - reference).max()
    assert fine < 0.6 * coarse  # only the first-order step error is left
    assert fine < 0.2 * base  # a motor on the base (no coupling) is another robot


def test_a_motor_on_a_fixed_mount_is_an_armature(tmp_path: Path) -> None:
    """J on a 10:1 gear on the base-driven joint j1 = armature J N^2 with a 10x torque."""
    rotor = variant(tmp_path, lambda c: c["actuators"][0].update(rotor_inertia=J, gear_ratio=N))
    armature = variant(tmp_path, lambda c: (c["joints"][0].update(armature=J * N * N),
                                            c["actuators"][0].update(gain=N, saturation=20.0)))
    np.testing.assert_allclose(roll(rotor), roll(armature), rtol=0, atol=1e-12)


def test_rotor_parameters_are_named_and_act(tmp_path: Path) -> None:
    with SimRobot(YAML) as robot:
        assert robot.get("motor.j2.rotor_inertia") == J and robot.get("motor.j2.gear_ratio") == N
        assert "motor.j1.rotor_inertia" not in robot.params  # not modelled on j1
        nominal = roll(robot)
        robot.set("motor.j2.rotor_inertia", 0.0)
        assert robot._stepper.rotors is None  # nothing left to correct
        assert np.abs(roll(robot) - nominal).max() > 0.1
        robot.set("motor.j2.rotor_inertia", J)
        np.testing.assert_array_equal(roll(robot), nominal)


def test_the_gear_scales_a_dc_motors_torque_and_back_emf(tmp_path: Path) -> None:
    path = variant(tmp_path, lambda c: c["actuators"][1].update(
        type="dc_motor", low=-6.0, high=6.0, resistance=2.0, torque_constant=0.01))
    with SimRobot(path) as robot:
        motor = robot.actuators[1]
        assert motor.drive(6.0) == pytest.approx(N * 0.01 * 6.0 / 2.0)
        assert motor.viscous() == pytest.approx((N * 0.01) ** 2 / 2.0)
        assert motor.current(6.0, 3.0) == pytest.approx((6.0 - 0.01 * N * 3.0) / 2.0)


@pytest.mark.parametrize("edit, error, message", [
    (lambda c: c["actuators"][1].update(gear_ratio=0.0), ConfigError, "gear_ratio: must be > 0"),
    (lambda c: c["actuators"][1].update(rotor_inertia=-1.0), ConfigError,
     "rotor_inertia: must be >= 0"),
    (lambda c: c["actuators"][0].update(mount="l2"), ConfigError, "only meaningful with"),
    (lambda c: c["actuators"][1].update(mount="nowhere"), RobotError, "mount 'nowhere'"),
])
def test_bad_gear_keys_are_named(tmp_path: Path, edit, error, message) -> None:
    with pytest.raises(error, match=message):
        SimRobot(variant(tmp_path, edit)).close()


@pytest.mark.parametrize("name, value", [("link.l1.mass", 2.0), ("link.l2.com_z", -0.3),
                                         ("world.gravity", 12.0)])
def test_the_correction_follows_parameter_changes(name: str, value: float) -> None:
    """PyBullet's mass matrix and inverse dynamics come from a model it caches per body and
    never updates after changeDynamics or a reload: a changed robot must move exactly like
    one built with the new value (the correction is computed on a fresh copy)."""
    with SimRobot(YAML) as changed:
        roll(changed, 5)  # the first calculations happen before the change
        changed.set(name, value)
        with SimRobot(YAML, params={name: value}) as fresh:
            np.testing.assert_array_equal(roll(changed), roll(fresh))
