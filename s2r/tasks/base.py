"""RobotTask: a Gymnasium environment built on any :class:`~s2r.robot.Robot`.

The robot knows physics; the task knows reward, termination and the reset
distribution. Because a task only talks to the robot interface, the same
task runs on :class:`~s2r.sim.SimRobot` and on ``hardware.SerialRobot``.

Actions are normalised to [-1, 1] and mapped linearly onto the actuator
command range (volts, newtons, ...), then pass the robot's safety layer
(:class:`~s2r.safety.SafetyGuard`: clipping and the ``max_action_delta`` rate
limit of its :class:`~s2r.robot.SafetyLimits`), in simulation exactly as on
hardware; ``info["applied_action"]`` holds the command actually applied, in
physical units. A measurement outside the position or velocity guards ends the
episode (``terminated``, ``info["safety_stop"]`` says why), as the e-stop
would on hardware.

>>> from s2r.tasks import FurutaSwingup
>>> env = FurutaSwingup()                       # max_action_delta: 2 V per step
>>> _ = env.reset(seed=0)
>>> [float(env.step([1.0])[4]["applied_action"][0]) for _ in range(4)]
[2.0, 4.0, 5.0, 5.0]
>>> env.close()
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np

from s2r.robot import Observation, Robot
from s2r.safety import SafetyGuard
from s2r.sim.sim_robot import SimRobot

_TWO_PI = 2 * math.pi


def wrap_angle(angle: float | np.ndarray) -> Any:
    """Wrap to [-pi, pi); a float gives a float, an array an array.

    >>> round(wrap_angle(3 * np.pi / 2), 6)
    -1.570796
    >>> wrap_angle(np.array([0.5, 7.0])).round(4).tolist()
    [0.5, 0.7168]
    """
    if isinstance(angle, float):  # Python's % is NumPy's remainder, bit for bit
        return (angle + math.pi) % _TWO_PI - math.pi
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


class RobotTask(gym.Env[np.ndarray, np.ndarray]):
    """Base class: subclasses define ``obs_dim``, :meth:`observation`, :meth:`reward`,
    :meth:`terminated` and :meth:`initial_state`.

    Args:
        robot: a :class:`Robot` instance, or a robot name / YAML path for a new
            :class:`SimRobot` (which the task then owns and closes).
        max_steps: episode length before truncation.
        params: parameter values to set on a new SimRobot.
        render_mode: ``"rgb_array"`` renders with PyBullet's CPU renderer.

    ``guard`` is the task's :class:`~s2r.safety.SafetyGuard`: that of a
    :class:`~s2r.safety.GuardedRobot` (hardware) or a new one from the robot's spec.

    :meth:`observation`, :meth:`reward` and :meth:`terminated` run every step: on a
    few numbers, Python floats (``obs.q.tolist()``, :mod:`math`, :meth:`normalized`)
    cost a fraction of NumPy's per-call overhead. The built-in tasks
    (:class:`~s2r.tasks.builtin.BuiltinTask`) write them on floats once and evaluate
    them together from the robot's floats. (``math.exp`` and ``x**2`` vs ``x*x`` can
    differ from NumPy in the last bit.)
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}  # noqa: RUF012
    default_robot: ClassVar[str] = "cartpole"
    default_max_steps: ClassVar[int] = 500
    obs_dim: ClassVar[int] = 0

    def __init__(self, robot: Robot | str | os.PathLike[str] | None = None, *,
                 max_steps: int | None = None, params: dict[str, float] | None = None,
                 render_mode: str | None = None, render_size: int = 64) -> None:
        self._owns_robot = not isinstance(robot, Robot)
        self.robot: Robot = (
            SimRobot(robot or self.default_robot, params=params)  # type: ignore[arg-type]
            if self._owns_robot else robot)  # type: ignore[assignment]
        self.spec_robot = self.robot.spec
        self.max_steps = max_steps or self.default_max_steps
        n = self.spec_robot.n_actions
        self.action_space = gym.spaces.Box(-1.0, 1.0, (n,), np.float32)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (self.obs_dim,), np.float32)
        self._low, self._high = self.spec_robot.action_low, self.spec_robot.action_high
        self._mid, self._half = (self._high + self._low) / 2, (self._high - self._low) / 2
        # the hot path computes on Python floats (small NumPy arrays cost more than the math)
        self._mid_half = list(zip(self._mid.tolist(), self._half.tolist()))
        self._own_scaling = type(self).to_command is RobotTask.to_command
        self._shape = (n,)
        self.render_mode = render_mode
        self.render_size = render_size
        self.metadata = {**self.metadata, "render_fps": self.spec_robot.control_rate}
        self._steps = 0
        self.last_observation: Observation | None = None
        guard = getattr(self.robot, "guard", None)
        self.guard = guard if isinstance(guard, SafetyGuard) else SafetyGuard(self.spec_robot)

    # ----------------------------------------------------------- to override
    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def observation(self, obs: Observation) -> np.ndarray:
        raise NotImplementedError

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        raise NotImplementedError

    def terminated(self, obs: Observation) -> bool:
        return False

    # ------------------------------------------------------------- gym API
    def to_command(self, action: np.ndarray) -> np.ndarray:
        """Map a normalised action in [-1, 1] to the actuator command range."""
        a = np.minimum(np.maximum(np.asarray(action, dtype=np.float64), -1.0), 1.0)
        return self._mid + a * self._half

    def to_action(self, command: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_command`."""
        return (np.asarray(command) - self._mid) / self._half

    def normalized(self, command: np.ndarray | Sequence[float]) -> list[float]:
        """:meth:`to_action` of a command as Python floats, the same values bit for bit
        (what rewards use: cheaper than NumPy on a few elements).

        >>> from s2r.tasks import PendulumSwingup
        >>> env = PendulumSwingup()                     # +-2 N*m
        >>> env.normalized(np.array([1.0])), env.to_action(np.array([1.0])).tolist()
        ([0.5], [0.5])
        >>> env.close()
        """
        values = command.tolist() if type(command) is np.ndarray else list(command)
        mid_half = self._mid_half
        if len(values) == 1 == len(mid_half):  # one actuator: no comprehension, cheaper
            m, h = mid_half[0]
            return [(values[0] - m) / h]
        return [(c - m) / h for c, (m, h) in zip(values, mid_half, strict=True)]

    def _command(self, action: Any) -> Any:
        """:meth:`to_command` as Python floats for a plain float vector (the same values
        bit for bit), else :meth:`to_command` itself."""
        if (self._own_scaling and type(action) is np.ndarray and action.dtype.kind == "f"
                and action.shape == self._shape):
            # NaN passes both comparisons, as through np.minimum/np.maximum
            mid_half = self._mid_half
            if len(mid_half) == 1:
                (a,), ((m, h),) = action.tolist(), mid_half
                return [m + (-1.0 if a < -1.0 else 1.0 if a > 1.0 else a) * h]
            return [m + (-1.0 if a < -1.0 else 1.0 if a > 1.0 else a) * h
                    for a, (m, h) in zip(action.tolist(), mid_half)]
        return self.to_command(action)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset to a state drawn from the task's distribution (or ``options["state"]``)."""
        super().reset(seed=seed)
        if options and "state" in options:
            q, qd = (np.asarray(x, dtype=float) for x in options["state"])
        else:
            q, qd = self.initial_state(self.np_random)
        obs = self.robot.reset(q, qd)
        self.guard.reset()  # a reset robot holds a zero command
        self._steps = 0
        self.last_observation = obs
        return self.observation(obs), {"t": obs.t, "q": obs.q, "qd": obs.qd}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, SupportsFloat, bool, bool,
                                                dict[str, Any]]:
        return self._step_command(self._command(action))

    def _step_command(self, command: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool,
                                                   dict[str, Any]]:
        """:meth:`step` of the command :meth:`_command` made of the action."""
        # the same filter as on hardware (a GuardedRobot shares this guard: filtering twice
        # with one guard changes nothing)
        guard, robot = self.guard, self.robot
        if type(command) is list and type(robot) is SimRobot:  # floats all the way
            applied = robot.act_floats(guard.filter_floats(command))
            guard._prev = applied.tolist()
        else:
            applied = robot.act(guard.filter(command))
            guard.previous = applied
        obs = robot.observe()
        self.last_observation = obs
        self._steps += 1
        stop = guard.violation(obs)
        info = {"applied_action": applied, "t": obs.t, "q": obs.q, "qd": obs.qd}
        if stop is not None:
            info["safety_stop"] = stop
            terminated = True
        else:
            terminated = self.terminated(obs)
        return (self.observation(obs), self.reward(obs, applied), terminated,
                self._steps >= self.max_steps, info)

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        if self.render_mode != "rgb_array":
            return None
        from s2r.sim.camera import render_robot

        return render_robot(self.robot, self.render_size)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._owns_robot:
            self.robot.close()
