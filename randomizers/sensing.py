"""Sensing randomizers: what the sensors make of the true state.

They transform the measurement vector on its way to the policy. On an s2r
task that vector is ``[q, qd, sensors]`` in physical units (rad, rad/s, A,
...), before the task computes its features, so noise on ``q`` becomes noise
on ``cos q`` exactly as on hardware; on any other env it is the env's
observation vector (channel ``all``). Every randomizer takes ``channel``
(``q``, ``qd``, ``sensors`` or ``all``) and optional ``indices`` within it
(see :meth:`~randomizers.base.Layout.select`).

Per-episode values (a bias, a drift rate, a dropout rate) come from
:meth:`sample` and are recorded; per-step draws come from the episode's step
generator. Randomizers with state (drift here; ``observation_delay`` and
``observation_dropout`` in :mod:`randomizers.timing`) restart it when an
episode starts. ``scale`` (curricula, 0..1) shrinks sampled ranges towards
their centre and noise towards zero. The examples use Gymnasium's Pendulum-v1
(observation ``[cos, sin, velocity]``), an env that knows nothing of s2r.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.distributions import Distribution, make_distribution
from randomizers.registry import register

CHANNELS = ("q", "qd", "sensors", "all")


def per_element(value: float | Sequence[float], size: int, who: str, what: str
                ) -> float | np.ndarray:
    """A number or one value per selected element (checked >= 0): a float, or an array."""
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.size not in (1, size):
        raise RandomizationError(f"{who}: {what} has {arr.size} values for {size} element(s)")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise RandomizationError(f"{who}: {what} must be finite and >= 0, got {value}")
    return float(arr[0]) if arr.size == 1 else arr


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
        self._buf = np.empty(self.size)

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        self.load(record)
        if ctx.step == 0:  # at a reset (interval firings mid-episode keep the state)
            self._fresh = True

    def load(self, record: Mapping[str, Any]) -> None:
        """Take this episode's values from a record."""

    def _draws(self, dist: Distribution, shared: bool, rng: np.random.Generator) -> list[float]:
        d = dist if self.scale == 1.0 else dist.widened(self.scale)
        return [d.sample(rng)] * self.size if shared else [d.sample(rng) for _ in range(self.size)]


@register("observation_noise")
class ObservationNoise(SensorRandomizer):
    """White measurement noise, drawn at every step.

    Args:
        amplitude: required; the std (``gaussian``) or half-width (``uniform``), in
            the channel's units: a number or one per selected element.
        kind: ``gaussian`` or ``uniform``.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [ObservationNoise(0.1, indices=[2])])
    >>> obs, _ = env.reset(seed=0)     # the velocity (index 2) is noisy, cos/sin exact
    """

    def __init__(self, amplitude: float | Sequence[float] | None = None, kind: str = "gaussian",
                 channel: str = "all", indices: Sequence[int] | None = None, *,
                 mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(channel, indices, mode=mode, interval=interval, name=name)
        if amplitude is None:
            raise RandomizationError(f"{self.name}: amplitude: required (std, in the channel's "
                                     "units)")
        if kind not in ("gaussian", "uniform"):
            raise RandomizationError(f"{self.name}: kind '{kind}' unknown (known: gaussian, "
                                     "uniform)")
        self.kind, self._amplitude = kind, amplitude

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self.amplitude = per_element(self._amplitude, self.size, self.name, "amplitude")

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        buf = self._buf
        if self.kind == "gaussian":
            rng.standard_normal(out=buf)
        else:
            rng.random(out=buf)
            buf *= 2.0
            buf -= 1.0
        buf *= self.amplitude
        if self.scale != 1.0:
            buf *= self.scale
        values[self.idx] += buf
        return values


@register("observation_bias")
class ObservationBias(SensorRandomizer):
    """A constant offset per episode (a miscalibrated sensor).

    Args:
        distribution: required; the offset, in the channel's units (e.g. ``[-0.02, 0.02]``).
        shared: one offset for all selected elements (else one each).

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [ObservationBias([-0.1, 0.1])], seed=0)
    >>> obs, info = env.reset(seed=0)
    >>> len(info["randomization"]["observation_bias"]["bias"])   # one per element
    3
    """

    def __init__(self, distribution: Any = None, shared: bool = False, channel: str = "all",
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(channel, indices, mode=mode, interval=interval, name=name)
        if distribution is None:
            raise RandomizationError(f"{self.name}: distribution: required, e.g. [-0.02, 0.02]")
        self.distribution, self.shared = make_distribution(distribution), shared
        self.bias = np.zeros(0)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"bias": self._draws(self.distribution, self.shared, rng)}

    def load(self, record: Mapping[str, Any]) -> None:
        self.bias = np.asarray(record["bias"], dtype=np.float64)

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        values[self.idx] += self.bias
        return values


@register("observation_drift")
class ObservationDrift(SensorRandomizer):
    """A slowly wandering offset: a biased random walk that restarts at 0 every episode.

    At every measurement ``d <- (1 - reversion) * d + rate + std * N(0, 1)`` and
    the measurement is offset by ``d``. Without reversion its variance grows
    linearly with time (``t * std**2``); with it, it settles at
    ``std**2 / (1 - (1 - reversion)**2)``.

    Args:
        std: required; std of the increment per control step (channel units), a number
            or one per element.
        rate: the mean increment per step (the walk's bias), drawn per episode
            (a distribution, default 0).
        reversion: pull towards 0 per step, in [0, 1) (0: a pure random walk).
        shared: one rate for all selected elements (else one each).

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> drift = ObservationDrift(std=0.01, rate=[-0.001, 0.001], indices=[2])
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [drift], seed=0)
    >>> obs, info = env.reset(seed=0)
    >>> abs(info["randomization"]["observation_drift"]["rate"][0]) <= 0.001
    True
    """

    stateful = True

    def __init__(self, std: float | Sequence[float] | None = None, rate: Any = 0.0,
                 reversion: float = 0.0, shared: bool = False, channel: str = "all",
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(channel, indices, mode=mode, interval=interval, name=name)
        if std is None:
            raise RandomizationError(f"{self.name}: std: required (per step, channel units)")
        if not 0.0 <= reversion < 1.0:
            raise RandomizationError(f"{self.name}: reversion must be in [0, 1), got "
                                     f"{reversion}")
        self._std, self.reversion, self.shared = std, float(reversion), shared
        self.rate_distribution = make_distribution(rate)

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self.std = per_element(self._std, self.size, self.name, "std")
        self._d = np.zeros(self.size)
        self.rate = np.zeros(self.size)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"rate": self._draws(self.rate_distribution, self.shared, rng)}

    def load(self, record: Mapping[str, Any]) -> None:
        self.rate = np.asarray(record["rate"], dtype=np.float64)

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        d, buf = self._d, self._buf
        if self._fresh:
            d.fill(0.0)
            self._fresh = False
        if self.reversion:
            d *= 1.0 - self.reversion
        d += self.rate
        rng.standard_normal(out=buf)
        buf *= self.std
        if self.scale != 1.0:
            buf *= self.scale
        d += buf
        values[self.idx] += d
        return values


@register("quantization")
class Quantization(SensorRandomizer):
    """Finite sensor resolution: values rounded to multiples of a step.

    Args:
        resolution: the step, in the channel's units (a number or one per element).
        counts_per_rev: encoder counts per revolution instead: step ``2*pi/counts`` rad.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [Quantization(resolution=0.25)])
    >>> obs, _ = env.reset(seed=0)
    >>> [float(x) / 0.25 for x in obs]
    [3.0, 3.0, -2.0]
    """

    def __init__(self, resolution: float | Sequence[float] | None = None,
                 counts_per_rev: int | None = None, channel: str = "all",
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(channel, indices, mode=mode, interval=interval, name=name)
        if (resolution is None) == (counts_per_rev is None):
            raise RandomizationError(f"{self.name}: give exactly one of resolution or "
                                     "counts_per_rev")
        if counts_per_rev is not None and (int(counts_per_rev) != counts_per_rev
                                           or counts_per_rev <= 0):
            raise RandomizationError(f"{self.name}: counts_per_rev must be a positive integer, "
                                     f"got {counts_per_rev}")
        self._resolution: Any = 2.0 * np.pi / int(counts_per_rev) if counts_per_rev else resolution

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self.resolution = per_element(self._resolution, self.size, self.name, "resolution")
        if np.any(np.asarray(self.resolution) <= 0):
            raise RandomizationError(f"{self.name}: resolution must be > 0")

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        buf = self._buf
        np.divide(values[self.idx], self.resolution, out=buf)
        np.rint(buf, out=buf)
        buf *= self.resolution
        values[self.idx] = buf
        return values
