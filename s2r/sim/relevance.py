"""Find inertial parameters that cannot change a robot's motion.

A cart on a rail cannot rotate, so its inertia tensor and centre of mass do
nothing; a pendulum on a y-axis hinge ignores its inertia about x and z and
its COM along y. Exposing such parameters would let randomizers and system
identification waste effort on quantities that silently do nothing, so
:class:`~s2r.sim.SimRobot` leaves them out of its table. The test is
numerical and works for any URDF: perturb each inertia component (and each
COM coordinate, by reloading) and compare a few physics steps from random
states under random torques. (PyBullet's inverse dynamics cannot be used: it
caches its model per body id and rejects a rotor inertia added to a link.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from s2r.params import kind_of
from s2r.sim._pb import pb

if TYPE_CHECKING:
    from s2r.sim.sim_robot import SimRobot


def _torques(robot: SimRobot, states: list[tuple[list[float], list[float], list[float]]]
             ) -> np.ndarray:
    """Joint states after 3 steps from each sampled (q, qd) under torques tau."""
    c, body, joints = robot.client, robot.body, robot._loaded.movable
    out = []
    for q, qd, tau in states:
        for j, qj, qdj in zip(joints, q, qd, strict=True):
            pb.resetJointState(body, j, qj, qdj, physicsClientId=c)
        for _ in range(3):
            pb.setJointMotorControlArray(body, joints, pb.TORQUE_CONTROL, forces=tau,
                                         physicsClientId=c)
            pb.stepSimulation(physicsClientId=c)
        out.append([s[:2] for s in pb.getJointStates(body, joints, physicsClientId=c)])
    return np.asarray(out, dtype=float)


def inert_inertial_parameters(robot: SimRobot, names: Iterable[str],
                              apply: Callable[[dict[str, float]], None],
                              samples: int = 6, rtol: float = 1e-9) -> list[str]:
    """Names among ``names`` (inertia/COM parameters) whose change moves no joint torque.

    ``apply(values)`` must set the given values on ``robot`` (reloading for COM).
    """
    rng = np.random.default_rng(12345)
    dof = len(robot._loaded.movable)
    states = [(rng.uniform(-np.pi, np.pi, dof).tolist(), rng.normal(0, 3, dof).tolist(),
               rng.normal(0, 1, dof).tolist()) for _ in range(samples)]
    base = _torques(robot, states)
    scale = max(float(np.abs(base).max()), 1e-12)
    inert = []
    for name in names:
        kind = kind_of(name)
        if not (kind.startswith("link.*.inertia_") or kind.startswith("link.*.com_")):
            continue
        nominal = robot._values[name]
        step = 0.5 * abs(nominal) if kind.startswith("link.*.inertia_") else 0.05
        apply({name: nominal + max(step, 1e-6)})
        changed = np.abs(_torques(robot, states) - base).max() > rtol * scale
        apply({name: nominal})
        if not changed:
            inert.append(name)
    return inert
