"""Default bounds and units of a simulated robot's parameters.

Nominal values come from the loaded model (URDF + robot YAML); bounds come
from the rules below, wide enough for randomization and identification but
physically valid (no negative mass or friction), and a robot YAML may
override any of them under ``parameters:``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from s2r.errors import ConfigError, ParameterError
from s2r.params import KINDS, Parameter, ParameterTable, kind_of, owner_of

Bounds = Callable[[float], tuple[float, float]]


def _scale(lo: float, hi: float, floor: float = 0.0) -> Bounds:
    return lambda v: (v * lo, v * hi) if v > 0 else (0.0, floor)


def _upto(factor: float, floor: float) -> Bounds:
    return lambda v: (0.0, max(factor * v, floor))


def _around(rel: float, floor: float) -> Bounds:
    return lambda v: (v - max(rel * abs(v), floor), v + max(rel * abs(v), floor))


def _limit(v: float) -> tuple[float, float]:
    return (min(0.1 * v, 1.5 * v), max(0.1 * v, 1.5 * v))


RULES: dict[str, Bounds] = {
    "link.*.mass": _scale(0.25, 4.0),
    "link.*.inertia_xx": _scale(0.25, 4.0),
    "link.*.inertia_yy": _scale(0.25, 4.0),
    "link.*.inertia_zz": _scale(0.25, 4.0),
    "link.*.com_x": _around(0.5, 0.02),
    "link.*.com_y": _around(0.5, 0.02),
    "link.*.com_z": _around(0.5, 0.02),
    "link.*.lateral_friction": _upto(4.0, 2.0),
    "link.*.spinning_friction": _upto(4.0, 0.1),
    "link.*.rolling_friction": _upto(4.0, 0.1),
    "link.*.restitution": lambda v: (0.0, 1.0),
    "joint.*.damping": _upto(10.0, 0.01),
    "joint.*.coulomb": _upto(10.0, 0.01),
    "joint.*.armature": _upto(10.0, 1e-4),
    "joint.*.lower_limit": _limit,
    "joint.*.upper_limit": _limit,
    "motor.*.gain": _scale(0.5, 2.0),
    "motor.*.saturation": _scale(0.25, 1.0),
    "motor.*.resistance": _scale(0.5, 2.0),
    "motor.*.torque_constant": _scale(0.5, 2.0),
    "motor.*.deadzone": _upto(4.0, 0.5),
    "motor.*.voltage_limit": _scale(0.25, 1.0),
    "motor.*.rotor_inertia": _upto(4.0, 1e-5),
    "motor.*.gear_ratio": _scale(0.5, 2.0),
    "delay.action": _upto(4.0, 0.05),
    "delay.observation": _upto(4.0, 0.05),
    "world.gravity": _scale(0.5, 1.5),
    "world.timestep": _scale(0.25, 2.0),
    "world.control_period": _scale(0.5, 2.0),
}

#: Units that differ for prismatic joints / force actuators.
PRISMATIC_UNITS = {"joint.*.damping": "N*s/m", "joint.*.coulomb": "N",
                   "joint.*.lower_limit": "m", "joint.*.upper_limit": "m"}


def build_table(nominal: Mapping[str, float], units: Mapping[str, str],
                overrides: Mapping[str, object], where: str,
                effects: Iterable[Parameter] = ()) -> ParameterTable:
    """One :class:`Parameter` per nominal value, with default bounds and YAML overrides.

    ``effects`` are the timing and sensing effect parameters (:mod:`s2r.effects`),
    with their own default bounds; YAML overrides apply to them too.
    """
    effects = list(effects)
    rules = {p.name: (lambda v, p=p: (p.low, p.high)) for p in effects}
    nominal = {**nominal, **{p.name: p.nominal for p in effects}}
    units = {**{p.name: p.unit for p in effects}, **units}
    meanings = {p.name: p.meaning for p in effects}
    unknown = sorted(set(overrides) - set(nominal))
    if unknown:
        raise ConfigError(f"parameters.{unknown[0]}: this robot has no such parameter", where=where)
    params = []
    for name, value in nominal.items():
        kind = kind_of(name)
        if name in meanings:
            unit, meaning = units[name], meanings[name]
        else:
            unit, meaning = KINDS[kind]
            meaning = meaning.format(owner_of(name))
        low, high = (rules.get(name) or RULES[kind])(value)
        low, high = min(low, value), max(high, value)
        override = overrides.get(name)
        if override is not None:
            value = _pick(override.nominal, value)  # type: ignore[attr-defined]
            low = _pick(override.low, min(low, value))  # type: ignore[attr-defined]
            high = _pick(override.high, max(high, value))  # type: ignore[attr-defined]
        if kind == "link.*.mass" and low <= 0 < value:
            raise ConfigError(f"parameters.{name}: low bound must be > 0", where=where)
        try:
            params.append(Parameter(name, float(value), float(low), float(high),
                                    units.get(name, unit), meaning))
        except ParameterError as err:
            raise ConfigError(f"parameters.{name}: {err.message}", where=where) from None
    return ParameterTable(params)


def _pick(value: float | None, default: float) -> float:
    return default if value is None else value
