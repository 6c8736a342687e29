"""The built-in tasks: cart-pole balance and swing-up, pendulum swing-up, Furuta swing-up.

Joint roles are by position in the robot's spec: for cart-pole joint 0 is the
cart and joint 1 the pole (0 = upright); for the pendulum joint 0 is the
hinge (0 = hanging down); for Furuta joint 0 is the arm and joint 1 the
pendulum (0 = hanging down). A user's own robot works with a task when its
joints follow the same roles.

>>> env = CartpoleBalance()
>>> obs, info = env.reset(seed=0)
>>> obs.shape
(5,)
>>> env.close()
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from s2r.robot import Observation
from s2r.tasks.base import RobotTask, wrap_angle


class CartpoleBalance(RobotTask):
    """Keep the pole upright; +1 per step; ends when |x| > 2.4 m or |angle| > 12 deg."""

    default_robot = "cartpole"
    default_max_steps = 500
    obs_dim = 5
    x_limit: ClassVar[float] = 2.4
    angle_limit: ClassVar[float] = 12 * np.pi / 180

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-0.05, 0.05, 2), rng.uniform(-0.05, 0.05, 2)

    def observation(self, obs: Observation) -> np.ndarray:
        x, th = obs.q.tolist()
        xd, thd = obs.qd.tolist()
        return np.array([x, math.cos(th), math.sin(th), xd, thd], dtype=np.float32)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        return 1.0

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.x_limit or abs(wrap_angle(obs.q[1])) > self.angle_limit)


class CartpoleSwingup(CartpoleBalance):
    """Swing the pole up from hanging down and keep it there; ends when |x| > 2.4 m."""

    default_max_steps = 500

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        q = np.array([rng.uniform(-0.1, 0.1), np.pi + rng.uniform(-0.1, 0.1)])
        return q, rng.uniform(-0.05, 0.05, 2)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        x, th = obs.q.tolist()
        upright = 0.5 * (1.0 + math.cos(th))
        centred = float(np.exp(-0.5 * (x / 1.0) ** 2))  # np.exp: math.exp differs in the last bit
        u = self.normalized(applied)  # NumPy's square and sum, bit for bit:
        effort = 1e-3 * (u[0] * u[0] if len(u) == 1 else float(np.sum(np.square(u))))
        return upright * centred - effort

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.x_limit)


class PendulumSwingup(RobotTask):
    """Swing the torque-limited pendulum up and hold it (cost as in Gymnasium's Pendulum)."""

    default_robot = "pendulum"
    default_max_steps = 250
    obs_dim = 3

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-0.1, 0.1, 1), rng.uniform(-0.1, 0.1, 1)

    def observation(self, obs: Observation) -> np.ndarray:
        (q,), (qd,) = obs.q.tolist(), obs.qd.tolist()
        return np.array([math.cos(q), math.sin(q), qd], dtype=np.float32)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        (q,), (qd,) = obs.q.tolist(), obs.qd.tolist()
        error = wrap_angle(q - math.pi)
        u = self.normalized(applied)[0]
        return -(error**2 + 0.1 * qd**2 + 0.01 * u**2)


class FurutaSwingup(RobotTask):
    """Swing the Furuta pendulum up with the arm and balance it; ends at the arm limits."""

    default_robot = "furuta"
    default_max_steps = 500
    obs_dim = 6
    arm_limit: ClassVar[float] = 2.0

    def initial_state(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(-0.05, 0.05, 2), rng.uniform(-0.05, 0.05, 2)

    def observation(self, obs: Observation) -> np.ndarray:
        th, al = obs.q.tolist()
        thd, ald = obs.qd.tolist()
        return np.array([math.cos(th), math.sin(th), math.cos(al), math.sin(al), thd, ald],
                        dtype=np.float32)

    def reward(self, obs: Observation, applied: np.ndarray) -> float:
        th, al = obs.q.tolist()
        upright = 0.5 * (1.0 - math.cos(al))
        u = self.normalized(applied)[0]
        return upright - 0.05 * th**2 - 1e-3 * obs.qd.tolist()[1] ** 2 * upright - 1e-3 * u**2

    def terminated(self, obs: Observation) -> bool:
        return bool(abs(obs.q[0]) > self.arm_limit)
