"""The emulated robot's body: a SimRobot with the truth values, plus the settings of a bench.

:class:`Plant` steps a :class:`~s2r.sim.SimRobot` of the robot, loaded with the
hidden truth (:mod:`hardware.emulator.truth`), one physics step (a *tick*) at
a time. Every effect of the truth is a parameter value of that SimRobot and
acts through the SimRobot's own effects (:mod:`s2r.effects` has the formulas),
so a simulation with the same values measures the same; the Plant adds only
what is a bench setting, not a robot property: the per-command jitter of the
actuation latency and a driver that coasts when disabled. In detail:

- actuation latency: an output change acts ``delay.action`` plus a uniform
  jitter (drawn per change) later, at any resolution: a tick that the change
  falls into gets the time-weighted mean of the old and new outputs;
- the command rate limit ``motor.<j>.rate_limit`` (the output slews to a new
  value tick by tick);
- smooth Coulomb friction ``joint.<j>.coulomb_smooth`` (a joint torque added
  each tick at the velocity the tick starts with);
- a driver that coasts when disabled (a DC motor's H-bridge goes idle: no
  current, no back-EMF braking);
- encoders and the firmware's estimates: ``sensor.<j>.resolution``,
  ``sensor.<j>.position_noise``, finite-difference velocities over one
  control period low-pass filtered at ``sensor.<j>.velocity_cutoff``,
  ``sensor.<j>.velocity_noise``, and ``sensor.<s>.noise`` on extra sensors;
- measurement age: the firmware sees the state ``delay.observation`` old
  (interpolated between ticks), measured as above.

All randomness comes from the numpy Generator passed in.

>>> import numpy as np
>>> plant = Plant("pendulum", "nominal", rng=np.random.default_rng(0), encoder_cpr=4096)
>>> plant.command((1.0,), enabled=True)
>>> plant.advance_to(0.2)
>>> q, qd, _ = plant.measurement()
>>> round(q[0] / (2 * np.pi / 4096), 6).is_integer(), plant.time, plant.counts_per_rev
(True, 0.2, 4096)
>>> plant.close()
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hardware.emulator.truth import SETTINGS, SHORTCUTS, Effects, load_truth, truth_table
from s2r.effects import EffectModel, counts_per_rev, sensor_owner
from s2r.errors import ConfigError, ParameterError
from s2r.robot import RobotSpec
from s2r.sim import SimRobot, load_robot_description
from s2r.sim.actuators import DCMotor

Measurement = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
_DELAYS = ("delay.action", "delay.observation")


class Plant:
    """A SimRobot of ``robot`` with the truth ``truth``, stepped tick by tick.

    Args:
        robot: built-in robot name or path to a robot YAML.
        truth: ``bench``, ``nominal`` or a path to a truth YAML.
        rng: the generator of every random draw (noise, jitter).
        control_rate: the host's control rate (velocity window); None: the robot's.
        **effects: overrides (None values are ignored) of the truth's settings
            (``action_jitter``, ``comm_latency``, ``comm_jitter``) and shortcuts that
            set a parameter of every joint: ``encoder_cpr`` (revolute joints'
            ``sensor.<j>.resolution = 2*pi/cpr``), ``linear_resolution`` (prismatic
            joints'), ``velocity_filter`` (per-tick low-pass weight ``a``:
            ``sensor.<j>.velocity_cutoff = -ln(a) / (2*pi*tick)``),
            ``position_noise``, ``velocity_noise`` and ``sensor_noise``.
    """

    def __init__(self, robot: str | os.PathLike[str], truth: str = "bench", *,
                 rng: np.random.Generator, control_rate: float | None = None,
                 **effects: Any) -> None:
        desc = load_robot_description(robot)
        self.control_period = 1.0 / (control_rate or desc.control_rate)
        # one act() = one physics step, so actions and measurements act on every tick
        self.sim = SimRobot(robot, overrides=[f"control_rate={1.0 / desc.timestep!r}"])
        try:
            self.spec: RobotSpec = self.sim.spec
            self.tick = self.sim.get("world.control_period")
            names = self.spec.joint_names
            self._motors = [(names.index(a.joint), a) for a in self.sim.actuators]
            self.sim.rng = rng  # one stream: jitter and noise
            self.sim.set_sensor_window(self.control_period)
            self.sim.carry_channels(1, self._drive)  # the driver's enable flag
            self._load(desc.name, truth, effects)
        except BaseException:
            self.sim.close()
            raise
        self.rng = rng
        self.ticks = 0
        self.reset()

    @property
    def fx(self) -> EffectModel:
        """The SimRobot's effects (read them here; set values with ``sim.set_params``)."""
        return self.sim.effects

    def _load(self, name: str, truth: str, overrides: dict[str, Any]) -> None:
        unknown = set(overrides) - set(SETTINGS) - set(SHORTCUTS)
        if unknown:
            raise ConfigError(f"unknown effect option(s): {', '.join(sorted(unknown))}",
                              where="emulator")
        loaded = load_truth(name, truth, truth_table(self.sim.params, self.spec))
        self.source = loaded.source
        settings = {k: v for k, v in overrides.items() if k in SETTINGS}
        self.effects: Effects = loaded.effects.updated(**settings).check("emulator effects")
        values = dict(loaded.params)
        shortcuts = self._shortcuts({k: v for k, v in overrides.items()
                                     if k in SHORTCUTS and v is not None})
        try:
            values.update({k: self.sim.params[k].check(v) for k, v in shortcuts.items()})
        except ParameterError as err:
            raise ConfigError(f"{err.message} (from an emulator option)",
                              where=err.where) from None
        com = {k: v for k, v in values.items() if ".com_" in k}
        # COM first, alone: a COM change reloads the URDF, and SimRobot then re-derives the
        # radii of gyration from the old inertia and a new mass set in the same call
        try:
            self.sim.set_params(com)
            self.sim.set_params({k: v for k, v in values.items() if k not in com})
        except ParameterError as err:
            raise ConfigError(str(err), where=loaded.source) from None
        self.truth_params = dict(loaded.params)

    def _shortcuts(self, options: Mapping[str, float]) -> dict[str, float]:
        """Parameter values of the ``encoder_cpr``-style emulator options."""
        out: dict[str, float] = {}
        for key, value in options.items():
            value = float(value)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{key}: must be finite and >= 0, got {value}",
                                  where="emulator")
            for j in self.spec.joints:
                prefix = f"sensor.{j.name}."
                if key == "encoder_cpr" and j.kind == "revolute":
                    out[prefix + "resolution"] = 2 * math.pi / value if value else 0.0
                elif key == "linear_resolution" and j.kind == "prismatic":
                    out[prefix + "resolution"] = value
                elif key == "velocity_filter":
                    if value >= 1.0:
                        raise ConfigError(f"velocity_filter: must be in [0, 1), got {value}",
                                          where="emulator")
                    cutoff = -math.log(value) / (2 * math.pi * self.tick) if value else 0.0
                    out[prefix + "velocity_cutoff"] = cutoff
                elif key in ("position_noise", "velocity_noise"):
                    out[prefix + key] = value
            if key == "sensor_noise":
                out.update({f"sensor.{sensor_owner(s)}.noise": value for s in self.spec.sensors})
        return out

    @property
    def truth(self) -> dict[str, float]:
        """The true value of every parameter of ``SimRobot(robot).params``."""
        values = self.sim.get_params()
        values["world.control_period"] = self.control_period
        return values

    @property
    def effect_truth(self) -> dict[str, float]:
        """The true value of every effect parameter (:mod:`s2r.effects`) of the robot."""
        return self.fx.get_params()

    @property
    def delays(self) -> dict[str, float]:
        """The true ``delay.action`` and ``delay.observation`` (s)."""
        return {k: self.sim.get(k) for k in _DELAYS}

    @property
    def counts_per_rev(self) -> int:
        """Encoder counts per revolution shared by all revolute joints (0: none or mixed)."""
        counts = {counts_per_rev(self.fx.get_params()[f"sensor.{j.name}.resolution"])
                  for j in self.spec.joints if j.kind == "revolute"}
        return counts.pop() if len(counts) == 1 else 0

    @property
    def time(self) -> float:
        """Physics time in seconds since the plant was made (not restarted by reset)."""
        return self.ticks * self.tick

    # ------------------------------------------------------------------ driving
    def command(self, values: Sequence[float], enabled: bool) -> None:
        """The driver output changed now; it acts after the actuation latency."""
        jitter = self.effects.action_jitter
        extra = self.rng.uniform(-1, 1) * jitter if jitter > 0 else 0.0
        self.sim.send(values, extra_delay=extra, channels=(1.0 if enabled else 0.0,))

    def advance_to(self, t: float, on_tick: Callable[[int], None] | None = None) -> None:
        """Step ticks until physics time is ``t`` (rounded to a tick); ``on_tick(now_us)``."""
        target = round(t / self.tick)
        while self.ticks < target:
            self.step()
            if on_tick is not None:
                on_tick(round(self.time * 1e6))

    def step(self) -> None:
        """One physics tick with the output in effect, then one measurement."""
        self.sim.advance()
        self.ticks += 1

    def _drive(self, mean: tuple[float, ...], qd: list[float]) -> list[float]:
        """Output = mean command + (disabled fraction of the tick) * coasting voltage."""
        *out, enabled = mean
        if enabled >= 1.0:
            return out
        for i, (joint, motor) in enumerate(self._motors):
            if isinstance(motor, DCMotor):  # coast: cancel the back-EMF current
                emf = motor.torque_constant * qd[joint]
                coast = emf + math.copysign(motor.deadzone, emf) if emf else 0.0
                out[i] += (1.0 - enabled) * coast
        return out

    # ---------------------------------------------------------------- measuring
    def true_state(self) -> tuple[np.ndarray, np.ndarray]:
        """The true joint positions and velocities now (what the encoders measure)."""
        st = self.sim._stepper
        return np.array(st.q), np.array(st.qd)

    def measurement(self) -> Measurement:
        """What the firmware reads now: (positions, velocities, extra sensors)."""
        q, qd, sensors = self.sim._stepper.measured
        return tuple(q), tuple(qd), tuple(sensors)

    # ------------------------------------------------------------------ control
    def reset(self, q: Sequence[float] | None = None, qd: Sequence[float] | None = None) -> None:
        """Put the joints in a state (zeros: home); the output drops to zero, disabled."""
        self.sim.reset(q, qd)  # output zero, enable flag 0

    def close(self) -> None:
        """Release the physics client (idempotent)."""
        self.sim.close()
