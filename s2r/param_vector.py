"""Named parameter values <-> the flat vector an optimiser works on.

System identification searches over some parameters (``free``) while others
are held at given values (``fixed``) and the rest stay nominal. A
:class:`ParameterVector` maps between a dict of named values and a NumPy
vector of the free ones, in table order. Strictly positive quantities (lower
bound > 0: masses, inertias, resistances) are represented by their logarithm,
so a step means the same relative change at any scale and the optimiser can
never make them negative; the others (damping from 0, positions, limits) are
linear. Bounds are given in vector space too.

>>> from s2r.params import Parameter, ParameterTable
>>> table = ParameterTable([Parameter("link.pole.mass", 0.1, 0.05, 0.4, "kg"),
...                         Parameter("joint.hinge.damping", 0.0, 0.0, 0.1, "N*m*s/rad"),
...                         Parameter("world.gravity", 9.81, 4.9, 14.7, "m/s^2")])
>>> vec = ParameterVector(table, free=["link.*", "joint.*"], fixed={"world.gravity": 9.8})
>>> vec.names, vec.log.tolist()
(['link.pole.mass', 'joint.hinge.damping'], [True, False])
>>> x = vec.to_vector({"link.pole.mass": 0.2, "joint.hinge.damping": 0.01})
>>> round(float(x[0]), 6), float(x[1])
(-1.609438, 0.01)
>>> values = vec.from_vector(x)
>>> round(values["link.pole.mass"], 12), values["world.gravity"]
(0.2, 9.8)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from s2r.errors import ParameterError
from s2r.params import ParameterTable


class ParameterVector:
    """The free parameters of a table as a vector (log scale where strictly positive).

    Args:
        table: the parameter table (names, nominal values, bounds).
        free: names or shell-style globs (``link.*.mass``) of the parameters in
            the vector; ``None``: every parameter that is not fixed. A name or
            glob that matches nothing is an error.
        fixed: parameters held at given values (checked against their bounds).
    """

    def __init__(self, table: ParameterTable, free: Iterable[str] | None = None,
                 fixed: Mapping[str, float] | None = None) -> None:
        self.table = table
        self.fixed = table.check(fixed or {})  # unknown names / out of bounds: ParameterError
        if free is None:
            chosen = {n for n in table if n not in self.fixed}
        else:
            chosen = set()
            for pattern in free:
                matched = table.match(pattern) if _is_glob(pattern) else [table[pattern].name]
                if not matched:
                    raise ParameterError("matches no parameter", where=f"free: {pattern}")
                chosen.update(matched)
        both = sorted(chosen & set(self.fixed))
        if both:
            raise ParameterError("is both free and fixed", where=both[0])
        #: free parameter names, in table order
        self.names = [n for n in table if n in chosen]
        params = [table[n] for n in self.names]
        #: True where the vector holds log(value) (lower bound > 0)
        self.log = np.array([p.low > 0 for p in params], dtype=bool)
        low = np.array([p.low for p in params], dtype=float)
        high = np.array([p.high for p in params], dtype=float)
        self._value_bounds = (low, high)
        self.low = np.where(self.log, np.log(np.where(self.log, low, 1.0)), low)
        self.high = np.where(self.log, np.log(np.where(self.log, high, 1.0)), high)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def free_mask(self) -> np.ndarray:
        """Over the table's names: True for the free parameters."""
        names = set(self.names)
        return np.array([n in names for n in self.table], dtype=bool)

    @property
    def fixed_mask(self) -> np.ndarray:
        """Over the table's names: True for the fixed parameters."""
        return np.array([n in self.fixed for n in self.table], dtype=bool)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of the vector (logarithms of the bounds where log scaled)."""
        return self.low.copy(), self.high.copy()

    def to_vector(self, values: Mapping[str, float]) -> np.ndarray:
        """The vector of the free parameters' values (every free name must be given).

        >>> from s2r.params import Parameter, ParameterTable
        >>> vec = ParameterVector(ParameterTable([Parameter("link.a.mass", 1.0, 0.5, 2.0)]))
        >>> vec.to_vector({})
        Traceback (most recent call last):
        ...
        s2r.errors.ParameterError: link.a.mass: no value given
        """
        out = np.empty(len(self.names))
        for i, name in enumerate(self.names):
            if name not in values:
                raise ParameterError("no value given", where=name)
            value = self.table[name].check(values[name])
            out[i] = math.log(value) if self.log[i] else value
        return out

    def nominal(self) -> np.ndarray:
        """The vector of nominal values."""
        return self.to_vector(self.table.nominal())

    def from_vector(self, x: Sequence[float] | np.ndarray) -> dict[str, float]:
        """Named values of a vector (free parameters), plus the fixed ones.

        A vector within :meth:`bounds` gives values within the parameter bounds
        (``exp(log(high))`` may round above ``high``; such values are put back on the
        bound). Outside them values are not clipped: ``table.check`` refuses them.
        """
        arr = np.asarray(x, dtype=float)
        if arr.shape != (len(self.names),):
            raise ParameterError(f"a vector of {len(self.names)} values is needed, got shape "
                                 f"{arr.shape}", where="ParameterVector")
        values = np.where(self.log, np.exp(np.where(self.log, arr, 0.0)), arr)
        inside = self.log & (arr >= self.low) & (arr <= self.high)
        values = np.where(inside, np.clip(values, *self._value_bounds), values)
        out = dict(zip(self.names, values.tolist(), strict=True))
        out.update(self.fixed)
        return out

    def values(self, x: Sequence[float] | np.ndarray) -> dict[str, float]:
        """Every parameter of the table: nominal, then the fixed and free values."""
        out = self.table.nominal()
        out.update(self.from_vector(x))
        return out

    def __repr__(self) -> str:
        return f"ParameterVector({len(self.names)} free, {len(self.fixed)} fixed)"


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")
