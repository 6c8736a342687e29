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
(:class:`~randomizers.pipeline.StepDraws`). Randomizers with state (drift
here; ``observation_delay`` in :mod:`randomizers.timing`,
``observation_dropout`` in :mod:`randomizers.dropout`) restart it when an
episode starts. Each works on the measurement as Python floats
(:mod:`randomizers.pipeline`). ``scale`` (curricula, 0..1) shrinks sampled
ranges towards their centre and noise towards zero. The examples use Gymnasium's Pendulum-v1
(observation ``[cos, sin, velocity]``), an env that knows nothing of s2r.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.distributions import make_distribution
from randomizers.effect_names import NOISE_NAMES, apply_values, sensor_names
from randomizers.pipeline import StepDraws
from randomizers.registry import register
from randomizers.transforms import CHANNELS, SensorRandomizer, column, per_element
from s2r.effects import quantize

__all__ = ["CHANNELS", "ObservationBias", "ObservationDrift", "ObservationNoise",
           "Quantization", "SensorRandomizer", "per_element"]


@register("observation_noise")
class ObservationNoise(SensorRandomizer):
    """White measurement noise, drawn at every step: the sensor noise levels of the robot.

    On an s2r robot that names them, Gaussian noise sets the parameters
    ``sensor.<j>.position_noise`` (channel ``q``), ``sensor.<j>.velocity_noise`` (``qd``)
    or ``sensor.<s>.noise`` (``sensors``) and the robot adds it (position noise before
    its encoders quantize). Otherwise the noise is added here, under the same names
    (or, on an env that is not an s2r task, ``sensor.<i>.noise`` with ``<i>`` the
    position in the observation vector; uniform noise: ``sensor.<i>.uniform_noise``).
    Record: ``{"values": {name: amplitude}}`` (the amplitude times ``scale``).

    Args:
        amplitude: required; the std (``gaussian``) or half-width (``uniform``), in
            the channel's units: a number or one per selected element.
        kind: ``gaussian`` or ``uniform``.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [ObservationNoise(0.1, indices=[2])])
    >>> obs, info = env.reset(seed=0)     # the velocity (index 2) is noisy, cos/sin exact
    >>> info["randomization"]["observation_noise"]
    {'values': {'sensor.2.noise': 0.1}}
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
        self.amplitude = column(per_element(self._amplitude, self.size, self.name, "amplitude"),
                                self.size)
        self.names, on_robot = sensor_names(ctx, self.channel, self.pos, NOISE_NAMES)
        self.on_robot = bool(on_robot) and self.kind == "gaussian"
        if on_robot is None:  # not an s2r task: named by position in the vector
            self.names = [f"sensor.{i}.noise" for i in self.pos]
        if self.kind == "uniform":  # not the robot's (Gaussian) noise level
            self.names = [f"sensor.{i}.uniform_noise" for i in self.pos]
        if self.on_robot:
            params = ctx.require_target(self.name).params
            for name, a in zip(self.names, self.amplitude):
                if a > params[name].high:
                    raise RandomizationError(f"{self.name}: {name} = {a:.6g} is above its "
                                             f"bound {params[name].high:.6g}")
        # drawn in blocks from the episode's stream (randomizers.pipeline)
        self.draws = StepDraws(self.size, "normal" if self.kind == "gaussian" else "uniform")
        self._pairs: list[tuple[int, float]] = []

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"values": {n: a * self.scale for n, a in zip(self.names, self.amplitude)}}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        values = apply_values(ctx, self.name, record, self.names, "amplitude", self.on_robot)
        self._pairs = [(i, values[n]) for i, n in zip(self.pos, self.names)]

    def active(self, ctx: RandomizationContext) -> bool:
        return not self.on_robot and any(a for _, a in self._pairs)

    def observation_values(self, values: list[float], ctx: RandomizationContext,
                           rng: np.random.Generator) -> list[float]:
        for (i, a), r in zip(self._pairs, self.draws.row(rng)):
            values[i] += r * a
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
        self.bias: list[float] = []

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"bias": self._draws(self.distribution, self.shared, rng)}

    def load(self, record: Mapping[str, Any]) -> None:
        self.bias = column(np.asarray(record["bias"], dtype=np.float64), self.size)
        self._pairs = list(zip(self.pos, self.bias))

    def observation_values(self, values: list[float], ctx: RandomizationContext,
                           rng: np.random.Generator) -> list[float]:
        for i, b in self._pairs:
            values[i] += b
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
        self._d = [0.0] * self.size  # the offset
        self.rate: list[float] = [0.0] * self.size
        self.draws = StepDraws(self.size, "normal", self.std)  # increments, in blocks

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"rate": self._draws(self.rate_distribution, self.shared, rng)}

    def load(self, record: Mapping[str, Any]) -> None:
        self.rate = column(np.asarray(record["rate"], dtype=np.float64), self.size)

    def observation_values(self, values: list[float], ctx: RandomizationContext,
                           rng: np.random.Generator) -> list[float]:
        d = self._d
        if self._fresh:
            d[:] = [0.0] * self.size
            self._fresh = False
        keep, s, r = 1.0 - self.reversion, self.scale, self.draws.row(rng)
        for j, i in enumerate(self.pos):
            v = d[j] * keep + self.rate[j] + r[j] * s
            d[j] = v
            values[i] = values[i] + v
        return values


@register("quantization")
class Quantization(SensorRandomizer):
    """Encoder resolution ``sensor.<j>.resolution``: values rounded to multiples of a step.

    On channel ``q`` of an s2r robot that has ``sensor.<j>.resolution`` the value is set
    as that parameter (the robot quantizes, and estimates velocities from the
    quantized positions as its firmware model says). Otherwise the selected elements
    are rounded here with the same function, :func:`s2r.effects.quantize`, under the
    names ``sensor.<i>.resolution`` (``<i>``: the position in the measurement vector).
    Record: ``{"values": {name: step}}``.

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
        self.names, on_robot = sensor_names(ctx, self.channel, self.pos,
                                            {"q": "sensor.{}.resolution"})
        self.on_robot = bool(on_robot)
        if on_robot is None:  # not a joint position: named by its position
            self.names = [f"sensor.{i}.resolution" for i in self.pos]
        self.resolution = column(per_element(self._resolution, self.size, self.name,
                                             "resolution"), self.size)
        if min(self.resolution) <= 0:
            raise RandomizationError(f"{self.name}: resolution must be > 0")
        if self.on_robot:
            params = ctx.require_target(self.name).params
            for name, r in zip(self.names, self.resolution):
                if not params[name].low <= r <= params[name].high:
                    raise RandomizationError(f"{self.name}: {name} = {r:.6g} is outside its "
                                             f"bounds [{params[name].low:.6g}, "
                                             f"{params[name].high:.6g}]")

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"values": dict(zip(self.names, self.resolution))}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        values = apply_values(ctx, self.name, record, self.names, "resolution", self.on_robot)
        self._pairs = [(i, values[n]) for i, n in zip(self.pos, self.names)]

    def active(self, ctx: RandomizationContext) -> bool:
        return not self.on_robot

    def observation_values(self, values: list[float], ctx: RandomizationContext,
                           rng: np.random.Generator) -> list[float]:
        for i, r in self._pairs:
            values[i] = quantize(values[i], r)
        return values
