"""Actuation randomizers: what the actuators do with a command.

They transform the command on its way to the actuators: in physical units
(volts, newtons, N*m) on an s2r task, where the controller's command stays
what ``info["applied_action"]`` reports, as on hardware; on any other env, the
env's action vector. Per-episode values (a deadzone width, a backlash gap)
come from :meth:`sample`, so they are recorded in ``info["randomization"]``
and replayed; per-step noise comes from the episode's step generator passed
to :meth:`action`. Command latency (``action_delay``) is in
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

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.distributions import make_distribution
from randomizers.registry import register

KINDS = ("gaussian", "uniform")


def command_limits(ctx: RandomizationContext) -> tuple[np.ndarray, np.ndarray]:
    """The actuator command range: the robot's (s2r task) or the action space's bounds."""
    robot = getattr(ctx.env.unwrapped, "robot", None)
    if robot is not None and hasattr(robot, "spec"):
        return robot.spec.action_low, robot.spec.action_high
    space = ctx.env.action_space
    low, high = getattr(space, "low", None), getattr(space, "high", None)
    if low is None or high is None:
        raise RandomizationError("needs a Box action space")
    return (np.asarray(low, dtype=np.float64).reshape(-1),
            np.asarray(high, dtype=np.float64).reshape(-1))


class ActionRandomizer(Randomizer):
    """Base class of command transforms.

    Args:
        indices: positions in the action vector to act on (default: all).
    """

    transforms_action = True

    def __init__(self, indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(mode=mode, interval=interval, name=name)
        self.indices = None if indices is None else [int(i) for i in indices]
        self.scale = 1.0  # curricula: 0 = centre of the range / no noise, 1 = as configured
        self.size = 0
        self.idx: Any = slice(None)
        self.whole = True

    def bind(self, ctx: RandomizationContext) -> None:
        n = ctx.action_size
        self.whole = self.indices is None
        if self.indices is None:
            self.idx, self.size = slice(0, n), n
            return
        bad = [i for i in self.indices if not -n <= i < n]
        if bad:
            raise RandomizationError(f"{self.name}: indices {bad} out of range for {n} actuator(s)")
        self.idx, self.size = np.asarray(self.indices, dtype=int), len(self.indices)

    def put(self, action: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``action`` with the selected entries replaced by ``values`` (a new array, as
        ``action`` is the caller's and must not change)."""
        if self.whole:
            return values
        out = action.copy()
        out[self.idx] = values
        return out


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
        self._amp = float(self.amplitude[0]) if self.amplitude.size == 1 else self.amplitude
        self._buf = np.empty(self.size)

    def action(self, action: np.ndarray, ctx: RandomizationContext,
               rng: np.random.Generator) -> np.ndarray:
        buf = self._buf
        if self.kind == "gaussian":
            rng.standard_normal(out=buf)
        else:
            rng.random(out=buf)
            buf *= 2.0
            buf -= 1.0
        buf *= self._amp
        if self.scale != 1.0:
            buf *= self.scale
        if self.multiplicative:
            buf += 1.0
            return self.put(action, action[self.idx] * buf)
        return self.put(action, action[self.idx] + buf)


class EpisodeValueRandomizer(ActionRandomizer):
    """Base of transforms with one value per actuator drawn per episode (record ``{key: [...]}``).

    Args:
        distribution: the per-episode value.
        shared: one value for all selected actuators (else one each).
    """

    key: ClassVar[str] = "value"
    upper: ClassVar[float] = math.inf
    default_distribution: ClassVar[Any] = (0.0, 0.1)

    def __init__(self, distribution: Any = None, shared: bool = False,
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(indices, mode=mode, interval=interval, name=name)
        d = make_distribution(self.default_distribution if distribution is None else distribution)
        lo, hi = d.support()
        if lo < 0 or hi > self.upper:
            limit = "[0, inf)" if self.upper == math.inf else f"[0, {self.upper}]"
            raise RandomizationError(f"{self.name}: {self.key} could reach [{lo}, {hi}], "
                                     f"outside {limit}")
        self.distribution, self.shared = d, shared
        self.value = np.zeros(0)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        d = self.distribution if self.scale == 1.0 else self.distribution.widened(self.scale)
        if self.shared:
            return {self.key: [d.sample(rng)] * self.size}
        return {self.key: [d.sample(rng) for _ in range(self.size)]}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        self.value = np.asarray(record[self.key], dtype=np.float64)


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

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        super().apply(ctx, record)
        self._lo, self._hi = self.value * self._low, self.value * self._high
