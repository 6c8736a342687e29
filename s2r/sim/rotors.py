"""Geared motors: the rotor's reflected inertia on its joint and its coupling into the mount.

A motor with rotor inertia ``J`` (about its own axis) driving joint ``j`` through a gear of
ratio ``N`` spins at ``w_r = a . w_mount + N * qd_j``, where ``a`` is the joint axis and
``w_mount`` the angular velocity of the link the motor housing is bolted to. Its kinetic
energy ``J/2 * w_r**2`` adds ``J * v v^T`` to the mass matrix, with ``v = J_w,mount^T a + N e_j``
(``J_w,mount`` the mount's angular Jacobian). For a motor on the fixed base ``v = N e_j``: the
familiar reflected inertia ``J N^2`` on the joint alone. For a motor riding on a moving link
(the elbow motor of a double pendulum sits on the upper arm) ``v`` has entries on the joints
that move the mount too: the coupling that no inertia added to a link can reproduce.

PyBullet has no such term, so :class:`RotorDynamics` corrects the joint torques each physics
step: PyBullet integrates ``M qdd = tau_pb - h - C qd`` (``h``: gravity and Coriolis, ``C``:
joint damping it applies itself); sending

    ``tau_pb = h + C qd + M (M + M_r)^-1 (tau - h - C qd)``

makes its step integrate ``(M + M_r) qdd = tau - h - C qd`` exactly, with ``M`` and ``h`` from
PyBullet's own ``calculateMassMatrix`` and ``calculateInverseDynamics`` at the step's start.
Neglected: the rotor's gyroscopic terms (``dM_r/dt qd``), which vanish when the joints moving the
mount turn about axes parallel to the motor's (planar arms, SCARA, the double pendulum), and the
rotor inertia inside PyBullet's own constraints (Coulomb friction motors, contacts, limits).

>>> import numpy as np
>>> rotor = Rotor(dof=1, mount=0, inertia=2e-4, ratio=10.0)
>>> mount_jacobian = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])  # joint 0 turns it about y
>>> rotor_matrix([rotor], [mount_jacobian], [np.array([0.0, 1.0, 0.0])], 2).tolist()
[[0.0002, 0.002], [0.002, 0.02]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from s2r.sim._pb import pb


@dataclass(frozen=True)
class Rotor:
    """One geared motor: the degree of freedom it drives, its mount, inertia and ratio.

    ``dof`` is the index of the driven joint among the body's movable joints (PyBullet's
    degree-of-freedom order for a fixed base); ``mount`` the PyBullet link index of the link
    the motor is bolted to (-1: the base).
    """

    dof: int
    mount: int
    inertia: float
    ratio: float


def rotor_matrix(rotors: Sequence[Rotor], mount_jacobians: Sequence[np.ndarray],
                 axes: Sequence[np.ndarray], n_dof: int) -> np.ndarray:
    """``M_r = sum J v v^T`` with ``v = J_w,mount^T a + N e_dof`` for each rotor.

    ``mount_jacobians[i]`` is the 3 x n angular Jacobian of rotor i's mount (zeros for a fixed
    mount) and ``axes[i]`` its axis in world coordinates.
    """
    m = np.zeros((n_dof, n_dof))
    for rotor, jac, axis in zip(rotors, mount_jacobians, axes, strict=True):
        v = np.asarray(jac).T @ np.asarray(axis, dtype=float)
        v[rotor.dof] += rotor.ratio
        m += rotor.inertia * np.outer(v, v)
    return m


class RotorDynamics:
    """The torque correction for the geared motors of one body (see the module docstring).

    Args:
        client, body: the PyBullet client and body.
        joints: PyBullet indices of the body's movable joints, in index order (its dofs).
        rotors: the geared motors.
        shadow: makes a freshly loaded copy of the body as it is now, (client, body).
            PyBullet caches the model behind ``calculateMassMatrix`` and
            ``calculateInverseDynamics`` per body and never updates it after
            ``changeDynamics`` or a reload (bullet3 issue 4809), so a body whose parameters
            change must be computed on such a copy: it is made on first use and again after
            :meth:`invalidate`. Without ``shadow`` the body itself is used (right only if
            nothing changes it after the first calculation).
    """

    def __init__(self, client: int, body: int, joints: Sequence[int],
                 rotors: Sequence[Rotor],
                 shadow: Callable[[], tuple[int, int]] | None = None) -> None:
        self.client, self.body, self.joints = client, body, list(joints)
        self.rotors = [r for r in rotors if r.inertia > 0.0]
        self._shadow = shadow
        self._own: int | None = None  # the shadow client, when one is in use
        n = len(self.joints)
        self._zeros = [0.0] * n
        self._moving = [r.mount >= 0 and self._moves(r.mount) for r in self.rotors]
        # a rotor on a link no joint can move contributes a constant matrix
        fixed = [r for r, moving in zip(self.rotors, self._moving, strict=True) if not moving]
        self._constant = rotor_matrix(fixed, [np.zeros((3, n))] * len(fixed),
                                      [np.zeros(3)] * len(fixed), n)

    def invalidate(self) -> None:
        """The body's masses, inertias, centres of mass or gravity changed (or its copy was
        replaced by another use of the shadow): a new copy is made on next use."""
        self._own = None

    def _model(self) -> tuple[int, int]:
        """(client, body) to compute on: the up-to-date copy, or the body itself."""
        if self._shadow is None:
            return self.client, self.body
        if self._own is None:
            self._own, self._own_body = self._shadow()
        return self._own, self._own_body

    def _moves(self, link: int) -> bool:
        """Whether any movable joint lies on the chain from the base to ``link``."""
        while link >= 0:
            if link in self.joints:
                return True
            link = pb.getJointInfo(self.body, link, physicsClientId=self.client)[16]
        return False

    def matrix(self, q: Sequence[float]) -> np.ndarray:
        """``M_r`` at joint positions ``q``."""
        m = self._constant.copy()
        n = len(self.joints)
        c, body = self._model()
        if any(self._moving) and c != self.client:  # the copy's links follow q
            for j, qj in zip(self.joints, q, strict=True):
                pb.resetJointState(body, j, qj, 0.0, physicsClientId=c)
        for rotor, moving in zip(self.rotors, self._moving, strict=True):
            if not moving:
                continue
            _, ang = pb.calculateJacobian(body, rotor.mount, [0.0, 0.0, 0.0], list(q),
                                          self._zeros, self._zeros, physicsClientId=c)
            driven = self.joints[rotor.dof]
            orn = pb.getLinkState(body, driven, computeForwardKinematics=1,
                                  physicsClientId=c)[5]
            local = pb.getJointInfo(body, driven, physicsClientId=c)[13]
            axis = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3) @ np.array(local)
            m += rotor_matrix([rotor], [np.array(ang).reshape(3, n)], [axis], n)
        return m

    def torques(self, q: Sequence[float], qd: Sequence[float], tau: Sequence[float],
                damping: Sequence[float]) -> list[float]:
        """The torques to send so PyBullet's step integrates the model with the rotors.

        ``tau`` are the torques meant for every dof, ``damping`` the joint damping PyBullet
        applies itself (``jointDamping`` of each dof).
        """
        c, body = self._model()
        q, qd = list(q), list(qd)
        m = np.array(pb.calculateMassMatrix(body, q, physicsClientId=c))
        h = np.array(pb.calculateInverseDynamics(body, q, qd, self._zeros, physicsClientId=c))
        h += np.asarray(damping) * np.asarray(qd)
        qdd = np.linalg.solve(m + self.matrix(q), np.asarray(tau, dtype=float) - h)
        return (h + m @ qdd).tolist()
