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
from randomizers.fastpath import SKIP, Fused, StepDraws
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

    def fuse_action(self, ctx: RandomizationContext, rng: np.random.Generator,
                    x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        lines = ["$r = $row($rng)", "$s = $self.scale"]  # r * 1.0 is r: no branch on scale
        for j, i in enumerate(self.pos):
            lines.append(f"{x[i]} = {x[i]} * ($r[{j}] * $s + 1.0)" if self.multiplicative
                         else f"{x[i]} = {x[i]} + $r[{j}] * $s")
        return Fused(lines, {"row": self.draws.row_list, "rng": rng, "self": self}, self.pos)


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

    def fuse_action(self, ctx: RandomizationContext, rng: np.random.Generator,
                    x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        widths = column(self.value, self.size)
        if all(w <= 0.0 for w in widths):  # |u| < 0 never holds
            return SKIP
        lines = []
        for j, i in enumerate(self.pos):
            lines += [f"if abs({x[i]}) < $w{j}:", f"    {x[i]} = 0.0"]
        return Fused(lines, {f"w{j}": w for j, w in enumerate(widths)}, self.pos,
                     bounded=True)  # u or 0


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

    def fuse_action(self, ctx: RandomizationContext, rng: np.random.Generator,
                    x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        gaps = column(self.value, self.size)
        if self.mode != "interval" and all(g == 0.0 for g in gaps):
            return SKIP  # y = clip(y, u, u) = u (an interval firing could need y: kept then)
        if ctx.step == 0:  # compiled at a reset: a new episode, the gear sits at 0
            self._y_list[:] = [0.0] * self.size
        names: dict[str, Any] = {"y": self._y_list}
        lines = []
        for j, (i, half, gap) in enumerate(zip(self.pos, column(self._half, self.size), gaps)):
            names[f"h{j}"], names[f"g{j}"] = half, gap
            lines += [f"$e = {x[i]} - $h{j}", f"$v = $y[{j}]",  # np.maximum/minimum: ties -> e
                      "$v = $v if $v > $e else $e", f"$e = $e + $g{j}",
                      f"{x[i]} = $y[{j}] = $v if $v < $e else $e"]
        return Fused(lines, names, self.pos, bounded=True)  # y stays between 0 and past u


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

    def fuse_action(self, ctx: RandomizationContext, rng: np.random.Generator,
                    x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        names, lines = {}, []
        for j, (i, lo, hi) in enumerate(zip(self.pos, column(self._lo, self.size),
                                            column(self._hi, self.size))):
            names[f"lo{j}"], names[f"hi{j}"] = lo, hi  # ties give the bound, as NumPy's
            lines += [f"{x[i]} = {x[i]} if {x[i]} > $lo{j} else $lo{j}",
                      f"{x[i]} = {x[i]} if {x[i]} < $hi{j} else $hi{j}"]
        return Fused(lines, names, self.pos, bounded=True)  # a fraction <= 1 of the range

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        super().apply(ctx, record)
        self._lo, self._hi = self.value * self._low, self.value * self._high
