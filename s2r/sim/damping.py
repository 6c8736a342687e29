"""Whether joint damping is mild enough for PyBullet's one-call sub-steps.

Under ``numSubSteps = k`` PyBullet evaluates joint damping once per
``stepSimulation`` call and holds the torque ``-c * qd`` over all ``k``
sub-steps: explicit Euler over the whole control period ``T`` instead of
over each physics step. For a joint whose inverse effective inertia is
``(M^-1)_jj`` the damping removes the fraction ``a = c * T * (M^-1)_jj`` of its
speed per period; held over the period the error in that speed is about
``a^2 / 2``. Where ``a`` stays below :data:`MILD` (1 %), that error is far
below the integration error of the physics step itself, and the fast path is
used; otherwise (stiff damping on a light link, e.g. a DC motor's back-EMF on
the furuta's arm) SimRobot steps each sub-step.

``(M^-1)_jj`` is measured at a few sampled joint positions (the worst one
counts) by :class:`MobilityProbe`: on a copy of the body at rest, without
gravity or damping, a unit torque on joint ``j`` for one short step gives it
the speed ``h * (M^-1)_jj``. That is PyBullet's own forward dynamics, so it
needs no mass matrix (which PyBullet refuses for links whose principal
inertias violate the triangle inequality, ``Ixx + Iyy < Izz``, as the furuta's
pendulum does), and the copy is loaded once per centre-of-mass configuration:
new masses and inertias are copied onto it with ``changeDynamics``, which
forward dynamics follows (PyBullet's mass matrix does not: it caches its model
per body). A reset with randomized masses thus costs a few dozen PyBullet
calls instead of loading a URDF.

Why the damping is not corrected instead, so that stiff damping could take the
fast path too: the damping torque PyBullet holds is ``-c * qd`` at the start of
the period, while over the period ``qd`` changes mostly through the *other*
torques (the motor's drive, gravity, the coupled links), so the error is first
order in those and no rescaling of ``c`` removes it. Measured on the furuta
(1 s of random voltages from q = 0.2 rad, qd = 0.3 rad/s, max deviation of q and qd
from explicit sub-steps): fast path 0.198; ``c`` scaled by 0.97 / 0.99 / 1.01 / 1.03
(the range of ``(1 - exp(-a)) / a``, exact for pure damping): 0.238 / 0.197 / 0.206 /
0.221; scaling the motor torque by the same factor too: 0.127 at best; while halving
the timestep moves it 0.027. So the furuta keeps the explicit sub-steps.

>>> from s2r.sim import SimRobot
>>> with SimRobot("furuta") as furuta, SimRobot("pendulum") as pendulum:
...     furuta._stepper.stiff, pendulum._stepper.stiff
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from s2r.sim._pb import pb

if TYPE_CHECKING:
    from s2r.sim.loading import LoadedBody

#: largest fraction of a joint's speed the damping may remove in one control period
MILD = 0.01
_SAMPLES = 4


def inertias_valid(client: int, body: int, links: Sequence[int]) -> bool:
    for link in (-1, *links):
        i = pb.getDynamicsInfo(body, link, physicsClientId=client)[2]
        if i[0] + i[1] < i[2] or i[1] + i[2] < i[0] or i[0] + i[2] < i[1]:
            return False
    return True


def mobility(client: int, body: int, movable: Sequence[int]) -> np.ndarray | None:
    """The largest ``(M^-1)_jj`` of each movable joint over a few sampled positions, or None
    when PyBullet has no mass matrix for the body.

    ``body`` must be fresh in ``client`` (nothing changed since it was loaded): PyBullet's mass
    matrix comes from a model it caches per body and does not update (see
    :meth:`s2r.sim.loading.LoadedBody.shadow`).
    """
    if not inertias_valid(client, body, movable):
        return None
    rng = np.random.default_rng(0)
    worst = np.zeros(len(movable))
    for _ in range(_SAMPLES):
        q = rng.uniform(-np.pi, np.pi, len(movable)).tolist()
        try:
            m = np.array(pb.calculateMassMatrix(body, q, physicsClientId=client))
        except pb.error:
            return None
        worst = np.maximum(worst, np.diag(np.linalg.inv(m)))
    return worst


class MobilityProbe:
    """:func:`mobility` by forward dynamics on a copy of a loaded body (see the module doc).

    ``on_copy`` runs whenever the probe makes a new copy in the body's shadow client (other
    users of that client, e.g. :class:`~s2r.sim.rotors.RotorDynamics`, must then make
    theirs again).
    """

    #: length of the probing step, s (short: the probe's speeds stay far below any limit)
    STEP = 1e-6

    def __init__(self, loaded: LoadedBody, on_copy: Callable[[], None] = lambda: None) -> None:
        self.loaded = loaded
        self.on_copy = on_copy
        self._copy: tuple[int, Any, int, int] | None = None  # generation, com, client, body

    def measure(self, com: Mapping[str, Sequence[float]]) -> np.ndarray:
        """The largest ``(M^-1)_jj`` of each movable joint over :data:`_SAMPLES` positions
        (the same positions as :func:`mobility`, mapped into the joint limits)."""
        loaded = self.loaded
        key = tuple(sorted((k, tuple(v)) for k, v in com.items()))
        if (self._copy is None or self._copy[0] != loaded.shadow_generation
                or self._copy[1] != key):
            client, body = loaded.shadow(com)
            self.on_copy()
            self._copy = (loaded.shadow_generation, key, client, body)
        _, _, client, body = self._copy
        movable = loaded.movable
        self._prepare(client, body)
        limits = [pb.getJointInfo(body, j, physicsClientId=client)[8:10] for j in movable]
        rng = np.random.default_rng(0)
        worst = np.zeros(len(movable))
        for _ in range(_SAMPLES):
            q = [lo + (hi - lo) * (x + np.pi) / (2 * np.pi) if lo < hi else x
                 for x, (lo, hi) in zip(rng.uniform(-np.pi, np.pi, len(movable)).tolist(),
                                         limits, strict=True)]
            worst = np.maximum(worst, probe(client, body, movable, q, self.STEP))
        return worst

    def _prepare(self, client: int, body: int) -> None:
        """The live body's masses and inertias on the copy; no gravity, damping or motors."""
        live, c = self.loaded.body, self.loaded.client
        for link in range(-1, pb.getNumJoints(body, physicsClientId=client)):
            info = pb.getDynamicsInfo(live, link, physicsClientId=c)
            if info[0] > 0:
                pb.changeDynamics(body, link, mass=info[0], localInertiaDiagonal=info[2],
                                  physicsClientId=client)
            pb.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0,
                              physicsClientId=client)
        for j in self.loaded.movable:
            pb.changeDynamics(body, j, jointDamping=0.0, physicsClientId=client)
            pb.setJointMotorControl2(body, j, pb.VELOCITY_CONTROL, force=0.0,
                                     physicsClientId=client)
        pb.setGravity(0.0, 0.0, 0.0, physicsClientId=client)
        pb.setPhysicsEngineParameter(fixedTimeStep=self.STEP, numSubSteps=1,
                                     physicsClientId=client)


def probe(client: int, body: int, movable: Sequence[int], q: Sequence[float],
          step: float) -> list[float]:
    """``(M^-1)_jj`` of each movable joint at positions ``q``: the speed one step of a unit
    torque gives joint ``j`` from rest (no gravity, damping or motors on ``body``)."""
    out = []
    for j in movable:
        for k, qk in zip(movable, q, strict=True):
            pb.resetJointState(body, k, qk, 0.0, physicsClientId=client)
        pb.setJointMotorControlArray(body, [j], pb.TORQUE_CONTROL, forces=[1.0],
                                     physicsClientId=client)
        pb.stepSimulation(physicsClientId=client)
        out.append(pb.getJointState(body, j, physicsClientId=client)[1] / step)
    return out


def stiff_damping(mobilities: np.ndarray | None, damping: Sequence[float],
                  period: float) -> bool:
    """Whether the damping (per movable joint) is too stiff for the fast path, given the
    joints' mobility (:class:`MobilityProbe`; None: unknown, counted as stiff)."""
    if not any(damping):
        return False
    if mobilities is None:
        return True
    return bool((np.asarray(damping, dtype=float) * period * mobilities).max() > MILD)
