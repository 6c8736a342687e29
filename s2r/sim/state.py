"""Snapshots of a simulated robot's state, and states built from a logged history.

A :class:`SimState` holds everything that shapes the next step of a
:class:`~s2r.sim.SimRobot` besides its parameters: joint positions and
velocities, the commands still waiting in the action delay, the measurements
a delayed observation can still return, the command the actuators apply, and
simulated time. It holds plain floats and tuples only, so it pickles and
compares; :meth:`SimRobot.set_state` restores it exactly.

Multiple-shooting system identification starts each log segment from a state
built with :func:`state_from_log`: the logged joint state plus the commands
of the last delay window, so a segment does not start with the actuators at 0.

>>> state = state_from_log(1.0, q=[0.1], qd=[0.0], commands=[(0.97, [1.0]), (0.99, [2.0])],
...                        action_delay=0.02)
>>> state.command, state.pending
((1.0,), ((1.01, (2.0,)),))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from s2r.effects.delay import EPS
from s2r.errors import RobotError

Floats = tuple[float, ...]


@dataclass(frozen=True)
class SimState:
    """Everything but the parameters that decides a SimRobot's next steps.

    ``q``/``qd`` are the measured joints in robot order; ``other_joints`` the
    (position, velocity) of movable URDF joints that are not measured;
    ``command`` what the actuators apply now; ``pending`` the delayed commands
    as ``(due time, command)``; ``history`` the ``(t, q, qd, sensors)``
    measurements kept for the observation delay, oldest first; ``t`` the
    simulated time and ``t_tick`` the time of the last control tick.
    ``effects`` is the exact state of the timing and sensing effects
    (:meth:`s2r.effects.EffectModel.snapshot` without the parameters, plus the
    command applied, the one last sent and the last measurement) when they
    are on; a state built from a log leaves it ``None``.
    """

    t: float
    q: Floats
    qd: Floats
    command: Floats
    pending: tuple[tuple[float, Floats], ...] = ()
    history: tuple[tuple[float, Floats, Floats, Floats], ...] = ()
    t_tick: float | None = None
    other_joints: tuple[tuple[float, float], ...] = ()
    effects: dict[str, Any] | None = None


def _floats(values: Iterable[float]) -> Floats:
    return tuple(float(v) for v in values)


def state_from_log(t: float, q: Sequence[float], qd: Sequence[float],
                   commands: Iterable[tuple[float, Sequence[float]]], action_delay: float, *,
                   measurements: Iterable[tuple[float, Sequence[float], Sequence[float]]] = (),
                   observation_delay: float = 0.0) -> SimState:
    """A :class:`SimState` at logged time ``t`` from the log's joint state and history.

    Args:
        t: the logged time the simulation starts at.
        q, qd: the joint state at ``t`` (measured joints, robot order).
        commands: ``(time sent, command)`` of the commands sent before ``t``
            (at least those of the last ``action_delay`` seconds and the one before).
        action_delay: ``delay.action`` of the robot the state is for.
        measurements: ``(time, q, qd)`` logged before ``t`` (for an observation delay).
        observation_delay: ``delay.observation`` of the robot.
    """
    sent = sorted(((float(ts), _floats(u)) for ts, u in commands), key=lambda c: c[0])
    if not sent:
        raise RobotError("state_from_log: no commands (at least the last one sent before the "
                         "start is needed)")
    if any(ts > t + EPS for ts, _ in sent):
        raise RobotError(f"state_from_log: a command is sent after the start time {t}")
    applied = [u for ts, u in sent if ts + action_delay <= t + EPS]
    command = applied[-1] if applied else (0.0,) * len(sent[0][1])
    pending = tuple((ts + action_delay, u) for ts, u in sent if ts + action_delay > t + EPS)
    history: list[tuple[float, Floats, Floats, Floats]] = []
    if observation_delay > 0.0:
        history = [(float(tm), _floats(qm), _floats(qdm), ())
                   for tm, qm, qdm in sorted(measurements, key=lambda m: m[0]) if tm < t - EPS]
        while len(history) > 1 and history[1][0] <= t - observation_delay + EPS:
            history.pop(0)
    history.append((float(t), _floats(q), _floats(qd), ()))
    return SimState(float(t), _floats(q), _floats(qd), command, pending, tuple(history),
                    float(t))
