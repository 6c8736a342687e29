"""Timing and sensing effects between a SimRobot's controller and its physics.

What happens to a command on its way to the actuators and to a measurement
on its way back, kept apart from the physics (:mod:`s2r.sim.stepping`). The
effect families themselves (sub-step delay, encoders, velocity filter, ...)
are implemented once in :mod:`s2r.effects`; this module is where SimRobot's
step connects to them. Today it holds:

- :class:`ActionDelay`: commands wait ``delay.action`` seconds in a queue of
  (due time, command) before the actuators apply them;
- :class:`MeasurementHistory`: the measurements of the last
  ``delay.observation`` seconds, so the controller receives an old one;
- command and measurement filters: per-step transforms on Python floats that
  randomizers install (:meth:`s2r.sim.SimRobot.set_filters`).

>>> delay = ActionDelay()
>>> delay.push(0.02, [1.0])
>>> delay.take(0.01) is None, delay.take(0.02)
(True, [1.0])
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

#: slack of time comparisons (sub-steps accumulate float rounding)
EPS = 1e-12

#: transforms of commands and measurements on Python floats
CommandFilter = Callable[[list[float]], list[float]]
MeasurementFilter = Callable[[list[float], list[float], list[float]],
                             tuple[Sequence[float], Sequence[float], Sequence[float]]]
#: (time, q, qd, sensors); the lists are never changed in place
Measurement = tuple[float, list[float], list[float], list[float]]


class ActionDelay:
    """Commands waiting for their due time: a queue of ``(due, command)``."""

    def __init__(self) -> None:
        self.pending: deque[tuple[float, Sequence[float]]] = deque()

    def push(self, due: float, command: Sequence[float]) -> None:
        self.pending.append((due, command))

    def take(self, t: float) -> Sequence[float] | None:
        """The latest command due at time ``t`` (removing every due one), or ``None``."""
        pending, command = self.pending, None
        while pending and pending[0][0] <= t + EPS:
            command = pending.popleft()[1]
        return command

    def clear(self) -> None:
        self.pending.clear()


class MeasurementHistory:
    """The measurements a delayed observation can still return, oldest first."""

    def __init__(self) -> None:
        self.entries: deque[Measurement] = deque()

    def record(self, t: float, q: list[float], qd: list[float], sensors: list[float]) -> None:
        self.entries.append((t, q, qd, sensors))

    def trim(self, t: float, delay: float) -> None:
        """Drop entries older than the newest one at least ``delay`` old at time ``t``."""
        entries = self.entries
        while len(entries) > 1 and entries[1][0] <= t - delay + EPS:
            entries.popleft()

    def oldest(self) -> Measurement:
        """The measurement a controller receives now."""
        return self.entries[0]

    def restart(self, t: float, q: list[float], qd: list[float], sensors: list[float]) -> None:
        self.entries.clear()
        self.entries.append((t, q, qd, sensors))
