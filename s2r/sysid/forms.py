"""Physical combinations of parameters that data typically identify when the parameters alone
are not: the forms :func:`s2r.sysid.identifiability.analyse` tries first.

A voltage-driven DC motor (through a gear of ratio ``N``) gives its joint the torque
``N km (u - N km qd) / Rm`` on top of the joint's own viscous damping ``b``: from
commands and positions only ``N km / Rm`` (torque per volt) and ``b + N^2 km^2 / Rm``
(the joint's total viscous damping, bearing plus back-EMF) can be seen, and
``N^2 km^2 / Rm`` alone once ``b`` is known. These are reported by name, meaning and
unit instead of an anonymous linear form.

>>> from s2r.robot import ActuatorSpec
>>> act = ActuatorSpec("arm", "arm", "dc_motor", -5.0, 5.0)
>>> forms = motor_forms([act], {"motor.arm.resistance": 8.0, "motor.arm.torque_constant": 0.04,
...                             "joint.arm.damping": 0.001})
>>> [(f.meaning, round(f({}), 6)) for f in forms]  # doctest: +NORMALIZE_WHITESPACE
[('torque per volt', 0.005), ('back-EMF damping', 0.0002),
 ('viscous damping of joint arm (bearing + back-EMF)', 0.0012)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Form:
    """A named function of parameter values; ``params`` are the names it reads."""

    name: str
    meaning: str
    unit: str
    params: tuple[str, ...]
    fn: Callable[[Mapping[str, float]], float]
    base: Mapping[str, float]

    def __call__(self, values: Mapping[str, float]) -> float:
        """The form at ``values`` (names not given: their ``base`` value)."""
        return self.fn({**self.base, **values})


def motor_forms(actuators: Sequence[Any], values: Mapping[str, float]) -> list[Form]:
    """Torque per volt, back-EMF damping and total viscous damping of every DC motor.

    ``values``: every parameter's value (the constants a form holds, the gear ratio)."""
    out: list[Form] = []
    for a in actuators:
        if a.kind != "dc_motor":
            continue
        rm, km = f"motor.{a.name}.resistance", f"motor.{a.name}.torque_constant"
        gear, b = f"motor.{a.name}.gear_ratio", f"joint.{a.joint}.damping"
        if rm not in values or km not in values:
            continue
        n = f"{gear} * " if gear in values else ""
        n2 = f"{gear}^2 * " if gear in values else ""

        def ratio(v: Mapping[str, float], rm: str = rm, km: str = km, g: str = gear) -> float:
            return v.get(g, 1.0) * v[km] / v[rm]

        def emf(v: Mapping[str, float], rm: str = rm, km: str = km, g: str = gear) -> float:
            return (v.get(g, 1.0) * v[km]) ** 2 / v[rm]

        base = dict(values)
        out.append(Form(f"{n}{km} / {rm}", "torque per volt", "N*m/V", (rm, km, gear),
                        ratio, base))
        out.append(Form(f"{n2}{km}^2 / {rm}", "back-EMF damping", "N*m*s/rad", (rm, km, gear),
                        emf, base))
        if b in values:
            out.append(Form(f"{b} + {n2}{km}^2 / {rm}",
                            f"viscous damping of joint {a.joint} (bearing + back-EMF)",
                            "N*m*s/rad", (rm, km, gear, b),
                            _plus(b, emf), base))
    return out


def motor_symmetries(actuators: Sequence[Any], names: Sequence[str],
                     values: Mapping[str, float]) -> list[np.ndarray]:
    """Directions in the fit's vector ``x`` (``log`` of resistance and torque constant, the
    damping as it is) that keep every DC motor's torque per volt and its joint's total
    viscous damping: ``d log km = d log Rm = 1``, ``d b = -N^2 km^2 / Rm``. Only for motors
    whose three parameters are all in ``names``.

    >>> from s2r.robot import ActuatorSpec
    >>> act = ActuatorSpec("arm", "arm", "dc_motor", -5.0, 5.0)
    >>> names = ["motor.arm.resistance", "motor.arm.torque_constant", "joint.arm.damping"]
    >>> motor_symmetries([act], names, {names[0]: 8.0, names[1]: 0.04, names[2]: 0.001})
    [array([ 1.e+00,  1.e+00, -2.e-04])]
    """
    out = []
    for a in actuators:
        rm, km = f"motor.{a.name}.resistance", f"motor.{a.name}.torque_constant"
        b = f"joint.{a.joint}.damping"
        if a.kind != "dc_motor" or not {rm, km, b} <= set(names):
            continue
        n = values.get(f"motor.{a.name}.gear_ratio", 1.0)
        d = np.zeros(len(names))
        d[list(names).index(rm)] = d[list(names).index(km)] = 1.0
        d[list(names).index(b)] = -((n * values[km]) ** 2) / values[rm]
        out.append(d)
    return out


def _plus(name: str, term: Callable[[Mapping[str, float]], float]
          ) -> Callable[[Mapping[str, float]], float]:
    """``values -> values[name] + term(values)``."""
    return lambda v: v[name] + term(v)
