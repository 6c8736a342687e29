"""Rollouts: a command sequence run on a SimRobot, the observations stacked.

A rollout is the unit of work system identification and evaluation send to
worker processes: the robot pickles (rebuilt in its own physics client from
its description, parameter values and state), the commands are an array.

>>> from s2r.sim import SimRobot
>>> with SimRobot("pendulum") as robot:
...     _ = robot.reset(q=[0.5])
...     run = rollout(robot, [[1.0], [1.0], [0.0]])
>>> run.q.shape, run.t.round(9).tolist()
((3, 1), [0.02, 0.04, 0.06])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from s2r.sim.sim_robot import SimRobot
    from s2r.sim.state import SimState


@dataclass
class Rollout:
    """Observations after each command: times, joint states, sensors, applied commands."""

    t: np.ndarray
    q: np.ndarray
    qd: np.ndarray
    sensors: np.ndarray
    actions: np.ndarray


def rollout(robot: SimRobot, actions: Sequence[Sequence[float]] | np.ndarray,
            state: SimState | None = None) -> Rollout:
    """Apply ``actions`` one control period each, from ``state`` (default: the current one)."""
    if state is not None:
        robot.set_state(state)
    t, q, qd, sensors, applied = [], [], [], [], []
    for u in np.asarray(actions, dtype=float).reshape(-1, robot.spec.n_actions).tolist():
        applied.append(robot.act_floats(u))  # act, bit for bit, without NumPy per step
        obs = robot.observe()
        t.append(obs.t)
        q.append(obs.q)
        qd.append(obs.qd)
        sensors.append(obs.sensors)
    k, n = len(t), robot.spec.n_joints
    return Rollout(np.array(t), np.array(q).reshape(k, n), np.array(qd).reshape(k, n),
                   np.array(sensors).reshape(k, len(robot.spec.sensors)),
                   np.array(applied).reshape(k, robot.spec.n_actions))
