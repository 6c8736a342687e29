"""Geared motors: reflected rotor inertia with its coupling into a moving mount.

Reference: the same double pendulum integrated with RK4 at a tiny step, with the mass matrix
``M(q) + M_r`` built from PyBullet's own ``M(q)`` and the rotor term derived by hand. The
corrected PyBullet step must converge to it at first order (semi-implicit Euler); without the
correction it goes elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pybullet as pb
import pytest

from s2r.sim.rotors import Rotor, RotorDynamics

URDF = str(Path(__file__).parent / "data" / "double_pendulum.urdf")
J, N = 2e-4, 10.0
DAMPING = [0.01, 0.002]
Q0 = [1.0, -0.5]


def _client(dt: float) -> tuple[int, int]:
    c = pb.connect(pb.DIRECT)
    b = pb.loadURDF(URDF, useFixedBase=True, flags=pb.URDF_USE_INERTIA_FROM_FILE,
                    physicsClientId=c)
    for j in range(2):
        pb.setJointMotorControl2(b, j, pb.VELOCITY_CONTROL, force=0, physicsClientId=c)
        pb.changeDynamics(b, j, jointDamping=DAMPING[j], physicsClientId=c)
    for link in range(-1, 2):
        pb.changeDynamics(b, link, linearDamping=0, angularDamping=0, physicsClientId=c)
    pb.setGravity(0, 0, -9.81, physicsClientId=c)
    pb.setPhysicsEngineParameter(fixedTimeStep=dt, physicsClientId=c)
    return c, b


def _tau(t: float) -> np.ndarray:
    return np.array([0.0, 0.05 * np.sin(3 * t)])


def _simulate(dt: float, rotors: list[Rotor] | None, T: float = 1.0) -> np.ndarray:
    c, b = _client(dt)
    try:
        for j in range(2):
            pb.resetJointState(b, j, Q0[j], 0.0, physicsClientId=c)
        dyn = RotorDynamics(c, b, [0, 1], rotors) if rotors else None
        for k in range(round(T / dt)):
            states = pb.getJointStates(b, [0, 1], physicsClientId=c)
            q, qd = [s[0] for s in states], [s[1] for s in states]
            tau = _tau(k * dt)
            forces = dyn.torques(q, qd, tau, DAMPING) if dyn else tau.tolist()
            pb.setJointMotorControlArray(b, [0, 1], pb.TORQUE_CONTROL, forces=forces,
                                         physicsClientId=c)
            pb.stepSimulation(physicsClientId=c)
        return np.array([s[0] for s in pb.getJointStates(b, [0, 1], physicsClientId=c)])
    finally:
        pb.disconnect(c)


def _rk4(m_rotor: np.ndarray, T: float = 1.0, dt: float = 5e-5) -> np.ndarray:
    c, b = _client(dt)
    try:
        def f(t: float, x: np.ndarray) -> np.ndarray:
            q, qd = x[:2].tolist(), x[2:].tolist()
            m = np.array(pb.calculateMassMatrix(b, q, physicsClientId=c)) + m_rotor
            h = np.array(pb.calculateInverseDynamics(b, q, qd, [0.0, 0.0], physicsClientId=c))
            return np.concatenate([x[2:], np.linalg.solve(m, _tau(t) - h - DAMPING * x[2:])])

        x, t = np.array([*Q0, 0.0, 0.0]), 0.0
        for _ in range(round(T / dt)):
            k1 = f(t, x)
            k2 = f(t + dt / 2, x + dt / 2 * k1)
            k3 = f(t + dt / 2, x + dt / 2 * k2)
            k4 = f(t + dt, x + dt * k3)
            x, t = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4), t + dt
        return x[:2]
    finally:
        pb.disconnect(c)


def test_motor_on_the_moving_upper_arm_couples_both_joints():
    # the elbow motor (dof 1) is bolted to l1 (link 0), which joint 0 turns about the same axis
    reference = _rk4(J * np.array([[1.0, N], [N, N * N]]))
    rotors = [Rotor(dof=1, mount=0, inertia=J, ratio=N)]
    coarse = np.abs(_simulate(0.002, rotors) - reference).max()
    fine = np.abs(_simulate(0.001, rotors) - reference).max()
    without = np.abs(_simulate(0.001, None) - reference).max()
    assert fine < 0.6 * coarse  # first-order convergence to the reference: only step error
    assert fine < 0.02 * without  # the rotor changes the motion far more than the step error


def test_coupling_is_not_an_armature():
    """The armature model (J N^2 on the joint alone) misses the coupling into the mount."""
    coupled = _rk4(J * np.array([[1.0, N], [N, N * N]]))
    armature = _simulate(0.001, [Rotor(dof=1, mount=-1, inertia=J, ratio=N)])
    fine = _simulate(0.001, [Rotor(dof=1, mount=0, inertia=J, ratio=N)])
    assert np.abs(armature - coupled).max() > 10 * np.abs(fine - coupled).max()


def test_motor_on_the_base_is_the_reflected_inertia():
    dyn_client = _client(0.001)
    try:
        dyn = RotorDynamics(*dyn_client, [0, 1], [Rotor(dof=0, mount=-1, inertia=J, ratio=N)])
        np.testing.assert_allclose(dyn.matrix(Q0), [[J * N * N, 0.0], [0.0, 0.0]])
    finally:
        pb.disconnect(dyn_client[0])
    reference = _rk4(np.array([[J * N * N, 0.0], [0.0, 0.0]]))
    err = np.abs(_simulate(0.001, [Rotor(dof=0, mount=-1, inertia=J, ratio=N)]) - reference)
    assert err.max() < 0.6 * np.abs(_simulate(0.002, [Rotor(0, -1, J, N)]) - reference).max()


@pytest.mark.parametrize("mount", [-1, 0])
def test_a_rotor_without_inertia_changes_nothing(mount):
    c, b = _client(0.002)
    try:
        dyn = RotorDynamics(c, b, [0, 1], [Rotor(dof=1, mount=mount, inertia=0.0, ratio=N)])
        assert dyn.rotors == []
        np.testing.assert_array_equal(dyn.matrix(Q0), np.zeros((2, 2)))
    finally:
        pb.disconnect(c)
