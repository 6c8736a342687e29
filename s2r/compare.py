"""Replaying logged commands in simulation and measuring the gap to the log.

The simplest sim-vs-real comparison: take an episode recorded on the robot
(or the emulator), start a :class:`~s2r.sim.SimRobot` in the episode's first
measured state, apply exactly the commands that were sent, and compare the
joint trajectories. System identification minimises this gap; gap reports
show it.

>>> import numpy as np
>>> from s2r.sim import SimRobot
>>> with SimRobot("pendulum") as robot:
...     u = np.full((50, 1), 1.0)
...     q, qd = replay_commands(robot, [0.5], [0.0], u)
...     q2, _ = replay_commands(robot, [0.5], [0.0], u)
>>> q.shape, rms_gap(q, q2).tolist()
((50, 1), [0.0])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from s2r.robot import Robot


def replay_commands(robot: Robot, q0: Sequence[float], qd0: Sequence[float],
                    commands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reset to (q0, qd0), apply each row of ``commands``; return the measured q, qd.

    Row k of the result is the measurement *before* command k is applied, as in
    a log (row 0 is the start state), so the arrays line up with the log's rows.
    """
    obs = robot.reset(np.asarray(q0, dtype=float), np.asarray(qd0, dtype=float))
    qs, qds = [obs.q], [obs.qd]
    for u in np.asarray(commands, dtype=float)[:-1]:
        robot.act(u)
        obs = robot.observe()
        qs.append(obs.q)
        qds.append(obs.qd)
    return np.array(qs), np.array(qds)


def rms_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square difference per column (joint) of two equally long trajectories."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = min(len(a), len(b))
    return np.sqrt(np.mean((a[:n] - b[:n]) ** 2, axis=0))
