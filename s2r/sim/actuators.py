"""Actuator models: what force/torque a command produces at a joint.

Each actuator owns its named parameters (``motor.<joint>.*``) and turns a
command in its own unit into a joint force/torque, given the joint velocity,
at every physics sub-step.

>>> m = DCMotor("arm", resistance=8.4, torque_constant=0.042, deadzone=0.0, voltage_limit=5.0)
>>> round(m.torque(5.0, 0.0), 6)     # stall torque at 5 V: km * u / Rm
0.025
>>> round(m.torque(5.0, 5.0 / 0.042), 9)  # no torque at no-load speed
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from s2r.effects.actuation import deadzone

if TYPE_CHECKING:
    from s2r.description import RobotDescription


@dataclass
class DirectActuator:
    """An ideal force or torque source: ``clip(gain * u, -saturation, saturation)``."""

    joint: str
    gain: float = 1.0
    saturation: float = 1.0
    unit: str = "N*m"

    def drive(self, command: float) -> float:
        """The velocity-independent part of the torque."""
        value = self.gain * command
        return min(max(value, -self.saturation), self.saturation)

    def viscous(self) -> float:
        """Coefficient of the velocity-dependent part (torque = drive - viscous * qd)."""
        return 0.0

    def torque(self, command: float, velocity: float) -> float:
        return self.drive(command)

    def current(self, command: float, velocity: float) -> float:
        return math.nan

    def param_values(self) -> dict[str, float]:
        return {"gain": self.gain, "saturation": self.saturation}


@dataclass
class DCMotor:
    """A voltage-driven DC motor with back-EMF, deadzone and driver saturation.

    ``torque = km * (u_eff - km * qd) / Rm`` where ``u_eff`` is the command
    with the deadzone removed (``|u| <= dz`` gives 0, otherwise
    ``u - sign(u) * dz``) and clipped to ``+-voltage_limit``. Armature
    inductance is neglected (its time constant is far below a control period).
    The simulation applies ``drive(u)`` as a torque and the back-EMF term
    ``viscous() * qd`` through PyBullet's joint damping, which is exactly an
    explicit ``-c * qd`` torque each physics step (s2r/sim/PHYSICS.md, section 4).
    """

    joint: str
    resistance: float = 8.4
    torque_constant: float = 0.042
    deadzone: float = 0.0
    voltage_limit: float = 5.0

    def effective_voltage(self, command: float) -> float:
        u = deadzone(command, self.deadzone)
        return min(max(u, -self.voltage_limit), self.voltage_limit)

    def current(self, command: float, velocity: float) -> float:
        u = self.effective_voltage(command)
        return (u - self.torque_constant * velocity) / self.resistance

    def torque(self, command: float, velocity: float) -> float:
        return self.torque_constant * self.current(command, velocity)

    def drive(self, command: float) -> float:
        """Torque at zero speed: ``km * u_eff / Rm``."""
        return self.torque_constant * self.effective_voltage(command) / self.resistance

    def viscous(self) -> float:
        """Back-EMF acts as viscous damping ``km^2 / Rm`` (applied as joint damping)."""
        return self.torque_constant * self.torque_constant / self.resistance

    def param_values(self) -> dict[str, float]:
        return {"resistance": self.resistance, "torque_constant": self.torque_constant,
                "deadzone": self.deadzone, "voltage_limit": self.voltage_limit}


Actuator = DirectActuator | DCMotor


def build_actuators(description: RobotDescription) -> list[Actuator]:
    """The actuator models of a robot description, in its order.

    >>> from s2r.description import load_robot_description
    >>> build_actuators(load_robot_description("furuta"))[0].voltage_limit
    5.0
    """
    actuators: list[Actuator] = []
    for ac in description.actuators:
        limit = max(abs(ac.low), abs(ac.high))
        if ac.type == "dc_motor":
            actuators.append(DCMotor(ac.joint, ac.resistance, ac.torque_constant,
                                     ac.deadzone, ac.voltage_limit or limit))
        else:
            unit = "N" if ac.type == "force" else "N*m"
            actuators.append(DirectActuator(ac.joint, ac.gain, ac.saturation or limit, unit))
    return actuators
