"""Actuation effects on the command: deadzone and rate limit.

``motor.<j>.deadzone`` has one meaning everywhere, the DC motor's: commands
with ``|u| <= dz`` give 0 and larger ones are shifted towards zero by ``dz``,
so the output is continuous in ``u`` (a brush motor needs ``dz`` volts to
overcome its static friction; above that the torque grows from zero).

``motor.<j>.rate_limit`` is in command units per second: a command may move
at most ``rate_limit * (t - t_previous)`` from the previous applied one (0:
unlimited). Sent once per control period ``T`` it is the safety layer's
``max_action_delta = rate_limit * T``.

>>> deadzone(1.0, 0.2), deadzone(-0.1, 0.2)
(0.8, 0.0)
>>> lim = RateLimiter((2.0,))
>>> lim.limit(0.1, (1.0,)), lim.limit(0.2, (1.0,))
((0.2,), (0.4,))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def deadzone(u: float, width: float) -> float:
    """``0`` for ``|u| <= width``, otherwise ``u - sign(u) * width``."""
    if u > width:
        return u - width
    if u < -width:
        return u + width
    return 0.0


class RateLimiter:
    """Limit each channel's change per second; ``rates[i] == 0`` leaves channel i free."""

    __slots__ = ("rates", "_t", "_last")

    def __init__(self, rates: Sequence[float]) -> None:
        self.rates = [float(r) for r in rates]
        self.reset(0.0)

    def reset(self, t: float, command: Sequence[float] | None = None) -> None:
        """``command`` (default zeros) was applied at time ``t``."""
        self._t = float(t)
        self._last = (0.0,) * len(self.rates) if command is None else tuple(map(float, command))

    @property
    def last(self) -> tuple[float, ...]:
        """The last applied command."""
        return self._last

    def limit(self, t: float, command: Sequence[float]) -> tuple[float, ...]:
        """The command applied at ``t``: ``command`` moved at most ``rate * (t - t_last)``."""
        dt = max(t - self._t, 0.0)
        out = []
        for u, last, rate in zip(command, self._last, self.rates):
            if rate > 0.0:
                step = rate * dt
                u = min(max(u, last - step), last + step)
            out.append(float(u))
        self._t, self._last = float(t), tuple(out)
        return self._last

    def snapshot(self) -> dict[str, Any]:
        return {"t": self._t, "last": list(self._last)}

    def restore(self, state: dict[str, Any]) -> None:
        self._t = float(state["t"])
        self._last = tuple(map(float, state["last"]))
