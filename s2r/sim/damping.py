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

``(M^-1)_jj`` comes from PyBullet's mass matrix at a few sampled joint
positions (the worst one counts). PyBullet cannot compute it for links whose
principal inertias violate the triangle inequality (``Ixx + Iyy < Izz``); such
a robot counts as stiff.

>>> from s2r.sim import SimRobot
>>> with SimRobot("furuta") as furuta, SimRobot("pendulum") as pendulum:
...     furuta._stepper.stiff, pendulum._stepper.stiff
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from s2r.sim._pb import pb

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


def stiff_damping(mobilities: np.ndarray | None, damping: Sequence[float],
                  period: float) -> bool:
    """Whether the damping (per movable joint) is too stiff for the fast path, given the
    joints' :func:`mobility` (None: no mass matrix, counted as stiff)."""
    if not any(damping):
        return False
    if mobilities is None:
        return True
    return bool((np.asarray(damping, dtype=float) * period * mobilities).max() > MILD)
