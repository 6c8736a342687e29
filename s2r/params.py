"""Named physical parameters: the vocabulary every part of s2r speaks.

A :class:`Parameter` is one physical quantity of a robot with a stable dotted
name (``link.pole.mass``, ``joint.hinge.damping``, ``motor.arm.resistance``,
``delay.action``, ``world.gravity``), a nominal value, bounds, a unit and a
one-line meaning. Randomizers sample values for names, system identification
estimates them, the emulator's hidden truth is values for them, and gap
reports compare by them.

>>> table = ParameterTable([Parameter("link.pole.mass", 0.1, 0.01, 1.0, "kg", "pole mass")])
>>> table["link.pole.mass"].nominal
0.1
>>> table.check({"link.pole.mass": 2.0})
Traceback (most recent call last):
...
s2r.errors.ParameterError: link.pole.mass: 2.0 kg is outside the bounds [0.01, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from s2r.errors import ParameterError

#: Parameter name families: (prefix, suffix) -> (unit, meaning template).
KINDS: dict[str, tuple[str, str]] = {
    "link.*.mass": ("kg", "mass of link {0}"),
    "link.*.inertia_xx": ("kg*m^2", "principal inertia of link {0} about its inertial x axis"),
    "link.*.inertia_yy": ("kg*m^2", "principal inertia of link {0} about its inertial y axis"),
    "link.*.inertia_zz": ("kg*m^2", "principal inertia of link {0} about its inertial z axis"),
    "link.*.com_x": ("m", "centre of mass of link {0}, x in the link frame"),
    "link.*.com_y": ("m", "centre of mass of link {0}, y in the link frame"),
    "link.*.com_z": ("m", "centre of mass of link {0}, z in the link frame"),
    "link.*.lateral_friction": ("-", "lateral contact friction coefficient of link {0}"),
    "link.*.spinning_friction": ("m", "spinning contact friction of link {0}"),
    "link.*.rolling_friction": ("m", "rolling contact friction of link {0}"),
    "link.*.restitution": ("-", "contact restitution of link {0}"),
    "joint.*.damping": ("N*m*s/rad", "viscous damping of joint {0}"),
    "joint.*.coulomb": ("N*m", "Coulomb (dry) friction of joint {0}, with sticking"),
    "joint.*.armature": ("kg*m^2", "inertia added about joint {0}, for a joint with no "
                                   "motor model (geared motors: motor.*.rotor_inertia)"),
    "joint.*.lower_limit": ("rad", "lower position limit of joint {0}"),
    "joint.*.upper_limit": ("rad", "upper position limit of joint {0}"),
    "motor.*.gain": ("-", "force/torque per unit of command of actuator {0}"),
    "motor.*.saturation": ("N*m", "largest force/torque actuator {0} can produce"),
    "motor.*.resistance": ("ohm", "armature resistance of DC motor {0}"),
    "motor.*.torque_constant": ("N*m/A", "torque and back-EMF constant of DC motor {0}"),
    "motor.*.deadzone": ("V", "voltage below which DC motor {0} does not move"),
    "motor.*.voltage_limit": ("V", "largest voltage the driver of DC motor {0} applies"),
    "motor.*.rotor_inertia": ("kg*m^2", "inertia of the rotor of actuator {0} about its own "
                                        "axis (reflected by the gear, coupled into its mount)"),
    "motor.*.gear_ratio": ("-", "motor turns per joint turn of actuator {0} (scales its torque "
                                "and its back-EMF speed)"),
    "delay.action": ("s", "delay from a command to its effect on the actuators"),
    "delay.observation": ("s", "age of a measurement when the controller receives it"),
    "world.gravity": ("m/s^2", "magnitude of gravity, pointing down -z"),
    "world.timestep": ("s", "physics integration step"),
    "world.control_period": ("s", "time between two control actions"),
}


#: parsed names (parameter names are few; parameters are set at every reset)
_KINDS: dict[str, str] = {}
_OWNERS: dict[str, str | None] = {}


def kind_of(name: str) -> str:
    """The family of a parameter name, e.g. ``link.*.mass`` for ``link.pole.mass``.

    >>> kind_of("joint.hinge.damping")
    'joint.*.damping'
    >>> kind_of("world.gravity")
    'world.gravity'
    """
    kind = _KINDS.get(name)
    if kind is None:
        parts = name.split(".")
        kind = _KINDS[name] = f"{parts[0]}.*.{parts[2]}" if len(parts) == 3 else name
    return kind


def owner_of(name: str) -> str | None:
    """The link/joint/motor a parameter belongs to (``pole`` for ``link.pole.mass``)."""
    if name not in _OWNERS:
        parts = name.split(".")
        _OWNERS[name] = parts[1] if len(parts) == 3 else None
    return _OWNERS[name]


@dataclass(frozen=True)
class Parameter:
    """One named physical quantity: nominal value, bounds, unit and meaning."""

    name: str
    nominal: float
    low: float
    high: float
    unit: str = "-"
    meaning: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ParameterError(f"bounds must be finite, got [{self.low}, {self.high}]",
                                 where=self.name)
        if self.low > self.high:
            raise ParameterError(f"inverted bounds [{self.low}, {self.high}]", where=self.name)
        if not self.low <= self.nominal <= self.high:
            raise ParameterError(
                f"nominal {self.nominal} is outside the bounds [{self.low}, {self.high}]",
                where=self.name,
            )

    def check(self, value: float) -> float:
        """Return ``value`` as a float, or raise :class:`ParameterError` if out of bounds."""
        value = float(value)
        if not (self.low <= value <= self.high):  # also rejects NaN
            raise ParameterError(
                f"{value} {self.unit} is outside the bounds [{self.low}, {self.high}]",
                where=self.name,
            )
        return value


class ParameterTable(Mapping[str, Parameter]):
    """The ordered, read-only table of a robot's parameters, keyed by name."""

    def __init__(self, params: Iterable[Parameter]) -> None:
        self._params: dict[str, Parameter] = {}
        for param in params:
            if param.name in self._params:
                raise ParameterError("defined twice", where=param.name)
            self._params[param.name] = param

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._params[name]
        except KeyError:
            raise ParameterError(self._unknown_message(name), where=name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def _unknown_message(self, name: str) -> str:
        import difflib

        close = difflib.get_close_matches(name, self._params, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"unknown parameter{hint}"

    def nominal(self) -> dict[str, float]:
        """Nominal value of every parameter, in table order."""
        return {name: p.nominal for name, p in self._params.items()}

    def check(self, values: Mapping[str, float]) -> dict[str, float]:
        """Validate names and bounds of ``values``; return them as floats."""
        return {name: self[name].check(value) for name, value in values.items()}

    def match(self, pattern: str) -> list[str]:
        """Names matching a shell-style pattern, e.g. ``link.*.mass``.

        >>> t = ParameterTable([Parameter("link.a.mass", 1, 0, 2, "kg"),
        ...                     Parameter("link.b.mass", 1, 0, 2, "kg")])
        >>> t.match("link.*.mass")
        ['link.a.mass', 'link.b.mass']
        """
        from fnmatch import fnmatchcase

        return [name for name in self._params if fnmatchcase(name, pattern)]

    def rows(self) -> list[tuple[str, float, float, float, str, str]]:
        """(name, nominal, low, high, unit, meaning) for printing."""
        return [(p.name, p.nominal, p.low, p.high, p.unit, p.meaning)
                for p in self._params.values()]


@runtime_checkable
class ParameterTarget(Protocol):
    """Named parameters that can be read and set on a live simulation.

    :class:`~s2r.sim.SimRobot` is one; randomizers sample values for it and
    system identification fits values to it through a
    :class:`~s2r.param_vector.ParameterVector`.
    """

    params: ParameterTable

    def get(self, name: str) -> float: ...

    def get_params(self) -> dict[str, float]: ...

    def set_params(self, values: Mapping[str, float]) -> None: ...


# The timing and sensing effect families (delay.*, motor.*.deadzone/rate_limit, sensor.*,
# smooth friction): defined with their one implementation in s2r.effects.
from s2r.effects.names import EFFECT_KINDS  # noqa: E402

KINDS.update(EFFECT_KINDS)
