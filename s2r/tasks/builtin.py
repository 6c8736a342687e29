"""The built-in tasks: cart-pole balance and swing-up, pendulum swing-up, Furuta swing-up.

Joint roles are by position in the robot's spec: for cart-pole joint 0 is the
cart and joint 1 the pole (0 = upright); for the pendulum joint 0 is the
hinge (0 = hanging down); for Furuta joint 0 is the arm and joint 1 the
pendulum (0 = hanging down). A user's own robot works with a task when its
joints follow the same roles.

Every built-in task has a **success criterion**: :meth:`BuiltinTask.at_goal`
says whether one observation is at the goal, and an episode succeeds when it
ran to its full length (not terminated) and was at the goal at every step of
its last half (:meth:`BuiltinTask.success`). At the end of every episode
``info["success"]`` holds the verdict.

>>> env = CartpoleBalance()
>>> obs, info = env.reset(seed=0)
>>> obs.shape
(5,)
>>> env.close()
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar, SupportsFloat

import numpy as np

from s2r.robot import Observation, float_array
from s2r.sim.sim_robot import SimRobot
from s2r.tasks.base import RobotTask, wrap_angle


class BuiltinTask(RobotTask):
    """A task with a success criterion, reported as ``info["success"]`` at episode end.

    Subclasses define :meth:`at_goal`; :meth:`success` judges a whole episode
    from the per-step goal flags: full length, at the goal for the last half.

    The per-step quantities are written once, on Python floats (joint positions ``q``
    and velocities ``qd`` as lists, the applied command as a list or vector):
    :meth:`observation_floats`, :meth:`reward_floats`, :meth:`terminated_floats` and
    :meth:`at_goal_floats`; :meth:`observation`, :meth:`reward`, :meth:`terminated` and
    :meth:`at_goal` call them. A step on a :class:`~s2r.sim.SimRobot` evaluates all four
    from the floats the robot measured, with no NumPy round trip, unless a subclass
    overrides one of the four array methods (then every step calls those).

    >>> env = PendulumSwingup(max_steps=4)
    >>> env.success([False, False, True, True], terminated=False)
    True
    >>> env.success([True, True, False, True], terminated=False)
    False
    >>> env.close()
    """

    #: what the success criterion means, for docs and the policy artifact
    success_criterion: ClassVar[str] = ""
    _goals: list[bool] | None = None  # per-step goal flags of the episode (reset sets them)
    #: whether the array methods are the float forms' (the fused step may skip them)
    _fused: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fused = all(getattr(cls, name) is getattr(BuiltinTask, name) for name in
                         ("observation", "reward", "terminated", "at_goal"))

    # ------------------------------------------------ the task, on Python floats
    def observation_floats(self, q: list[float], qd: list[float]) -> list[float]:
        """The observation vector's values."""
        raise NotImplementedError

    def reward_floats(self, q: list[float], qd: list[float],
                      applied: np.ndarray | Sequence[float]) -> float:
        """The reward of a step that applied ``applied`` and ended in (q, qd)."""
        raise NotImplementedError

    def terminated_floats(self, q: list[float], qd: list[float]) -> bool:
        """Whether the episode ends in this state."""
        return False

    def at_goal_floats(self, q: list[float], qd: list[float]) -> bool:
        """Whether this state is at the task's goal."""
        raise NotImplementedError

    # ------------------------------------------- the same on an Observation
    def observation(self, obs: Observation) -> np.ndarray:
        return np.array(self.observation_floats(obs.q.tolist(), obs.qd.tolist()),
                        dtype=np.float32)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        return self.reward_floats(obs.q.tolist(), obs.qd.tolist(), applied)

    def terminated(self, obs: Observation) -> bool:
        return self.terminated_floats(obs.q.tolist(), obs.qd.tolist())

    def at_goal(self, obs: Observation) -> bool:
        """Whether this observation is at the task's goal."""
        return self.at_goal_floats(obs.q.tolist(), obs.qd.tolist())

    def success(self, goals: Sequence[bool], terminated: bool) -> bool:
        """An episode succeeds when it was not terminated, ran ``max_steps`` steps and was
        at the goal at every step of its last half."""
        if terminated or len(goals) < self.max_steps or not goals:
            return False
        return bool(all(goals[len(goals) // 2:]))

    def observation_layout(self) -> list[tuple[str, str]]:
        """(name, unit) of every element of the observation vector."""
        raise NotImplementedError

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        self._goals = []
        return super().reset(seed=seed, options=options)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, SupportsFloat, bool, bool,
                                                dict[str, Any]]:
        """On a SimRobot every quantity comes from the same Python floats (the fused step):
        the same observation, reward, flags and info as the array methods, bit for bit."""
        command, robot = self._command(action), self.robot
        if not (self._fused and type(command) is list and type(robot) is SimRobot):
            return self._step_arrays(command)
        guard = self.guard
        applied = robot.act_list(guard.filter_floats(command))  # type: ignore[attr-defined]
        guard._prev = applied  # neither changes it in place
        obs, q, qd = robot.observe_floats()  # type: ignore[attr-defined]
        self.last_observation = obs
        self._steps += 1
        stop = guard.violation_floats(q, qd)
        info = {"applied_action": float_array(applied), "t": obs.t, "q": obs.q, "qd": obs.qd}
        if stop is not None:
            info["safety_stop"] = stop
            terminated = True
        else:
            terminated = self.terminated_floats(q, qd)
        truncated = self._steps >= self.max_steps
        goals = self._goals
        if goals is None:  # step before reset: gymnasium's order checker catches it
            goals = self._goals = []
        goals.append(self.at_goal_floats(q, qd))
        if terminated or truncated:
            info["success"] = self.success(goals, terminated)
        return (np.array(self.observation_floats(q, qd), np.float32),
                self.reward_floats(q, qd, applied), terminated, truncated, info)

    def _step_arrays(self, command: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool,
                                                  dict[str, Any]]:
        """:meth:`step` through the array methods (any robot, or overridden methods)."""
        out = self._step_command(command)
        goals = self._goals
        if goals is None:
            goals = self._goals = []
        goals.append(self.at_goal(self.last_observation))  # type: ignore[arg-type]
        if out[2] or out[3]:
            out[4]["success"] = self.success(goals, out[2])
        return out


def _joint(task: RobotTask, i: int) -> tuple[str, str, str]:
    joint = task.spec_robot.joints[i]
    return joint.name, *joint.units


class CartpoleBalance(BuiltinTask):
    """Keep the pole upright; +1 per step; ends when |x| > 2.4 m or |angle| > 12 deg.

    Success: the whole episode without termination."""

    default_robot = "cartpole"
    default_max_steps = 500
    obs_dim = 5
    x_limit: ClassVar[float] = 2.4
    angle_limit: ClassVar[float] = 12 * np.pi / 180
    success_criterion = "not terminated; pole within 12 deg and |x| < 2.4 m for the last half"

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-0.05, 0.05, 2), rng.uniform(-0.05, 0.05, 2)

    def observation_floats(self, q: list[float], qd: list[float]) -> list[float]:
        (x, th), (xd, thd) = q, qd
        return [x, math.cos(th), math.sin(th), xd, thd]

    def observation_layout(self) -> list[tuple[str, str]]:
        (cart, xu, vu), (pole, _, wu) = _joint(self, 0), _joint(self, 1)
        return [(f"q.{cart}", xu), (f"cos(q.{pole})", "-"), (f"sin(q.{pole})", "-"),
                (f"qd.{cart}", vu), (f"qd.{pole}", wu)]

    def reward_floats(self, q: list[float], qd: list[float],
                      applied: np.ndarray | Sequence[float]) -> float:
        return 1.0

    def at_goal_floats(self, q: list[float], qd: list[float]) -> bool:
        x, th = q  # Python floats: the same bits as NumPy's scalars, cheaper
        return abs(x) < self.x_limit and abs(wrap_angle(th)) < self.angle_limit

    def terminated_floats(self, q: list[float], qd: list[float]) -> bool:
        x, th = q
        return abs(x) > self.x_limit or abs(wrap_angle(th)) > self.angle_limit


class CartpoleSwingup(CartpoleBalance):
    """Swing the pole up from hanging down and keep it there; ends when |x| > 2.4 m.

    Success: pole within 0.2 rad of upright for the last half of a full episode."""

    default_max_steps = 500
    upright_tolerance: ClassVar[float] = 0.2
    success_criterion = "not terminated; pole within 0.2 rad of upright for the last half"

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        q = np.array([rng.uniform(-0.1, 0.1), np.pi + rng.uniform(-0.1, 0.1)])
        return q, rng.uniform(-0.05, 0.05, 2)

    def reward_floats(self, q: list[float], qd: list[float],
                      applied: np.ndarray | Sequence[float]) -> float:
        x, th = q
        upright = 0.5 * (1.0 + math.cos(th))
        centred = float(np.exp(-0.5 * (x / 1.0) ** 2))  # np.exp: math.exp differs in the last bit
        u = self.normalized(applied)  # NumPy's square and sum, bit for bit:
        effort = 1e-3 * (u[0] * u[0] if len(u) == 1 else float(np.sum(np.square(u))))
        return upright * centred - effort

    def at_goal_floats(self, q: list[float], qd: list[float]) -> bool:
        return abs(wrap_angle(q[1])) < self.upright_tolerance

    def terminated_floats(self, q: list[float], qd: list[float]) -> bool:
        return abs(q[0]) > self.x_limit


class PendulumSwingup(BuiltinTask):
    """Swing the torque-limited pendulum up and hold it (cost as in Gymnasium's Pendulum).

    Success: within 0.2 rad of upright for the last half of the episode. Episodes last
    10 s (500 steps at 50 Hz, Gymnasium's Pendulum lasts 10 s too): the 2 N*m hinge lifts
    the 4.9 N*m pendulum only by pumping, and full-torque energy pumping first gets within
    0.2 rad of upright after 3.1-3.3 s, so a 5 s episode (upright from 2.5 s) could never
    succeed."""

    default_robot = "pendulum"
    default_max_steps = 500
    obs_dim = 3
    upright_tolerance: ClassVar[float] = 0.2
    success_criterion = "within 0.2 rad of upright for the last half of the episode"

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-0.1, 0.1, 1), rng.uniform(-0.1, 0.1, 1)

    def observation_floats(self, q: list[float], qd: list[float]) -> list[float]:
        (angle,), (speed,) = q, qd
        return [math.cos(angle), math.sin(angle), speed]

    def observation_layout(self) -> list[tuple[str, str]]:
        name, _, wu = _joint(self, 0)
        return [(f"cos(q.{name})", "-"), (f"sin(q.{name})", "-"), (f"qd.{name}", wu)]

    def reward_floats(self, q: list[float], qd: list[float],
                      applied: np.ndarray | Sequence[float]) -> float:
        (angle,), (speed,) = q, qd
        error = wrap_angle(angle - math.pi)
        u = self.normalized(applied)[0]
        return -(error**2 + 0.1 * speed**2 + 0.01 * u**2)

    def at_goal_floats(self, q: list[float], qd: list[float]) -> bool:
        return abs(wrap_angle(q[0] - math.pi)) < self.upright_tolerance


class FurutaSwingup(BuiltinTask):
    """Swing the Furuta pendulum up with the arm and balance it; ends at the arm limits.

    The reward pays for the pendulum being upright *and slow*, so balancing (about 1 per
    step) beats spinning it through the top (about 0.15 per step at 12 rad/s); a small
    penalty keeps the arm near its centre. Success: pendulum within 0.2 rad of upright and
    arm within 1 rad of its centre for the last half of a full episode."""

    default_robot = "furuta"
    default_max_steps = 500
    obs_dim = 6
    arm_limit: ClassVar[float] = 2.0
    upright_tolerance: ClassVar[float] = 0.2
    arm_tolerance: ClassVar[float] = 1.0
    #: joint speed scale of the "slow" factor, rad/s
    speed_scale: ClassVar[float] = 4.0
    success_criterion = ("not terminated; pendulum within 0.2 rad of upright and arm within "
                         "1 rad of centre for the last half")

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-0.05, 0.05, 2), rng.uniform(-0.05, 0.05, 2)

    def observation_floats(self, q: list[float], qd: list[float]) -> list[float]:
        (th, al), (thd, ald) = q, qd
        return [math.cos(th), math.sin(th), math.cos(al), math.sin(al), thd, ald]

    def observation_layout(self) -> list[tuple[str, str]]:
        (arm, _, au), (pend, _, pu) = _joint(self, 0), _joint(self, 1)
        return [(f"cos(q.{arm})", "-"), (f"sin(q.{arm})", "-"), (f"cos(q.{pend})", "-"),
                (f"sin(q.{pend})", "-"), (f"qd.{arm}", au), (f"qd.{pend}", pu)]

    def reward_floats(self, q: list[float], qd: list[float],
                      applied: np.ndarray | Sequence[float]) -> float:
        (th, al), (thd, ald) = q, qd
        upright = 0.5 * (1.0 - math.cos(al))
        speed2 = ald**2 + 0.5 * thd**2
        slow = float(np.exp(-0.5 * speed2 / self.speed_scale**2))  # np.exp: bit for bit
        u = self.normalized(applied)[0]
        centred = (th / self.arm_limit) ** 2
        return upright * (0.3 + 0.7 * slow) - 0.1 * centred - 1e-3 * u**2

    def at_goal_floats(self, q: list[float], qd: list[float]) -> bool:
        th, al = q
        return (abs(wrap_angle(al - math.pi)) < self.upright_tolerance
                and abs(th) < self.arm_tolerance)

    def terminated_floats(self, q: list[float], qd: list[float]) -> bool:
        return abs(q[0]) > self.arm_limit
