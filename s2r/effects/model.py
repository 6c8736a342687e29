"""All timing and sensing effects of one robot, set by parameter name, stepped by time.

>>> import numpy as np
>>> from s2r.robot import ActuatorSpec, JointSpec, RobotSpec
>>> spec = RobotSpec("p", (JointSpec("hinge", "revolute"),),
...                  (ActuatorSpec("hinge", "hinge", "torque", -2.0, 2.0),), 50.0)
>>> fx = EffectModel(spec, sample_period=0.02)
>>> fx.set_params({"delay.action": 0.005, "motor.hinge.rate_limit": 10.0})
>>> fx.reset(0.0, (0.0,), (0.0,), (), np.random.default_rng(0))
((0.0,), (0.0,), ())
>>> fx.command(0.0, (1.0,))          # rate limit: 10/s * 0 s
(0.0,)
>>> fx.command(0.02, (1.0,))         # 10/s * 0.02 s
(0.2,)
>>> [round(fx.drive(t, 0.01)[0], 6) for t in (0.02, 0.03)]  # in force from 0.025 s
[0.1, 0.2]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from s2r.effects.actuation import RateLimiter
from s2r.effects.delay import CommandDelay, History
from s2r.effects.friction import smooth_coulomb
from s2r.effects.kinds import effect_parameters, sensor_owner
from s2r.effects.sensing import SensorModel, Values
from s2r.errors import ParameterError
from s2r.params import Parameter
from s2r.robot import RobotSpec


class EffectModel:
    """The effects of ``spec``'s robot; sensor samples every ``sample_period`` seconds.

    Args:
        spec: joints, actuators and extra sensors of the robot.
        sample_period: time between two :meth:`measure` calls (the velocity
            estimator's ``dt``).
        window: finite-difference span of the velocity estimate (default: one
            control period of ``spec``).
        aux: extra channels carried through the action delay unchanged (not
            rate limited), e.g. an enable flag.
    """

    def __init__(self, spec: RobotSpec, sample_period: float, window: float | None = None,
                 aux: int = 0) -> None:
        self.spec = spec
        n, m = spec.n_joints, len(spec.sensors)
        self.parameters: dict[str, Parameter] = {
            p.name: p for p in effect_parameters(spec)}
        for name in ("delay.action", "delay.observation"):
            self.parameters[name] = Parameter(name, 0.0, 0.0, 1.0, "s", name)
        self.actions = CommandDelay(spec.n_actions + aux)
        self.aux = aux
        self.limiter = RateLimiter([0.0] * spec.n_actions)
        self.history = History()
        self.sensing = SensorModel(n, m, sample_period,
                                   1.0 / spec.control_rate if window is None else window)
        self.friction_force = [0.0] * n
        self.friction_scale = [0.01] * n
        self._slots = self._index()
        self._values = {name: p.nominal for name, p in self.parameters.items()}
        self.set_params(self._values)

    def _index(self) -> dict[str, tuple[Any, int]]:
        """name -> (list or object holding the value, index)."""
        s, slots = self.sensing, {}
        for i, j in enumerate(self.spec.joint_names):
            slots[f"sensor.{j}.resolution"] = (s.resolution, i)
            slots[f"sensor.{j}.velocity_cutoff"] = (s.velocity_cutoff, i)
            slots[f"sensor.{j}.position_noise"] = (s.position_noise, i)
            slots[f"sensor.{j}.velocity_noise"] = (s.velocity_noise, i)
            slots[f"joint.{j}.coulomb_smooth"] = (self.friction_force, i)
            slots[f"joint.{j}.stribeck_velocity"] = (self.friction_scale, i)
        for i, a in enumerate(self.spec.actuators):
            slots[f"motor.{a.joint}.rate_limit"] = (self.limiter.rates, i)
        for i, name in enumerate(self.spec.sensors):
            slots[f"sensor.{sensor_owner(name)}.noise"] = (s.sensor_noise, i)
        return slots

    # ------------------------------------------------------------- parameters
    def set_params(self, values: Mapping[str, float]) -> None:
        """Set effect parameters by name (checked against their bounds first)."""
        checked = {name: self._param(name).check(v) for name, v in values.items()}
        for name, value in checked.items():
            self._values[name] = value
            if name == "delay.action":
                self.actions.delay = value
            elif name == "delay.observation":
                self.history.delay = value
            else:
                holder, i = self._slots[name]
                holder[i] = value

    def _param(self, name: str) -> Parameter:
        param = self.parameters.get(name)
        if param is None:
            raise ParameterError("not an effect parameter of this robot", where=name)
        return param

    def get_params(self) -> dict[str, float]:
        """The current value of every effect parameter."""
        return dict(self._values)

    def get(self, name: str) -> float:
        """The current value of one effect parameter."""
        self._param(name)
        return self._values[name]

    def retime(self, sample_period: float, window: float) -> None:
        """New sample period and velocity window (a new timestep or control rate).

        The velocity estimator restarts at the newest recorded state (at rest
        before it); parameter values are kept.
        """
        old, n = self.sensing, self.spec.n_joints
        self.sensing = SensorModel(n, len(self.spec.sensors), sample_period, window)
        for attr in ("resolution", "velocity_cutoff", "position_noise", "velocity_noise",
                     "sensor_noise"):
            setattr(self.sensing, attr, getattr(old, attr))
        self._slots = self._index()
        newest = self.history.newest()
        if newest is not None:
            self.sensing.reset(newest[:n], newest[n:2 * n])

    @property
    def identity(self) -> bool:
        """Whether every effect is off: commands and measurements pass through unchanged.

        A simulator may then skip the model in its hot path altogether.
        """
        return not any(v for k, v in self._values.items()
                       if not k.endswith(".stribeck_velocity"))

    @property
    def frictional(self) -> bool:
        """Whether any joint has smooth Coulomb friction (``friction()`` is not all zeros)."""
        return any(self.friction_force)

    # ------------------------------------------------------------------ steps
    def reset(self, t: float, q: Sequence[float], qd: Sequence[float],
              sensors: Sequence[float], rng: np.random.Generator,
              command: Sequence[float] | None = None) -> tuple[Values, Values, Values]:
        """Start at time ``t`` in state (q, qd); return its measurement.

        ``command`` (default zeros, aux channels included) is in force and
        was applied at ``t``; the velocity estimator starts as if it had been
        running at velocity ``qd``.
        """
        self.actions.reset(command)
        self.limiter.reset(t, None if command is None else command[:self.spec.n_actions])
        self.history.reset(t, (*q, *qd, *sensors))
        self.sensing.reset(q, qd)
        return self.measure(t, rng)

    def command(self, t: float, command: Sequence[float], extra_delay: float = 0.0,
                aux: Sequence[float] = ()) -> Values:
        """A command sent at ``t`` (once per control step); returns it after the rate limit.

        It acts ``delay.action + extra_delay`` later; ``aux`` rides along unchanged.
        """
        applied = self.limiter.limit(t, command)
        self.actions.push(t, (*applied, *aux) if aux else applied, max(extra_delay,
                                                                        -self.actions.delay))
        return applied

    def drive(self, t: float, dt: float) -> Values:
        """The command to apply over the physics sub-step ``[t, t + dt)`` (delayed average)."""
        return self.actions.average(t, t + dt)

    def friction(self, qd: Sequence[float]) -> list[float]:
        """Smooth Coulomb torque of every joint at velocities ``qd`` (add it to the drive)."""
        return [smooth_coulomb(v, f, s) if f else 0.0
                for v, f, s in zip(qd, self.friction_force, self.friction_scale)]

    def record(self, t: float, q: Sequence[float], qd: Sequence[float],
               sensors: Sequence[float] = ()) -> None:
        """The true state after a physics sub-step ending at ``t``."""
        self.history.append(t, (*q, *qd, *sensors))

    def measure(self, t: float, rng: np.random.Generator) -> tuple[Values, Values, Values]:
        """One sensor sample at ``t``: the true state of ``t - delay.observation``, measured."""
        n = self.spec.n_joints
        state = self.history.at(t)
        return self.sensing.sample(state[:n], state[n:2 * n], state[2 * n:], rng)

    def measured_time(self, t: float) -> float:
        """The time whose true state :meth:`measure` at ``t`` reports (``t - delay``,
        but not before the first recorded state)."""
        return self.history.time_at(t)

    # -------------------------------------------------------------- snapshots
    def snapshot(self) -> dict[str, Any]:
        """Everything that shapes the next steps, as plain data (parameters included)."""
        return {"params": dict(self._values), "actions": self.actions.snapshot(),
                "limiter": self.limiter.snapshot(), "history": self.history.snapshot(),
                "sensing": self.sensing.snapshot()}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Go back to a :meth:`snapshot`."""
        self.set_params(state["params"])
        self.actions.restore(state["actions"])
        self.limiter.restore(state["limiter"])
        self.history.restore(state["history"])
        self.sensing.restore(state["sensing"])


def counts_per_rev(resolution: float) -> int:
    """Encoder counts per revolution of a resolution in rad (0 if not a whole number).

    >>> counts_per_rev(2 * math.pi / 2048), counts_per_rev(0.0), counts_per_rev(0.001)
    (2048, 0, 0)
    """
    if resolution <= 0.0:
        return 0
    counts = 2.0 * math.pi / resolution
    return round(counts) if abs(counts - round(counts)) < 1e-6 * counts else 0
