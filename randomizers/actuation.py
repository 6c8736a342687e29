"""Actuation randomizers: what the actuators do with a command.

They transform the command on its way to the actuators: in physical units
(volts, newtons, N*m) on an s2r task, where the controller's command stays
what ``info["applied_action"]`` reports, as on hardware; on any other env, the
env's action vector. Per-episode values (a deadzone width, a backlash gap)
come from :meth:`sample`, so they are recorded in ``info["randomization"]``
and replayed; per-step noise comes in blocks from the episode's step
generator passed to :meth:`action` (:class:`~randomizers.fastpath.StepDraws`).
Each has a fast path on Python floats with the same results
(:mod:`randomizers.fastpath`). Command latency (``action_delay``) is in
:mod:`randomizers.timing`.

Each option ``indices`` picks actuators (positions in the action vector; all
by default). ``scale`` (curricula, 0..1) shrinks sampled ranges towards their
centre and noise towards zero.

>>> import numpy as np
>>> from randomizers.wrapper import RandomizedEnv
>>> from s2r.tasks import PendulumSwingup
>>> env = RandomizedEnv(PendulumSwingup(), [Deadzone(distribution=[0.1, 0.2])], seed=0)
>>> _, info = env.reset(seed=0)
>>> width = info["randomization"]["deadzone"]["width"][0]
>>> 0.1 <= width <= 0.2
True
>>> env.close()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.fastpath import ListOp, StepDraws, add_at, skip
from randomizers.registry import register
from randomizers.transforms import (
    KINDS,
    ActionRandomizer,
    EpisodeValueRandomizer,
    column,
    command_limits,
)

__all__ = ["KINDS", "ActionNoise", "ActionRandomizer", "Backlash", "Deadzone",
           "EpisodeValueRandomizer", "Saturation", "command_limits"]


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
        # drawn in blocks from the episode's stream (randomizers.fastpath)
        self.draws = StepDraws(self.size, "normal" if self.kind == "gaussian" else "uniform",
                               self.amplitude)

    def action(self, action: np.ndarray, ctx: RandomizationContext,
               rng: np.random.Generator) -> np.ndarray:
        noise = self.draws.row(rng)
        if self.scale != 1.0:
            noise = noise * self.scale
        if self.multiplicative:
            return self.put(action, action[self.idx] * (noise + 1.0))
        return self.put(action, action[self.idx] + noise)

    def compile_action(self, ctx: RandomizationContext, rng: np.random.Generator
                       ) -> ListOp | None:
        if not self.listable:
            return None
        row_list, pos, add = self.draws.row_list, self.pos, add_at(self.pos)
        if not self.multiplicative:

            def op(u: list[float]) -> None:
                noise, s = row_list(rng), self.scale
                add(u, noise if s == 1.0 else [x * s for x in noise])

            return op

        def op_mult(u: list[float]) -> None:
            noise, s = row_list(rng), self.scale
            for i, x in zip(pos, noise):
                u[i] = u[i] * ((x if s == 1.0 else x * s) + 1.0)

        return op_mult


@register("deadzone")
class Deadzone(EpisodeValueRandomizer):
    """Commands smaller than the deadzone do nothing: ``|u| < width`` gives 0.

    Args:
        distribution: the width, in command units (V, N, N*m; >= 0), per episode.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [Deadzone([0.1, 0.3])], seed=0)
    >>> _, info = env.reset(seed=0)
    >>> 0.1 <= info["randomization"]["deadzone"]["width"][0] <= 0.3
    True
    """

    key = "width"

    def action(self, action: np.ndarray, ctx: RandomizationContext,
               rng: np.random.Generator) -> np.ndarray:
        sel = action[self.idx]
        return self.put(action, np.where(np.abs(sel) < self.value, 0.0, sel))

    def compile_action(self, ctx: RandomizationContext, rng: np.random.Generator
                       ) -> ListOp | None:
        if not self.listable:
            return None
        widths = list(zip(self.pos, column(self.value, self.size)))
        if all(w <= 0.0 for _, w in widths):  # |u| < 0 never holds
            return skip

        def op(u: list[float]) -> None:
            for i, w in widths:
                if abs(u[i]) < w:
                    u[i] = 0.0

        return op


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

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self._y = np.zeros(self.size)
        self._y_list = [0.0] * self.size  # the fast path's gear position

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        super().apply(ctx, record)
        self._half = 0.5 * self.value

    def action(self, action: np.ndarray, ctx: RandomizationContext,
               rng: np.random.Generator) -> np.ndarray:
        y = self._y
        if ctx.step == 0:  # a new episode: the gear sits at 0
            y.fill(0.0)
        edge = action[self.idx] - self._half  # y = clip(y, u - gap/2, u + gap/2)
        np.maximum(y, edge, out=y)
        edge += self.value
        np.minimum(y, edge, out=y)
        return self.put(action, y.copy())

    def compile_action(self, ctx: RandomizationContext, rng: np.random.Generator
                       ) -> ListOp | None:
        if not self.listable:
            return None
        gaps = column(self.value, self.size)
        if self.mode != "interval" and all(g == 0.0 for g in gaps):
            return skip  # y = clip(y, u, u) = u (an interval firing could need y: kept then)
        y = self._y_list
        terms = list(enumerate(zip(self.pos, column(self._half, self.size), gaps)))

        def op(u: list[float]) -> None:
            if ctx.step == 0:
                y[:] = [0.0] * len(y)
            for j, (i, half, gap) in terms:  # np.maximum / np.minimum: ties give the edge
                edge = u[i] - half
                yj = y[j]
                yj = yj if yj > edge else edge
                edge = edge + gap
                y[j] = u[i] = yj if yj < edge else edge

        return op


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

    def action(self, action: np.ndarray, ctx: RandomizationContext,
               rng: np.random.Generator) -> np.ndarray:
        return self.put(action, np.minimum(np.maximum(action[self.idx], self._lo), self._hi))

    def compile_action(self, ctx: RandomizationContext, rng: np.random.Generator
                       ) -> ListOp | None:
        if not self.listable:
            return None
        bounds = list(zip(self.pos, column(self._lo, self.size), column(self._hi, self.size)))

        def op(u: list[float]) -> None:
            for i, lo, hi in bounds:  # ties give the bound, as np.maximum / np.minimum
                x = u[i]
                x = x if x > lo else lo
                u[i] = x if x < hi else hi

        return op

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        super().apply(ctx, record)
        self._lo, self._hi = self.value * self._low, self.value * self._high
