"""Shared helpers: small Gymnasium envs that know nothing of s2r, and s2r test tasks.

The helpers are handed out by fixtures (test modules here have no package to
import them from).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pybullet as pb
import pybullet_data
import pytest

from s2r.robot import Observation
from s2r.tasks.base import RobotTask

DATA = Path(__file__).parent / "data"


class SlidingCube(gym.Env):
    """A 10 cm, 1 kg cube on a plane in its own PyBullet client; the action pushes it along x.

    ``reset(options={"velocity": vx, "height": z})`` starts it sliding and/or dropping.
    Observation: position and linear velocity of the cube.
    """

    metadata = {"render_fps": 60}  # noqa: RUF012

    def __init__(self) -> None:
        self.client = c = pb.connect(pb.DIRECT)
        pb.setGravity(0, 0, -9.81, physicsClientId=c)
        pb.setTimeStep(1 / 240, physicsClientId=c)
        self.plane = pb.loadURDF(os.path.join(pybullet_data.getDataPath(), "plane.urdf"),
                                 physicsClientId=c)
        shape = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=[0.05] * 3, physicsClientId=c)
        self.cube = pb.createMultiBody(1.0, shape, basePosition=[0, 0, 0.05], physicsClientId=c)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (6,), np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float64)

    def _obs(self) -> np.ndarray:
        pos, _ = pb.getBasePositionAndOrientation(self.cube, physicsClientId=self.client)
        vel, _ = pb.getBaseVelocity(self.cube, physicsClientId=self.client)
        return np.array([*pos, *vel])

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        opts = options or {}
        c = self.client
        pb.resetBasePositionAndOrientation(self.cube, [0, 0, opts.get("height", 0.05)],
                                           [0, 0, 0, 1], physicsClientId=c)
        pb.resetBaseVelocity(self.cube, [opts.get("velocity", 0.0), 0, 0], [0, 0, 0],
                             physicsClientId=c)
        return self._obs(), {}

    def step(self, action):
        force = 10.0 * float(np.asarray(action).reshape(-1)[0])
        for _ in range(4):
            pos, _ = pb.getBasePositionAndOrientation(self.cube, physicsClientId=self.client)
            pb.applyExternalForce(self.cube, -1, [force, 0, 0], pos, pb.WORLD_FRAME,
                                  physicsClientId=self.client)
            pb.stepSimulation(physicsClientId=self.client)
        return self._obs(), 0.0, False, False, {}

    def close(self) -> None:
        if self.client >= 0:
            pb.disconnect(physicsClientId=self.client)
            self.client = -1


class EchoEnv(gym.Env):
    """Observes the action it was sent last (to see what action transforms did)."""

    metadata = {"render_fps": 50}  # noqa: RUF012

    def __init__(self, n: int = 3, limit: float = 5.0) -> None:
        self.action_space = gym.spaces.Box(-limit, limit, (n,), np.float64)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n,), np.float64)
        self.n = n

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(self.n), {}

    def step(self, action):
        return np.array(action, dtype=np.float64), 0.0, False, False, {}


class SignalEnv(gym.Env):
    """Observation of ``n`` values: ``zeros``, ``ramp`` (the step count) or ``random`` (N(0,1))."""

    metadata = {"render_fps": 50}  # noqa: RUF012

    def __init__(self, n: int = 1000, kind: str = "zeros") -> None:
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n,), np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float64)
        self.n, self.kind, self.t = n, kind, 0

    def _obs(self) -> np.ndarray:
        if self.kind == "ramp":
            return np.full(self.n, float(self.t))
        if self.kind == "random":
            return self.np_random.standard_normal(self.n)
        return np.zeros(self.n)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        return self._obs(), 0.0, False, False, {}


class SledTask(RobotTask):
    """The free sled of data/sled.yaml; observation [x, v]; starts at rest."""

    default_robot = str(DATA / "sled.yaml")
    default_max_steps = 100
    obs_dim = 2

    def initial_state(self, rng):
        return np.zeros(1), np.zeros(1)

    def observation(self, obs: Observation) -> np.ndarray:
        return np.array([obs.q[0], obs.qd[0]], dtype=np.float32)

    def reward(self, obs, applied) -> float:
        return 0.0


@pytest.fixture
def cube_env():
    env = SlidingCube()
    yield env
    env.close()


@pytest.fixture
def envs():
    """The helper env classes, by name."""
    return {"echo": EchoEnv, "signal": SignalEnv, "sled": SledTask, "cube": SlidingCube}


def period_of(t: np.ndarray, x: np.ndarray) -> float:
    """Mean period from the upward zero crossings of ``x`` (linear interpolation)."""
    s = np.sign(x)
    up = np.nonzero((s[:-1] < 0) & (s[1:] >= 0))[0]
    times = t[up] - x[up] * (t[up + 1] - t[up]) / (x[up + 1] - x[up])
    assert len(times) >= 2, "fewer than two oscillations"
    return float(np.mean(np.diff(times)))


@pytest.fixture
def period():
    return period_of
