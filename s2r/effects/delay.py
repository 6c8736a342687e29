"""Action and observation delays at any resolution, not rounded to the physics step.

:class:`CommandDelay` holds the commands as a zero-order hold and returns,
for a physics sub-step ``[t, t + dt)``, the time-weighted average of the
commands in force over ``[t - d, t + dt - d)``: exact for an actuator linear
in its command, and a smooth function of ``d``. :class:`History` keeps
timestamped samples and linearly interpolates them at ``t - d``.

>>> line = CommandDelay(1, delay=0.003)
>>> line.push(0.0, (1.0,))
>>> [line.average(t, t + 0.002)[0] for t in (0.0, 0.002, 0.004)]
[0.0, 0.5, 1.0]
>>> h = History(0.001)
>>> h.append(0.0, (0.0,)); h.append(0.002, (2.0,))
>>> h.at(0.0025)
(1.5,)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

EPS = 1e-12  # s: times closer than this are equal (tick times are sums of floats)

Values = tuple[float, ...]


class CommandDelay:
    """A delay line for command vectors of ``width`` channels, delayed by ``delay`` seconds.

    ``push(t, u, extra)`` says: from ``t + extra`` on, ``u`` is in force (``extra``
    is a per-command delay on top of ``delay``, e.g. a jitter draw). Effect times
    never go backwards: a command that would overtake an earlier one takes
    effect together with it (a serial link delivers in order).
    """

    __slots__ = ("delay", "width", "_held", "_changes")

    def __init__(self, width: int, delay: float = 0.0) -> None:
        self.width = width
        self.delay = float(delay)
        self._held: Values = (0.0,) * width
        self._changes: deque[tuple[float, Values]] = deque()

    def reset(self, command: Sequence[float] | None = None) -> None:
        """Forget every pending command; ``command`` (default zeros) is in force."""
        self._held = (0.0,) * self.width if command is None else tuple(map(float, command))
        self._changes.clear()

    def push(self, t: float, command: Sequence[float], extra: float = 0.0) -> None:
        """``command`` is in force from ``t + extra`` on (then read ``delay`` later)."""
        when = t + extra
        changes = self._changes
        if changes and when <= changes[-1][0] + EPS:
            when = changes[-1][0]
            changes.pop()
        changes.append((when, tuple(map(float, command))))

    def average(self, t0: float, t1: float) -> Values:
        """Time-weighted mean of the command in force over ``[t0 - delay, t1 - delay)``.

        When no change falls inside the interval the result is the very tuple
        returned before, so a caller can skip work with ``if u is not last:``.
        """
        a, b = t0 - self.delay, t1 - self.delay
        changes = self._changes
        while changes and changes[0][0] <= a + EPS:
            self._held = changes.popleft()[1]
        held = self._held
        if not changes or changes[0][0] >= b - EPS or b - a <= EPS:
            return held
        acc = [0.0] * self.width
        start, value = a, held
        for when, nxt in changes:
            if when >= b - EPS:
                break
            w = when - start
            acc = [s + w * v for s, v in zip(acc, value)]
            start, value = when, nxt
        w = b - start
        span = b - a
        return tuple((s + w * v) / span for s, v in zip(acc, value))

    def snapshot(self) -> dict[str, Any]:
        """Plain data (floats and lists) that :meth:`restore` takes back."""
        return {"delay": self.delay, "held": list(self._held),
                "changes": [[t, list(v)] for t, v in self._changes]}

    def restore(self, state: dict[str, Any]) -> None:
        self.delay = float(state["delay"])
        self._held = tuple(map(float, state["held"]))
        self._changes = deque((float(t), tuple(map(float, v))) for t, v in state["changes"])


class History:
    """Timestamped samples, linearly interpolated at a time ``delay`` in the past.

    Samples must come in time order; before the oldest sample the oldest is
    returned (the state was constant before the history started).
    """

    __slots__ = ("delay", "_samples")

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = float(delay)
        self._samples: deque[tuple[float, Values]] = deque()

    def reset(self, t: float, values: Sequence[float]) -> None:
        """Start over with one sample."""
        self._samples.clear()
        self.append(t, values)

    def append(self, t: float, values: Sequence[float]) -> None:
        self._samples.append((t, tuple(values)))

    def at(self, now: float) -> Values:
        """The samples interpolated at ``now - delay``; older samples are dropped."""
        t = now - self.delay
        samples = self._samples
        while len(samples) > 1 and samples[1][0] <= t + EPS:
            samples.popleft()
        t0, v0 = samples[0]
        if len(samples) == 1 or t <= t0 + EPS:
            return v0
        t1, v1 = samples[1]
        w = (t - t0) / (t1 - t0)
        return tuple(x + w * (y - x) for x, y in zip(v0, v1))

    def time_at(self, now: float) -> float:
        """The time :meth:`at` interpolates at: ``now - delay``, not before the oldest sample."""
        return max(now - self.delay, self._samples[0][0])

    def newest(self) -> Values | None:
        """The most recent sample (``None`` before the first)."""
        return self._samples[-1][1] if self._samples else None

    def snapshot(self) -> dict[str, Any]:
        """Plain data that :meth:`restore` takes back."""
        return {"delay": self.delay, "samples": [[t, list(v)] for t, v in self._samples]}

    def restore(self, state: dict[str, Any]) -> None:
        self.delay = float(state["delay"])
        self._samples = deque((float(t), tuple(map(float, v))) for t, v in state["samples"])
