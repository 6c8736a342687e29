"""Multiple shooting: recordings cut into short segments, each simulated from the log.

A segment starts at a logged row ``k``: the simulation is put in the logged joint
state *and* the logged command history (:func:`~s2r.sim.state.state_from_log` fills
the action-delay queue with the commands sent before ``t[k]``), then the logged
commands ``u[k], u[k+1], ...`` are applied one control period each and the
measurement after each is compared with the logged rows ``k+1, k+2, ...``. Short
segments keep an unstable plant (an inverted pendulum) from drifting away from the
log, so the fit sees the dynamics instead of the divergence; ``length=None`` gives one
segment per recording (single shooting), for comparison. Nothing is differentiated:
the residuals are of measured signals only.

Channels are log column names: ``q`` (every joint position), ``qd`` (every velocity),
``q.<joint>``, ``qd.<joint>`` or a sensor name (``current.arm``).

>>> channels(["q"], ["arm", "pendulum"], ["current.arm"])
['q.arm', 'q.pendulum']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from s2r.errors import ConfigError
from s2r.robot import Robot
from s2r.sim.state import state_from_log
from s2r.sysid.data import Recording


def channels(signals: Sequence[str], joints: Sequence[str], sensors: Sequence[str]
             ) -> list[str]:
    """The log columns named by ``signals`` (``q``, ``qd``, ``q.<joint>``, sensors)."""
    out: list[str] = []
    known = [*(f"q.{j}" for j in joints), *(f"qd.{j}" for j in joints), *sensors]
    for s in signals:
        names = [f"{s}.{j}" for j in joints] if s in ("q", "qd") else [s]
        for name in names:
            if name not in known:
                raise ConfigError(f"unknown signal '{s}' (known: q, qd, {', '.join(known)})",
                                  where="signals")
            if name not in out:
                out.append(name)
    if not out:
        raise ConfigError("give at least one signal (q, qd, q.<joint>, a sensor)",
                          where="signals")
    return out


def measured(rec: Recording, columns: Sequence[str], joints: Sequence[str],
             sensors: Sequence[str]) -> np.ndarray:
    """The logged values of ``columns``, one column each."""
    cols = []
    for c in columns:
        kind, _, name = c.partition(".")
        if c in sensors:
            cols.append(rec.sensors[:, list(sensors).index(c)])
        elif kind == "q":
            cols.append(rec.q[:, list(joints).index(name)])
        else:
            cols.append(rec.qd[:, list(joints).index(name)])
    return np.column_stack(cols)


@dataclass(frozen=True)
class Segment:
    """A stretch of log to simulate: start row ``(t0, q0, qd0)``, the commands sent before it
    (``history``: ``(time, command)``) and the measurements before it (``past``:
    ``(time, q, qd)``, for an observation delay), the commands ``u`` (L, actuators) to
    apply and the measured ``target`` (L, channels) after each."""

    source: str
    t0: float
    q0: tuple[float, ...]
    qd0: tuple[float, ...]
    history: tuple[tuple[float, tuple[float, ...]], ...]
    past: tuple[tuple[float, tuple[float, ...], tuple[float, ...]], ...]
    u: np.ndarray
    target: np.ndarray


VELOCITIES = ("logged", "central")


def start_velocities(rec: Recording, how: str) -> np.ndarray:
    """Joint velocities segments start from: ``logged`` (the log's ``qd``) or ``central``
    (``(q[k+1] - q[k-1]) / (t[k+1] - t[k-1])``: no filter lag, for logs whose velocities
    are filtered differences; the first and last rows keep the logged value).

    >>> import numpy as np
    >>> t = np.arange(4) * 0.1
    >>> rec = Recording("x", t, np.zeros((4, 1)), (t ** 2)[:, None], np.zeros((4, 1)),
    ...                 np.zeros((4, 0)))
    >>> start_velocities(rec, "central")[:, 0].round(6).tolist()
    [0.0, 0.2, 0.4, 0.0]
    """
    if how not in VELOCITIES:
        raise ConfigError(f"must be logged or central, got {how!r}", where="start_velocity")
    qd = rec.qd.copy()
    if how == "central" and len(rec) >= 3:
        qd[1:-1] = (rec.q[2:] - rec.q[:-2]) / (rec.t[2:] - rec.t[:-2])[:, None]
    return qd


def cut(rec: Recording, target: np.ndarray, length: float | None, control_rate: float,
        history: float = 0.1, start_velocity: str = "logged") -> list[Segment]:
    """Segments of ``length`` seconds (``None``: the whole recording) of one recording.

    ``target`` holds the measured channels of every row of ``rec``; ``history`` is how
    far back (s) commands are kept for the delay queue (at least the longest delay);
    ``start_velocity`` says where the start velocities come from (:func:`start_velocities`).
    Segments start at row 1 or later (the first needs a command sent before it).
    """
    n = len(rec)
    qd0 = start_velocities(rec, start_velocity)
    steps = n - 2 if length is None else max(1, int(round(length * control_rate)))
    out = []
    for k in range(1, n - 1, steps):
        end = min(k + steps, n - 1)
        rows = [j for j in range(k) if rec.t[j] >= rec.t[k] - history or j == k - 1]
        before = tuple((float(rec.t[j]), tuple(map(float, rec.u[j]))) for j in rows)
        past = tuple((float(rec.t[j]), tuple(map(float, rec.q[j])), tuple(map(float, rec.qd[j])))
                     for j in rows)
        out.append(Segment(f"{rec.source}@{rec.t[k]:.3f}", float(rec.t[k]),
                           tuple(map(float, rec.q[k])), tuple(map(float, qd0[k])),
                           before, past, rec.u[k:end], target[k + 1:end + 1]))
    return out


def simulate(robot: Robot, seg: Segment, columns: Sequence[str], joints: Sequence[str],
             sensors: Sequence[str]) -> np.ndarray:
    """The simulated ``columns`` after each of the segment's commands (rows like ``target``).

    ``robot`` is a SimRobot with the parameter values to evaluate already set.
    """
    get = robot.get  # type: ignore[attr-defined]
    robot.set_state(state_from_log(  # type: ignore[attr-defined]
        seg.t0, seg.q0, seg.qd0, seg.history, get("delay.action"), measurements=seg.past,
        observation_delay=get("delay.observation")))
    pick = []
    for c in columns:
        kind, _, name = c.partition(".")
        pick.append((2, list(sensors).index(c)) if c in sensors else
                    (0 if kind == "q" else 1, list(joints).index(name)))
    out = np.empty((len(seg.u), len(columns)))
    for i, u in enumerate(seg.u):
        robot.act(u)
        obs = robot.observe()
        parts = (obs.q, obs.qd, obs.sensors)
        out[i] = [parts[a][b] for a, b in pick]
    return out
