"""Smooth Coulomb friction: an explicit torque function of velocity, without sticking.

``joint.<j>.coulomb`` is PyBullet's dry friction with true sticking (the
joint holds still under any torque below it). Where sticking is not wanted
(gradient-based identification, smooth trajectories), ``joint.<j>.coulomb_smooth``
``F`` with velocity scale ``joint.<j>.stribeck_velocity`` ``v`` gives the torque
``-F * tanh(qd / v)``: it reaches 76 % of ``F`` at ``qd = v`` and is odd and
continuous in ``qd``.

>>> round(smooth_coulomb(0.01, 0.5, 0.01), 4), smooth_coulomb(0.0, 0.5, 0.01)
(-0.3808, -0.0)
"""

from __future__ import annotations

import math


def smooth_coulomb(velocity: float, force: float, velocity_scale: float) -> float:
    """Friction torque (or force) ``-force * tanh(velocity / velocity_scale)``."""
    return -force * math.tanh(velocity / velocity_scale)
