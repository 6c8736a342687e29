"""What physics randomizers act on: anything with a table of named parameters.

:class:`~s2r.sim.SimRobot` is a :class:`ParameterTarget`. For a Gymnasium
environment written without s2r in mind, :class:`~randomizers.pybullet_target.PyBulletTarget`
exposes the same vocabulary (``link.<name>.mass``, ``joint.<name>.damping``,
``world.gravity``, ...) for bodies in a physics client the user points at.
The protocol lives in :mod:`s2r.params`, where system identification uses it too.
"""

from __future__ import annotations

from s2r.params import ParameterTarget

__all__ = ["ParameterTarget"]
