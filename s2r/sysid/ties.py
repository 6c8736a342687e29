"""Tied parameters: moved in proportion to a free one instead of fitted on their own.

When the data identify only a combination (``km / Rm``), fixing one parameter is one
way out; tying is the other: ``tie={"motor.arm.torque_constant": "motor.arm.resistance"}``
keeps ``km / km_nominal == Rm / Rm_nominal``, so one free parameter carries both. A tied
value is ``nominal * leader / leader_nominal``, kept within its bounds (a value put back
on a bound is reported by :meth:`Ties.clipped`).

>>> from s2r.params import Parameter, ParameterTable
>>> from s2r.param_vector import ParameterVector
>>> table = ParameterTable([Parameter("motor.m.resistance", 8.0, 4.0, 16.0, "ohm"),
...                         Parameter("motor.m.torque_constant", 0.04, 0.02, 0.08, "N*m/A")])
>>> ties = Ties(ParameterVector(table, free=["motor.m.resistance"]),
...             {"motor.m.torque_constant": "motor.m.resistance"})
>>> values = ties.values(np.log([10.0]))
>>> round(values["motor.m.torque_constant"], 6)
0.05
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from s2r.errors import ConfigError
from s2r.param_vector import ParameterVector


@dataclass
class Ties:
    """A :class:`ParameterVector` plus ``follower -> leader`` ties (see the module doc)."""

    vec: ParameterVector
    ties: Mapping[str, str]

    def __post_init__(self) -> None:
        table = self.vec.table
        for follower, leader in self.ties.items():
            where = f"tie: {follower}"
            table[follower]  # unknown names: ParameterError
            table[leader]
            if follower in self.vec.names or follower in self.vec.fixed:
                raise ConfigError("a tied parameter cannot also be free or fixed", where=where)
            if leader not in self.vec.names:
                raise ConfigError(f"ties to {leader}, which is not a free parameter",
                                  where=where)
            if table[leader].nominal == 0.0:
                raise ConfigError(f"{leader} has nominal value 0: nothing to be proportional "
                                  "to", where=where)

    def values(self, x: np.ndarray) -> dict[str, float]:
        """Free, fixed and tied values of the vector ``x``."""
        out = self.vec.from_vector(x)
        table = self.vec.table
        for follower, leader in self.ties.items():
            p = table[follower]
            raw = p.nominal * out[leader] / table[leader].nominal
            out[follower] = min(max(raw, p.low), p.high)
        return out

    def clipped(self, x: np.ndarray) -> list[str]:
        """Tied parameters whose proportional value at ``x`` lies outside their bounds."""
        out = self.vec.from_vector(x)
        table = self.vec.table
        return [f for f, leader in self.ties.items()
                if not table[f].low <= table[f].nominal * out[leader] / table[leader].nominal
                <= table[f].high]
