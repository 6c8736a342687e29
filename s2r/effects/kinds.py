"""Names, units, meanings and default bounds of the timing and sensing effect parameters.

Every effect is a named parameter like ``link.pole.mass``: one family per
effect (``sensor.*.resolution`` holds for every joint), registered into
:data:`s2r.params.KINDS` so that tables, reports and randomizers speak of it
by name.

>>> from s2r.robot import JointSpec
>>> spec = RobotSpec("slider", (JointSpec("cart", "prismatic"),), (), 50.0)
>>> [(p.name, p.unit) for p in effect_parameters(spec)][:2]
[('sensor.cart.resolution', 'm'), ('sensor.cart.velocity_cutoff', 'Hz')]
>>> EFFECT_KINDS["sensor.*.velocity_cutoff"][0]
'Hz'
"""

from __future__ import annotations

from collections.abc import Container

from s2r.effects.names import (
    BOUNDS,
    EFFECT_KINDS,
    JOINT_FAMILIES,
    MOTOR_FAMILIES,
    NOMINAL,
    SENSOR_FAMILIES,
)
from s2r.params import Parameter
from s2r.robot import RobotSpec


def sensor_owner(sensor: str) -> str:
    """The owner part of an extra sensor's parameter names: dots become underscores.

    >>> sensor_owner("current.arm")
    'current_arm'
    """
    return sensor.replace(".", "_")


def _unit(kind: str, joint_kind: str) -> str:
    unit = EFFECT_KINDS[kind][0]
    if joint_kind == "prismatic":
        return {"rad": "m", "rad/s": "m/s", "N*m": "N"}.get(unit, unit)
    return unit


def effect_parameters(spec: RobotSpec, existing: Container[str] = ()) -> list[Parameter]:
    """The effect parameters of a robot: per joint, per actuator, per extra sensor.

    Names in ``existing`` (a table that already defines them, e.g. the
    ``delay.*`` and ``motor.*.deadzone`` of a simulated robot) are skipped.
    Units follow the joint: rad for a revolute joint, m for a prismatic one.
    """
    owners: list[tuple[tuple[str, ...], str, str]] = []
    owners += [(JOINT_FAMILIES, j.name, j.kind) for j in spec.joints]
    owners += [(MOTOR_FAMILIES, a.joint, "") for a in spec.actuators]
    owners += [(SENSOR_FAMILIES, sensor_owner(s), "") for s in spec.sensors]
    out: list[Parameter] = []
    for families, owner, joint_kind in owners:
        for kind in families:
            name = kind.replace("*", owner)
            if name in existing:
                continue
            low, high = BOUNDS[kind]
            out.append(Parameter(name, NOMINAL.get(kind, 0.0), low, high,
                                 _unit(kind, joint_kind), EFFECT_KINDS[kind][1].format(owner)))
    return out
