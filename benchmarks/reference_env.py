"""Hand-written Gymnasium envs on the same models as s2r's tasks: the speed reference.

What a careful user would write without s2r: raw PyBullet calls, the actuator law and the
task's observation and reward inline, nothing else. The model (URDF, masses, inertias with
the armature, joint damping including the motor's back-EMF, timestep, sub-steps) is copied
from an s2r :class:`~s2r.sim.SimRobot` once at construction, so the dynamics are the same and
only the per-step code differs. ``benchmarks/sim_throughput.py`` times it beside the task;
``tests/benchmarks/test_reference_env.py`` checks that both give the same trajectory.
Only delay-free, filter-free robots are covered (the built-in ones at nominal values).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pybullet as pb

from s2r.sim import SimRobot


def _copy_model(robot: SimRobot) -> tuple[int, int]:
    """A new DIRECT client with the robot's body and dynamics; (client, body)."""
    client = pb.connect(pb.DIRECT)
    desc = robot.description
    flags = pb.URDF_USE_INERTIA_FROM_FILE if desc.inertia_from_file else 0
    body = pb.loadURDF(desc.urdf_path, desc.base_position, useFixedBase=True, flags=flags,
                       physicsClientId=client)
    pb.setGravity(0, 0, -robot.get("world.gravity"), physicsClientId=client)
    pb.setPhysicsEngineParameter(fixedTimeStep=robot.get("world.timestep"),
                                 physicsClientId=client)
    for link in range(pb.getNumJoints(body, physicsClientId=client)):
        info = pb.getDynamicsInfo(robot.body, link, physicsClientId=robot.client)
        pb.changeDynamics(body, link, mass=info[0], localInertiaDiagonal=info[2],
                          physicsClientId=client)
    for link in range(-1, pb.getNumJoints(body, physicsClientId=client)):
        pb.changeDynamics(body, link, linearDamping=0.0, angularDamping=0.0,
                          physicsClientId=client)
    for j in range(pb.getNumJoints(body, physicsClientId=client)):
        pb.setJointMotorControl2(body, j, pb.VELOCITY_CONTROL, force=0.0, physicsClientId=client)
    return client, body


class ReferenceEnv(gym.Env[np.ndarray, np.ndarray]):
    """One built-in task (``furuta_swingup``, ``cartpole_balance``, ``pendulum_swingup``)."""

    def __init__(self, task: str, max_steps: int = 500) -> None:
        robot_name = {"furuta_swingup": "furuta", "cartpole_balance": "cartpole",
                      "pendulum_swingup": "pendulum"}[task]
        with SimRobot(robot_name) as robot:
            self.client, self.body = _copy_model(robot)
            self.joints = [robot.joint_index(j) for j in robot.spec.joint_names]
            self.motor = robot.joint_index(robot.spec.actuators[0].joint)
            act = robot.actuators[0]
            self.km, self.rm = (getattr(act, "torque_constant", 0.0),
                                getattr(act, "resistance", 1.0))
            self.dc = hasattr(act, "torque_constant")
            for name in robot.spec.joint_names:
                c = robot.get(f"joint.{name}.damping")
                if self.dc and name == act.joint:
                    c += self.km * self.km / self.rm
                pb.changeDynamics(self.body, robot.joint_index(name), jointDamping=c,
                                  physicsClientId=self.client)
            self.high = float(robot.spec.actuators[0].high)
            self.dt = robot.get("world.timestep")
            self.period = robot.get("world.control_period")
        self.task, self.max_steps = task, max_steps
        n_obs = {"furuta_swingup": 6, "cartpole_balance": 5, "pendulum_swingup": 3}[task]
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n_obs,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._steps = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        n = len(self.joints)
        q, qd = (options or {}).get("state", (self.np_random.uniform(-0.05, 0.05, n),
                                                self.np_random.uniform(-0.05, 0.05, n)))
        for j, qi, qdi in zip(self.joints, q, qd, strict=True):
            pb.resetJointState(self.body, j, float(qi), float(qdi), physicsClientId=self.client)
        self._steps, self._t, self._t_tick = 0, 0.0, 0.0
        return self._obs(*self._state()), {}

    def _state(self) -> tuple[list[float], list[float]]:
        states = pb.getJointStates(self.body, self.joints, physicsClientId=self.client)
        return [s[0] for s in states], [s[1] for s in states]

    def _obs(self, q: list[float], qd: list[float]) -> np.ndarray:
        if self.task == "furuta_swingup":
            v = [math.cos(q[0]), math.sin(q[0]), math.cos(q[1]), math.sin(q[1]), qd[0], qd[1]]
        elif self.task == "cartpole_balance":
            v = [q[0], math.cos(q[1]), math.sin(q[1]), qd[0], qd[1]]
        else:
            v = [math.cos(q[0]), math.sin(q[0]), qd[0]]
        return np.array(v, dtype=np.float32)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = min(max(float(action[0]), -1.0), 1.0)
        u = a * self.high
        force = self.km * u / self.rm if self.dc else u
        self._t_tick += self.period  # whole sub-steps per period, as close as possible
        substeps = max(1, round((self._t_tick - self._t) / self.dt))
        self._t += substeps * self.dt
        for _ in range(substeps):
            pb.setJointMotorControlArray(self.body, [self.motor], pb.TORQUE_CONTROL,
                                         forces=[force], physicsClientId=self.client)
            pb.stepSimulation(physicsClientId=self.client)
        q, qd = self._state()
        self._steps += 1
        if self.task == "furuta_swingup":
            up = 0.5 * (1.0 - math.cos(q[1]))
            slow = math.exp(-0.5 * (qd[1] ** 2 + 0.5 * qd[0] ** 2) / 16.0)
            reward = up * (0.3 + 0.7 * slow) - 0.1 * (q[0] / 2.0) ** 2 - 1e-3 * a * a
            terminated = abs(q[0]) > 2.0
        elif self.task == "cartpole_balance":
            reward = 1.0
            pole = (q[1] + math.pi) % (2 * math.pi) - math.pi
            terminated = abs(q[0]) > 2.4 or abs(pole) > 12 * math.pi / 180
        else:
            err = (q[0] - math.pi + math.pi) % (2 * math.pi) - math.pi
            reward = -(err * err + 0.1 * qd[0] ** 2 + 0.01 * a * a)
            terminated = False
        truncated = self._steps >= self.max_steps
        return self._obs(q, qd), reward, terminated, truncated, {}

    def close(self) -> None:
        if self.client >= 0:
            pb.disconnect(physicsClientId=self.client)
            self.client = -1
