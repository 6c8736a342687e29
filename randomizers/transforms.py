"""Base classes of the per-step transforms: commands (actuation) and measurements (sensing).

Both select the elements they act on (:attr:`pos`, positions in the action
or measurement vector) at bind time; a selection may name each element once.
Their per-step hooks work on Python float lists (:mod:`randomizers.pipeline`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.distributions import Distribution, make_distribution

KINDS = ("gaussian", "uniform")
CHANNELS = ("q", "qd", "sensors", "all")


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


def per_element(value: float | Sequence[float], size: int, who: str, what: str
                ) -> float | np.ndarray:
    """A number or one value per selected element (checked >= 0): a float, or an array."""
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.size not in (1, size):
        raise RandomizationError(f"{who}: {what} has {arr.size} values for {size} element(s)")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise RandomizationError(f"{who}: {what} must be finite and >= 0, got {value}")
    return float(arr[0]) if arr.size == 1 else arr


def column(value: float | np.ndarray, size: int) -> list[float]:
    """A number or one value per element as a list of ``size`` Python floats."""
    if isinstance(value, float):
        return [value] * size
    values = np.asarray(value, dtype=np.float64).reshape(-1).tolist()
    return values * size if len(values) == 1 else values


def _once(who: str, pos: list[int]) -> None:
    twice = sorted({i for i in pos if pos.count(i) > 1})
    if twice:
        raise RandomizationError(f"{who}: indices select element {twice[0]} twice")


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
        self.pos: list[int] = []

    def bind(self, ctx: RandomizationContext) -> None:
        n = ctx.action_size
        self.whole = self.indices is None
        if self.indices is None:
            self.idx, self.size, self.pos = slice(0, n), n, list(range(n))
            return
        bad = [i for i in self.indices if not -n <= i < n]
        if bad:
            raise RandomizationError(f"{self.name}: indices {bad} out of range for {n} actuator(s)")
        self.idx, self.size = np.asarray(self.indices, dtype=int), len(self.indices)
        self.pos = [i % n for i in self.indices]
        _once(self.name, self.pos)


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


class SensorRandomizer(Randomizer):
    """Base class of measurement transforms.

    Args:
        channel: ``q``, ``qd``, ``sensors`` or ``all`` (envs that are not s2r
            tasks: ``all``, their observation vector).
        indices: positions within the channel (default: the whole channel).
    """

    transforms_observation = True
    #: keeps state within an episode (restarted when ``apply`` runs at step 0)
    stateful: ClassVar[bool] = False

    def __init__(self, channel: str = "all", indices: Sequence[int] | None = None, *,
                 mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(mode=mode, interval=interval, name=name)
        if channel not in CHANNELS:
            raise RandomizationError(f"{self.name}: channel '{channel}' unknown (known: "
                                     f"{', '.join(CHANNELS)})")
        if self.stateful and mode == "startup":
            raise RandomizationError(f"{self.name}: keeps state per episode; use mode reset "
                                     "or interval, not startup")
        self.channel = channel
        self.indices = None if indices is None else [int(i) for i in indices]
        self.scale = 1.0  # curricula: 0 = centre of the range / no noise, 1 = as configured
        self.idx: Any = slice(0, 0)
        self.size = 0
        self.pos: list[int] = []
        self._fresh = True

    def bind(self, ctx: RandomizationContext) -> None:
        try:
            idx = ctx.layout.select(self.channel, self.indices)
        except RandomizationError as err:
            raise RandomizationError(f"{self.name}: {err.message}") from None
        if len(idx) == 0:
            raise RandomizationError(f"{self.name}: channel '{self.channel}' selects nothing "
                                     "on this env (envs that are not s2r tasks have only 'all')")
        contiguous = len(idx) == 1 or bool(np.all(np.diff(idx) == 1))
        self.idx = slice(int(idx[0]), int(idx[-1]) + 1) if contiguous and idx[0] >= 0 else idx
        self.size = len(idx)
        self.pos = [int(i) for i in idx]
        _once(self.name, self.pos)

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        self.load(record)
        if ctx.step == 0:  # at a reset (interval firings mid-episode keep the state)
            self._fresh = True

    def load(self, record: Mapping[str, Any]) -> None:
        """Take this episode's values from a record."""

    def _draws(self, dist: Distribution, shared: bool, rng: np.random.Generator) -> list[float]:
        d = dist if self.scale == 1.0 else dist.widened(self.scale)
        return [d.sample(rng)] * self.size if shared else [d.sample(rng) for _ in range(self.size)]
