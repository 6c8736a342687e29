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


#: A channel whose values span less than this (rad, m, rad/s, ...) does not move.
STILL = 1e-9


def rms_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square difference per column (joint) of two equally long trajectories."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = min(len(a), len(b))
    return np.sqrt(np.mean((a[:n] - b[:n]) ** 2, axis=0))


def nrmse(a: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """:func:`rms_gap` per column divided by the range (max - min) of ``reference`` there.

    A gap in rad or m means little without the size of the motion: 0.01 rad is 1 % of a
    1 rad swing. Columns where ``reference`` does not move (a range below
    :data:`STILL` in its unit, float residue of a filter at rest) give NaN.

    >>> nrmse(np.array([[0.0], [1.1]]), np.array([[0.0], [1.0]])).round(4).tolist()
    [0.0707]
    >>> nrmse(np.array([[0.0], [0.1]]), np.array([[0.0], [1e-19]])).tolist()
    [nan]
    """
    ref = np.asarray(reference, dtype=float)
    span = np.ptp(ref[: min(len(a), len(ref))], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(span > STILL, rms_gap(a, ref) / span, np.nan)


def differing_parameters(values: dict[str, float], nominal: dict[str, float],
                         rtol: float = 1e-6) -> list[str]:
    """Names of the parameters whose value differs from nominal (beyond ``rtol``), sorted.

    Float noise (a value written and read back) does not count; a parameter missing from
    ``nominal`` does.

    >>> differing_parameters({"a": 1.0, "b": 2.0 + 1e-12, "c": 0.5}, {"a": 1.0, "b": 2.0, "c": 0})
    ['c']
    """
    return sorted(n for n, v in values.items()
                  if n not in nominal or not np.isclose(v, nominal[n], rtol=rtol, atol=0.0))
