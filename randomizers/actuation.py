"""Actuation randomizers: what the actuators do with a command.

They transform the command on its way to the actuators: in physical units
(volts, newtons, N*m) on an s2r task, where the controller's command stays
what ``info["applied_action"]`` reports, as on hardware; on any other env, the
env's action vector. Per-episode values (a deadzone width, a backlash gap)
come from :meth:`sample`, so they are recorded in ``info["randomization"]``
and replayed; per-step noise comes in blocks from the episode's step
generator (:class:`~randomizers.pipeline.StepDraws`). Each works on the
command as Python floats (:mod:`randomizers.pipeline`). The deadzone is the
robot parameter ``motor.<m>.deadzone`` where the robot has it. Command
latency (``action_delay``) is in :mod:`randomizers.timing`.

Each option ``indices`` picks actuators (positions in the action vector; all
by default). ``scale`` (curricula, 0..1) shrinks sampled ranges towards their
centre and noise towards zero.

>>> import numpy as np
>>> from randomizers.wrapper import RandomizedEnv
>>> from s2r.tasks import PendulumSwingup
>>> env = RandomizedEnv(PendulumSwingup(), [Deadzone(distribution=[0.1, 0.2])], seed=0)
>>> _, info = env.reset(seed=0)
>>> width = info["randomization"]["deadzone"]["values"]["motor.hinge.deadzone"]
>>> 0.1 <= width <= 0.2
True
>>> env.close()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.distributions import make_distribution
from randomizers.effect_names import apply_values, check_reach, effect_names, sample_values
from randomizers.pipeline import StepDraws
from randomizers.registry import register
from randomizers.transforms import (
    KINDS,
    ActionRandomizer,
    EpisodeValueRandomizer,
    column,
    command_limits,
)
from s2r.effects import RateLimiter, deadzone

__all__ = ["KINDS", "ActionNoise", "ActionRandomizer", "Backlash", "Deadzone",
           "EpisodeValueRandomizer", "RateLimit", "Saturation", "command_limits"]


def _amplitude(value: float | Sequence[float], who: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise RandomizationError(f"{who}: amplitude must be finite and >= 0, got {value}")
    return arr


@register("action_noise")
class ActionNoise(ActionRandomizer):
    """Noise added to (or multiplying) the command at every control step.

    Args:
        amplitude: required; the std or half-width, a number or one per selected
            actuator, in command units (relative if ``multiplicative``).
        kind: ``gaussian`` (``amplitude`` is the std) or ``uniform`` (in ``+-amplitude``).
        multiplicative: ``u * (1 + noise)`` instead of ``u + noise``.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [ActionNoise(0.2)], seed=0)
    >>> obs, _ = env.reset(seed=0)
    >>> obs, *_ = env.step(np.zeros(1, np.float32))   # the pendulum got N(0, 0.2^2) N*m
    """

    def __init__(self, amplitude: float | Sequence[float] | None = None, kind: str = "gaussian",
                 multiplicative: bool = False, indices: Sequence[int] | None = None, *,
                 mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(indices, mode=mode, interval=interval, name=name)
        if amplitude is None:
            raise RandomizationError(f"{self.name}: amplitude: required (in command units)")
        if kind not in KINDS:
            raise RandomizationError(f"{self.name}: kind '{kind}' unknown (known: gaussian, "
                                     "uniform)")
        self.kind, self.multiplicative = kind, bool(multiplicative)
        self.amplitude = _amplitude(amplitude, self.name)

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        if self.amplitude.size not in (1, self.size):
            raise RandomizationError(f"{self.name}: amplitude has {self.amplitude.size} values "
                                     f"for {self.size} actuator(s)")
        # drawn in blocks from the episode's stream (randomizers.pipeline)
        self.draws = StepDraws(self.size, "normal" if self.kind == "gaussian" else "uniform",
                               self.amplitude)

    def action_values(self, values: list[float], ctx: RandomizationContext,
                      rng: np.random.Generator) -> list[float]:
        s = self.scale  # r * 1.0 is r: no branch on scale
        if self.multiplicative:
            for i, r in zip(self.pos, self.draws.row(rng)):
                values[i] *= r * s + 1.0
        else:
            for i, r in zip(self.pos, self.draws.row(rng)):
                values[i] += r * s
        return values


@register("deadzone")
class Deadzone(ActionRandomizer):
    """Actuator deadzone ``motor.<m>.deadzone``: ``|u| <= dz`` gives 0, larger commands
    are shifted to ``u - sign(u) dz`` (a DC motor's static friction; continuous in ``u``).

    Samples the robot parameter ``motor.<m>.deadzone`` per selected actuator (``<m>`` the
    actuator's joint). A target without that parameter (an env that is not an s2r
    task, or a robot whose actuator has none) gets the same effect,
    :func:`s2r.effects.deadzone`, applied to its action vector; the names are then
    ``motor.<i>.deadzone`` with ``<i>`` the position in the action vector.
    Record: ``{"values": {name: dz}}``.

    Args:
        distribution: the deadzone, in command units (V, N, N*m; >= 0), per episode.
        shared: one value for all selected actuators (else one each).

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [Deadzone([0.1, 0.3])], seed=0)
    >>> _, info = env.reset(seed=0)
    >>> 0.1 <= info["randomization"]["deadzone"]["values"]["motor.0.deadzone"] <= 0.3
    True
    """

    keeps_limits = True  # |deadzone(u)| <= |u|

    def __init__(self, distribution: Any = None, shared: bool = False,
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(indices, mode=mode, interval=interval, name=name)
        self.distribution = make_distribution((0.0, 0.1) if distribution is None
                                              else distribution)
        lo, hi = self.distribution.support()
        if lo < 0:
            raise RandomizationError(f"{self.name}: the deadzone could reach [{lo}, {hi}], "
                                     "below 0")
        self.shared = shared
        self.widths: list[float] = []

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self.names, self.on_robot = effect_names(ctx, "motor.{}.deadzone", self.pos)
        if self.on_robot:
            check_reach(ctx, self.name, self.names, self.distribution)
        self.widths = [0.0] * self.size

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return sample_values(self.names, self.distribution, self.scale, self.shared, rng)

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        values = apply_values(ctx, self.name, record, self.names, "distribution", self.on_robot)
        self.widths = [values[n] for n in self.names]
        self._pairs = list(zip(self.pos, self.widths))

    def active(self, ctx: RandomizationContext) -> bool:
        return not self.on_robot and any(self.widths)

    def action_values(self, values: list[float], ctx: RandomizationContext,
                      rng: np.random.Generator) -> list[float]:
        for i, w in self._pairs:
            values[i] = deadzone(values[i], w)
        return values


@register("rate_limit")
class RateLimit(ActionRandomizer):
    """Slew-rate limit ``motor.<m>.rate_limit``: a command moves at most ``rate * T`` per
    control period ``T`` from the previous applied one (command units per second).

    Samples the robot parameter where the robot has it; otherwise the selected
    commands pass through :class:`s2r.effects.RateLimiter` here (from 0 at each
    episode's start), under the names ``motor.<i>.rate_limit``.
    Record: ``{"values": {name: rate}}``.

    Args:
        distribution: required; the rate (> 0; command units per second), per episode.
        shared: one value for all selected actuators (else one each).

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [RateLimit(10.0)], control_period=0.05)
    >>> _, info = env.reset(seed=0)    # then a torque moves at most 0.5 N*m per step
    >>> info["randomization"]["rate_limit"]
    {'values': {'motor.0.rate_limit': 10.0}}
    """

    keeps_limits = True  # between the previous command (or 0) and this one

    def __init__(self, distribution: Any = None, shared: bool = False,
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(indices, mode=mode, interval=interval, name=name)
        if distribution is None:
            raise RandomizationError(f"{self.name}: distribution: required (command units per "
                                     "second), e.g. [50, 200]")
        self.distribution = make_distribution(distribution)
        lo, hi = self.distribution.support()
        if lo <= 0:
            raise RandomizationError(f"{self.name}: the rate could reach [{lo}, {hi}]: it must "
                                     "be > 0")
        self.shared = shared

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self.names, self.on_robot = effect_names(ctx, "motor.{}.rate_limit", self.pos)
        if not self.on_robot:
            self.names = [f"motor.{i}.rate_limit" for i in self.pos]
        else:
            check_reach(ctx, self.name, self.names, self.distribution)
        self._limiter = RateLimiter([0.0] * self.size)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return sample_values(self.names, self.distribution, self.scale, self.shared, rng)

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        values = apply_values(ctx, self.name, record, self.names, "distribution", self.on_robot)
        self._limiter.rates[:] = [values[n] for n in self.names]

    def active(self, ctx: RandomizationContext) -> bool:
        return not self.on_robot

    def action_values(self, values: list[float], ctx: RandomizationContext,
                      rng: np.random.Generator) -> list[float]:
        limiter, period = self._limiter, ctx.control_period
        if ctx.step == 0:  # a new episode: the previous command was 0, one period ago
            limiter.reset(-period)
        out = limiter.limit(ctx.step * period, [values[i] for i in self.pos])
        for i, u in zip(self.pos, out):
            values[i] = u
        return values


@register("backlash")
class Backlash(EpisodeValueRandomizer):
    """Gear play: the output only moves once the input has crossed the gap.

    A play (hysteresis) operator, ``y = clip(y_prev, u - gap/2, u + gap/2)``,
    from ``y_prev = 0`` at each episode's start: reversing the command moves
    nothing until it has travelled the whole gap.

    Args:
        distribution: the gap, in command units (>= 0), per episode.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [Backlash(0.4)], seed=0)
    >>> _, info = env.reset(seed=0)
    >>> info["randomization"]["backlash"]["gap"]   # reversals move nothing for 0.4 N*m
    [0.4]
    """

    key = "gap"

    keeps_limits = True  # y stays between 0 and past commands

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self._y = [0.0] * self.size  # the gear's position

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        super().apply(ctx, record)
        self._gaps = column(self.value, self.size)
        self._items = list(zip(range(self.size), self.pos, self._gaps))

    def active(self, ctx: RandomizationContext) -> bool:
        # y = clip(y, u, u) = u; an interval firing could need y: kept then
        return self.mode == "interval" or any(self._gaps)

    def action_values(self, values: list[float], ctx: RandomizationContext,
                      rng: np.random.Generator) -> list[float]:
        y = self._y
        if ctx.step == 0:  # a new episode: the gear sits at 0
            y[:] = [0.0] * self.size
        for j, i, gap in self._items:
            edge = values[i] - 0.5 * gap  # y = clip(y, u - gap/2, u + gap/2)
            v = y[j] if y[j] > edge else edge
            edge += gap
            values[i] = y[j] = v if v < edge else edge
        return values


@register("saturation")
class Saturation(EpisodeValueRandomizer):
    """A weaker actuator: commands clipped to ``[f * low, f * high]``.

    ``low, high`` is the robot's command range (s2r task) or the action
    space's bounds (other envs).

    Args:
        distribution: the fraction ``f`` in (0, 1], per episode.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [Saturation([0.5, 0.8])], seed=0)
    >>> _, info = env.reset(seed=0)    # Pendulum-v1's +-2 N*m become +-1.0 to +-1.6
    >>> 0.5 <= info["randomization"]["saturation"]["fraction"][0] <= 0.8
    True
    """

    key = "fraction"
    upper = 1.0
    default_distribution = (0.7, 1.0)

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        if self.distribution.support()[0] <= 0:
            raise RandomizationError(f"{self.name}: fraction must be > 0 (0 disables the "
                                     "actuator)")
        try:
            low, high = command_limits(ctx)
        except RandomizationError as err:
            raise RandomizationError(f"{self.name}: {err.message}") from None
        self._low, self._high = low[self.idx], high[self.idx]
        if not (np.all(np.isfinite(self._low)) and np.all(np.isfinite(self._high))):
            raise RandomizationError(f"{self.name}: needs finite command limits")

    keeps_limits = True  # a fraction <= 1 of the range

    def action_values(self, values: list[float], ctx: RandomizationContext,
                      rng: np.random.Generator) -> list[float]:
        for i, lo, hi in self._bounds:
            x = values[i]
            x = x if x > lo else lo
            values[i] = x if x < hi else hi
        return values

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        super().apply(ctx, record)
        self._lo = column(self.value * self._low, self.size)
        self._hi = column(self.value * self._high, self.size)
        self._bounds = list(zip(self.pos, self._lo, self._hi))
