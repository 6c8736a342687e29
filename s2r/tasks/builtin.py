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

from collections.abc import Sequence
from typing import Any, ClassVar, SupportsFloat

import numpy as np

from s2r.robot import Observation
from s2r.tasks.base import RobotTask, wrap_angle


class BuiltinTask(RobotTask):
    """A task with a success criterion, reported as ``info["success"]`` at episode end.

    Subclasses define :meth:`at_goal`; :meth:`success` judges a whole episode
    from the per-step goal flags: full length, at the goal for the last half.

    >>> env = PendulumSwingup(max_steps=4)
    >>> env.success([False, False, True, True], terminated=False)
    True
    >>> env.success([True, True, False, True], terminated=False)
    False
    >>> env.close()
    """

    #: what the success criterion means, for docs and the policy artifact
    success_criterion: ClassVar[str] = ""

    def at_goal(self, obs: Observation) -> bool:
        """Whether this observation is at the task's goal."""
        raise NotImplementedError

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
        self._goals: list[bool] = []
        return super().reset(seed=seed, options=options)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, SupportsFloat, bool, bool,
                                                dict[str, Any]]:
        obs, reward, terminated, truncated, info = super().step(action)
        goals = getattr(self, "_goals", None)
        if goals is None:  # step before reset: gymnasium's order checker catches it
            goals = self._goals = []
        if self.last_observation is not None:
            goals.append(self.at_goal(self.last_observation))
        if terminated or truncated:
            info["success"] = self.success(goals, terminated)
        return obs, reward, terminated, truncated, info


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

    def observation(self, obs: Observation) -> np.ndarray:
        x, th = obs.q
        return np.array([x, np.cos(th), np.sin(th), obs.qd[0], obs.qd[1]], dtype=np.float32)

    def observation_layout(self) -> list[tuple[str, str]]:
        (cart, xu, vu), (pole, _, wu) = _joint(self, 0), _joint(self, 1)
        return [(f"q.{cart}", xu), (f"cos(q.{pole})", "-"), (f"sin(q.{pole})", "-"),
                (f"qd.{cart}", vu), (f"qd.{pole}", wu)]

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        return 1.0

    def at_goal(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) < self.x_limit and abs(wrap_angle(obs.q[1])) < self.angle_limit)

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.x_limit or abs(wrap_angle(obs.q[1])) > self.angle_limit)


class CartpoleSwingup(CartpoleBalance):
    """Swing the pole up from hanging down and keep it there; ends when |x| > 2.4 m.

    Success: pole within 0.2 rad of upright for the last half of a full episode."""

    default_max_steps = 500
    upright_tolerance: ClassVar[float] = 0.2
    success_criterion = "not terminated; pole within 0.2 rad of upright for the last half"

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        q = np.array([rng.uniform(-0.1, 0.1), np.pi + rng.uniform(-0.1, 0.1)])
        return q, rng.uniform(-0.05, 0.05, 2)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        upright = 0.5 * (1.0 + np.cos(obs.q[1]))
        centred = np.exp(-0.5 * (obs.q[0] / 1.0) ** 2)
        effort = 1e-3 * float(np.sum(self.to_action(applied) ** 2))
        return float(upright * centred - effort)

    def at_goal(self, obs: Observation) -> bool:
        return bool(abs(wrap_angle(obs.q[1])) < self.upright_tolerance)

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.x_limit)


class PendulumSwingup(BuiltinTask):
    """Swing the torque-limited pendulum up and hold it (cost as in Gymnasium's Pendulum).

    Success: within 0.2 rad of upright for the last half of the episode."""

    default_robot = "pendulum"
    default_max_steps = 250
    obs_dim = 3
    upright_tolerance: ClassVar[float] = 0.2
    success_criterion = "within 0.2 rad of upright for the last half of the episode"

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-0.1, 0.1, 1), rng.uniform(-0.1, 0.1, 1)

    def observation(self, obs: Observation) -> np.ndarray:
        q = obs.q[0]
        return np.array([np.cos(q), np.sin(q), obs.qd[0]], dtype=np.float32)

    def observation_layout(self) -> list[tuple[str, str]]:
        name, _, wu = _joint(self, 0)
        return [(f"cos(q.{name})", "-"), (f"sin(q.{name})", "-"), (f"qd.{name}", wu)]

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        error = float(wrap_angle(obs.q[0] - np.pi))
        u = float(self.to_action(applied)[0])
        return -(error**2 + 0.1 * obs.qd[0] ** 2 + 0.01 * u**2)

    def at_goal(self, obs: Observation) -> bool:
        return bool(abs(wrap_angle(obs.q[0] - np.pi)) < self.upright_tolerance)


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

    def observation(self, obs: Observation) -> np.ndarray:
        th, al = obs.q
        return np.array([np.cos(th), np.sin(th), np.cos(al), np.sin(al), obs.qd[0], obs.qd[1]],
                        dtype=np.float32)

    def observation_layout(self) -> list[tuple[str, str]]:
        (arm, _, au), (pend, _, pu) = _joint(self, 0), _joint(self, 1)
        return [(f"cos(q.{arm})", "-"), (f"sin(q.{arm})", "-"), (f"cos(q.{pend})", "-"),
                (f"sin(q.{pend})", "-"), (f"qd.{arm}", au), (f"qd.{pend}", pu)]

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        th, al = obs.q
        upright = 0.5 * (1.0 - np.cos(al))
        speed2 = obs.qd[1] ** 2 + 0.5 * obs.qd[0] ** 2
        slow = np.exp(-0.5 * speed2 / self.speed_scale**2)
        u = float(self.to_action(applied)[0])
        centred = (th / self.arm_limit) ** 2
        return float(upright * (0.3 + 0.7 * slow) - 0.1 * centred - 1e-3 * u**2)

    def at_goal(self, obs: Observation) -> bool:
        return bool(abs(wrap_angle(obs.q[1] - np.pi)) < self.upright_tolerance
                    and abs(obs.q[0]) < self.arm_tolerance)

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.arm_limit)
