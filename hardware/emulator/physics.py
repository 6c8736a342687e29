"""The emulated robot's body: a SimRobot with the truth values, plus the effects of a bench.

:class:`Plant` steps a :class:`~s2r.sim.SimRobot` of the robot, loaded with the
hidden truth (:mod:`hardware.emulator.truth`), one physics step (a *tick*) at
a time, and adds what the nominal model lacks:

- actuation latency: every output change takes effect ``delay.action`` plus a
  uniform jitter later (drawn per change), on a tick boundary;
- a driver that coasts when disabled (a DC motor's H-bridge goes idle: no
  current, no back-EMF braking);
- encoders: positions quantized to ``2*pi/encoder_cpr`` (revolute) or
  ``linear_resolution`` (prismatic), after Gaussian position noise; velocities
  of quantized joints are finite differences over one control period,
  optionally low-pass filtered, plus Gaussian noise; extra sensors get noise;
- measurement age: the firmware sees the state ``delay.observation`` old.

All randomness comes from the numpy Generator passed in.

>>> import numpy as np
>>> plant = Plant("pendulum", "nominal", rng=np.random.default_rng(0), encoder_cpr=4096)
>>> plant.command((1.0,), enabled=True)
>>> plant.advance_to(0.2)
>>> q, qd, _ = plant.measurement()
>>> round(q[0] / (2 * np.pi / 4096), 6).is_integer(), plant.time
(True, 0.2)
>>> plant.close()
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hardware.emulator.truth import Effects, load_truth
from s2r.errors import ConfigError, ParameterError
from s2r.robot import Observation, RobotSpec
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
        **effects: overrides of the truth's effects (None values are ignored).
    """

    def __init__(self, robot: str | os.PathLike[str], truth: str = "bench", *,
                 rng: np.random.Generator, control_rate: float | None = None,
                 **effects: Any) -> None:
        desc = load_robot_description(robot)
        self.control_period = 1.0 / (control_rate or desc.control_rate)
        # one act() = one physics step, so actions and measurements act on every tick
        self.sim = SimRobot(robot, overrides=[f"control_rate={1.0 / desc.timestep!r}"])
        try:
            self._load(desc.name, truth, effects)
        except BaseException:
            self.sim.close()
            raise
        self.spec: RobotSpec = self.sim.spec
        self.rng = rng
        self.tick = self.sim.get("world.control_period")
        self.ticks = 0
        joints = self.spec.joints
        res = [(2 * math.pi / self.effects.encoder_cpr if self.effects.encoder_cpr else 0.0)
               if j.kind == "revolute" else self.effects.linear_resolution for j in joints]
        self._res = np.array(res)
        self._quantized = self._res > 0
        self._window = max(1, round(self.control_period / self.tick))
        names = self.spec.joint_names
        self._motors = [(names.index(a.joint), a) for a in self.sim.actuators]
        self._output: tuple[float, ...] = ()
        self._enabled = False
        self._pending: deque[tuple[float, tuple[float, ...], bool]] = deque()
        self._qhist: deque[np.ndarray] = deque()
        self._vel = np.zeros(self.spec.n_joints)
        self._meas: deque[tuple[float, Measurement]] = deque()
        self.reset()

    def _load(self, name: str, truth: str, effects: dict[str, Any]) -> None:
        loaded = load_truth(name, truth, self.sim.params)
        self.source = loaded.source
        self.effects: Effects = loaded.effects.updated(**effects).check("emulator effects")
        values = dict(loaded.params)
        self.delays = {k: values.pop(k, self.sim.params[k].nominal) for k in _DELAYS}
        com = {k: v for k, v in values.items() if ".com_" in k}
        # COM first, alone: a COM change reloads the URDF, and SimRobot then re-derives the
        # radii of gyration from the old inertia and a new mass set in the same call
        try:
            self.sim.set_params({**com, **dict.fromkeys(_DELAYS, 0.0)})
            self.sim.set_params({k: v for k, v in values.items() if k not in com})
        except ParameterError as err:
            raise ConfigError(str(err), where=loaded.source) from None
        self.truth_params = dict(loaded.params)

    @property
    def truth(self) -> dict[str, float]:
        """The true value of every parameter of ``SimRobot(robot).params``."""
        values = self.sim.get_params()
        values.update(self.delays)
        values["world.control_period"] = self.control_period
        return values

    @property
    def time(self) -> float:
        """Physics time in seconds since the plant was made (not restarted by reset)."""
        return self.ticks * self.tick

    # ------------------------------------------------------------------ driving
    def command(self, values: Sequence[float], enabled: bool) -> None:
        """The driver output changed now; it acts after the actuation latency."""
        delay = self.delays["delay.action"]
        if self.effects.action_jitter > 0:
            delay = max(0.0, delay + self.rng.uniform(-1, 1) * self.effects.action_jitter)
        self._pending.append((self.time + delay, tuple(values), enabled))

    def advance_to(self, t: float, on_tick: Callable[[int], None] | None = None) -> None:
        """Step ticks until physics time is ``t`` (rounded to a tick); ``on_tick(now_us)``."""
        target = round(t / self.tick)
        while self.ticks < target:
            self.step()
            if on_tick is not None:
                on_tick(round(self.time * 1e6))

    def step(self) -> None:
        """One physics tick with the output in effect, then one measurement."""
        while self._pending and self._pending[0][0] <= self.time + 1e-12:
            _, self._output, self._enabled = self._pending.popleft()
        self.sim.act(self._drive())
        self.ticks += 1
        self._sample(self.sim.observe())

    def _drive(self) -> list[float]:
        if self._enabled:
            return list(self._output)
        out = []
        for joint, motor in self._motors:
            u = 0.0
            if isinstance(motor, DCMotor):  # coast: cancel the back-EMF current
                emf = motor.torque_constant * float(self._true.qd[joint])
                u = emf + math.copysign(motor.deadzone, emf) if emf else 0.0
            out.append(u)
        return out

    # ---------------------------------------------------------------- measuring
    def _quantize(self, q: np.ndarray) -> np.ndarray:
        steps = np.round(q / np.where(self._quantized, self._res, 1.0))
        return np.where(self._quantized, steps * self._res, q)

    def _noise(self, std: float, n: int) -> np.ndarray | float:
        return self.rng.normal(0.0, std, n) if std > 0 and n else 0.0

    def _sample(self, obs: Observation) -> None:
        self._true = obs
        fx, n = self.effects, len(obs.q)
        q = self._quantize(obs.q + self._noise(fx.position_noise, n))
        self._qhist.append(q)
        raw = (q - self._qhist[0]) / ((len(self._qhist) - 1) * self.tick)
        vel = np.where(self._quantized, raw, obs.qd)
        self._vel = fx.velocity_filter * self._vel + (1.0 - fx.velocity_filter) * vel
        qd = self._vel + self._noise(fx.velocity_noise, n)
        s = obs.sensors + self._noise(fx.sensor_noise, len(obs.sensors))
        self._meas.append((self.time, (tuple(q.tolist()), tuple(qd.tolist()),
                                       tuple(np.asarray(s, dtype=float).tolist()))))
        age = self.delays["delay.observation"]
        while len(self._meas) > 1 and self._meas[1][0] <= self.time - age + 1e-12:
            self._meas.popleft()

    def measurement(self) -> Measurement:
        """What the firmware reads now: (positions, velocities, extra sensors)."""
        return self._meas[0][1]

    # ------------------------------------------------------------------ control
    def reset(self, q: Sequence[float] | None = None, qd: Sequence[float] | None = None) -> None:
        """Put the joints in a state (zeros: home); the output drops to zero, disabled."""
        obs = self.sim.reset(q, qd)
        self._output = (0.0,) * self.spec.n_actions
        self._enabled = False
        self._pending.clear()
        # the velocity estimator starts at the new velocity, as if it had run before
        back = [obs.q - obs.qd * self.tick * k for k in range(self._window, 0, -1)]
        self._qhist = deque((self._quantize(p) for p in back), maxlen=self._window + 1)
        self._vel = obs.qd.copy()
        self._meas.clear()
        self._sample(obs)

    def close(self) -> None:
        """Release the physics client (idempotent)."""
        self.sim.close()
