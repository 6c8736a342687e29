"""What physics randomizers act on: anything with a table of named parameters.

:class:`~s2r.sim.SimRobot` is a :class:`ParameterTarget`. For a Gymnasium
environment written without s2r in mind, :class:`~randomizers.pybullet_target.PyBulletTarget`
exposes the same vocabulary (``link.<name>.mass``, ``joint.<name>.damping``,
``world.gravity``, ...) for bodies in a physics client the user points at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from s2r.params import ParameterTable


@runtime_checkable
class ParameterTarget(Protocol):
    """Named parameters that can be read and set on a live simulation."""

    params: ParameterTable

    def get(self, name: str) -> float: ...

    def get_params(self) -> dict[str, float]: ...

    def set_params(self, values: Mapping[str, float]) -> None: ...
