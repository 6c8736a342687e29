"""Actuator models: what force/torque a command produces at a joint.

Each actuator owns its named parameters (``motor.<joint>.*``) and turns a
command in its own unit into a joint force/torque, given the joint velocity,
at every physics sub-step. A geared actuator (``gear_ratio`` N, motor turns
per joint turn) multiplies its motor torque by N and turns N times faster than
the joint (a DC motor's back-EMF speed); its rotor inertia (``rotor_inertia``)
is simulated by :mod:`s2r.sim.rotors`.

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
    rotor_inertia: float | None = None  # None: not modelled
    gear_ratio: float | None = None  # None: direct drive

    def drive(self, command: float) -> float:
        """The velocity-independent part of the torque (motor torque times the gear)."""
        value = min(max(self.gain * command, -self.saturation), self.saturation)
        return value * self.gear_ratio if self.gear_ratio is not None else value

    def viscous(self) -> float:
        """Coefficient of the velocity-dependent part (torque = drive - viscous * qd)."""
        return 0.0

    def torque(self, command: float, velocity: float) -> float:
        return self.drive(command)

    def current(self, command: float, velocity: float) -> float:
        return math.nan

    def param_values(self) -> dict[str, float]:
        return {"gain": self.gain, "saturation": self.saturation, **_gear_values(self)}


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
    Through a gear of ratio ``N`` the joint gets ``N`` times the motor torque
    and the motor turns at ``N * qd``.
    """

    joint: str
    resistance: float = 8.4
    torque_constant: float = 0.042
    deadzone: float = 0.0
    voltage_limit: float = 5.0
    rotor_inertia: float | None = None  # None: not modelled
    gear_ratio: float | None = None  # None: direct drive

    def effective_voltage(self, command: float) -> float:
        u = deadzone(command, self.deadzone)
        limit = self.voltage_limit  # min(max(u, -limit), limit) bit for bit, NaN too; cheaper
        return -limit if u < -limit else limit if u > limit else u

    def current(self, command: float, velocity: float) -> float:
        u = self.effective_voltage(command)
        n = 1.0 if self.gear_ratio is None else self.gear_ratio
        return (u - self.torque_constant * n * velocity) / self.resistance

    def torque(self, command: float, velocity: float) -> float:
        n = 1.0 if self.gear_ratio is None else self.gear_ratio
        return n * self.torque_constant * self.current(command, velocity)

    def drive(self, command: float) -> float:
        """Joint torque at zero speed: ``N * km * u_eff / Rm``."""
        n = 1.0 if self.gear_ratio is None else self.gear_ratio
        return n * self.torque_constant * self.effective_voltage(command) / self.resistance

    def viscous(self) -> float:
        """Back-EMF acts as viscous damping ``(N km)^2 / Rm`` (applied as joint damping)."""
        nk = self.torque_constant * (1.0 if self.gear_ratio is None else self.gear_ratio)
        return nk * nk / self.resistance

    def param_values(self) -> dict[str, float]:
        return {"resistance": self.resistance, "torque_constant": self.torque_constant,
                "deadzone": self.deadzone, "voltage_limit": self.voltage_limit,
                **_gear_values(self)}


def _gear_values(actuator: DirectActuator | DCMotor) -> dict[str, float]:
    """``rotor_inertia`` and ``gear_ratio`` where the robot YAML models them."""
    out = {}
    if actuator.rotor_inertia is not None:
        out["rotor_inertia"] = actuator.rotor_inertia
    if actuator.gear_ratio is not None or actuator.rotor_inertia is not None:
        out["gear_ratio"] = 1.0 if actuator.gear_ratio is None else actuator.gear_ratio
    return out


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
        gear = ac.gear_ratio if ac.gear_ratio is not None or ac.rotor_inertia is None else 1.0
        if ac.type == "dc_motor":
            actuators.append(DCMotor(ac.joint, ac.resistance, ac.torque_constant,
                                     ac.deadzone, ac.voltage_limit or limit,
                                     ac.rotor_inertia, gear))
        else:
            unit = "N" if ac.type == "force" else "N*m"
            actuators.append(DirectActuator(ac.joint, ac.gain, ac.saturation or limit, unit,
                                            ac.rotor_inertia, gear))
    return actuators
