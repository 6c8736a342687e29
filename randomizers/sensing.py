"""Sensing randomizers: what the sensors make of the true state.

They transform the measurement vector on its way to the policy. On an s2r
task that vector is ``[q, qd, sensors]`` in physical units (rad, rad/s, A,
...), before the task computes its features, so noise on ``q`` becomes noise
on ``cos q`` exactly as on hardware; on any other env it is the env's
observation vector (channel ``all``). Every randomizer takes ``channel``
(``q``, ``qd``, ``sensors`` or ``all``) and optional ``indices`` within it
(see :meth:`~randomizers.base.Layout.select`).

Per-episode values (a bias, a drift rate) come from :meth:`sample` and are
recorded; per-step draws come in blocks from the episode's step generator
(:class:`~randomizers.fastpath.StepDraws`). Randomizers with state (drift
here; ``observation_delay`` in :mod:`randomizers.timing`,
``observation_dropout`` in :mod:`randomizers.dropout`) restart it when an
episode starts. Each has a fast path on Python floats with the same results
(:mod:`randomizers.fastpath`). ``scale`` (curricula, 0..1) shrinks sampled
ranges towards their centre and noise towards zero. The examples use Gymnasium's Pendulum-v1
(observation ``[cos, sin, velocity]``), an env that knows nothing of s2r.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.distributions import make_distribution
from randomizers.fastpath import EXACT, MAGIC, Fused, StepDraws, rint
from randomizers.registry import register
from randomizers.transforms import CHANNELS, SensorRandomizer, column, per_element

__all__ = ["CHANNELS", "ObservationBias", "ObservationDrift", "ObservationNoise",
           "Quantization", "SensorRandomizer", "per_element"]


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
        # drawn in blocks from the episode's stream (randomizers.fastpath)
        self.draws = StepDraws(self.size, "normal" if self.kind == "gaussian" else "uniform",
                               self.amplitude)

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        noise = self.draws.row(rng)
        values[self.idx] += noise if self.scale == 1.0 else noise * self.scale
        return values

    def fuse_observation(self, ctx: RandomizationContext, rng: np.random.Generator,
                         x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        lines = ["$r = $row($rng)", "$s = $self.scale"]  # r * 1.0 is r: no branch on scale
        lines += [f"{x[i]} = {x[i]} + $r[{j}] * $s" for j, i in enumerate(self.pos)]
        return Fused(lines, {"row": self.draws.row_list, "rng": rng, "self": self}, self.pos)


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

    def fuse_observation(self, ctx: RandomizationContext, rng: np.random.Generator,
                         x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        bias = column(self.bias, self.size)
        return Fused([f"{x[i]} = {x[i]} + $b{j}" for j, i in enumerate(self.pos)],
                     {f"b{j}": b for j, b in enumerate(bias)}, self.pos)


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
        self._d_list = [0.0] * self.size  # the fast path's offset
        self.rate = np.zeros(self.size)
        self.draws = StepDraws(self.size, "normal", self.std)  # increments, in blocks

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"rate": self._draws(self.rate_distribution, self.shared, rng)}

    def load(self, record: Mapping[str, Any]) -> None:
        self.rate = np.asarray(record["rate"], dtype=np.float64)

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        d = self._d
        if self._fresh:
            d.fill(0.0)
            self._fresh = False
        if self.reversion:
            d *= 1.0 - self.reversion
        d += self.rate
        step = self.draws.row(rng)
        d += step if self.scale == 1.0 else step * self.scale
        values[self.idx] += d
        return values

    def fuse_observation(self, ctx: RandomizationContext, rng: np.random.Generator,
                         x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        names: dict[str, Any] = {"self": self, "d": self._d_list, "zeros": [0.0] * self.size,
                                 "row": self.draws.row_list, "rng": rng,
                                 "keep": 1.0 - self.reversion}
        lines = ["if $self._fresh:", "    $d[:] = $zeros", "    $self._fresh = False",
                 "$r = $row($rng)", "$s = $self.scale"]
        for j, (i, rate) in enumerate(zip(self.pos, column(self.rate, self.size))):
            names[f"rate{j}"] = rate
            lines += [f"$v = $d[{j}] * $keep" if self.reversion else f"$v = $d[{j}]",
                      f"$v = $v + $rate{j}", f"$v = $v + $r[{j}] * $s", f"$d[{j}] = $v",
                      f"{x[i]} = {x[i]} + $v"]
        return Fused(lines, names, self.pos)


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

    def fuse_observation(self, ctx: RandomizationContext, rng: np.random.Generator,
                         x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        names: dict[str, Any] = {"rint": rint, "M": MAGIC, "E": EXACT}
        lines = []
        for j, (i, r) in enumerate(zip(self.pos, column(self.resolution, self.size))):
            names[f"r{j}"] = r  # np.rint inlined, sign of zero kept (see fastpath.rint)
            lines += [f"$q = {x[i]} / $r{j}", "if 0.0 < $q < $E:", "    $q = ($q + $M) - $M",
                      "elif -$E < $q < 0.0:", "    $q = -(($M - $q) - $M)",
                      "else:", "    $q = $rint($q)", f"{x[i]} = $q * $r{j}"]
        return Fused(lines, names, self.pos)
