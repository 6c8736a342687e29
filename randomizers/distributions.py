"""Distributions and operations of randomization terms (as in Isaac Lab's event terms).

A term samples from a :class:`Distribution` and combines the sample with the
parameter's **nominal** value through an operation: ``abs`` (the sample is
the value), ``scale`` (nominal * sample) or ``add`` (nominal + sample).
Ranges are always relative to the nominal value, never to the current one,
so nothing compounds across resets.

>>> rng = np.random.default_rng(0)
>>> d = make_distribution({"uniform": [0.8, 1.2]})
>>> 0.8 <= d.sample(rng) <= 1.2
True
>>> apply_operation("scale", nominal=2.0, sample=1.1)
2.2
>>> reachable("scale", 2.0, Normal(1.0, 0.1))   # unbounded: a mass could go negative
(-inf, inf)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from s2r.errors import ConfigError

OPERATIONS = ("abs", "scale", "add")


class NotANumber(ConfigError):
    """A config value that must be a number is not; ``value`` is the offending value, so
    the caller can name the key that holds it."""

    def __init__(self, value: Any) -> None:
        self.value = value
        super().__init__(f"{value!r} is not a number")


def number(value: Any) -> float:
    """A config value as a float: numbers, and strings YAML left unparsed (``"1e5"``).

    >>> number("1e5"), number(2)
    (100000.0, 2.0)
    >>> number("abc")
    Traceback (most recent call last):
    ...
    randomizers.distributions.NotANumber: 'abc' is not a number
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.number)):
        raise NotANumber(value)
    try:
        return float(value)
    except ValueError:
        raise NotANumber(value) from None


class Distribution:
    """Base class: ``sample(rng)``, ``support()`` and ``widened(fraction)``."""

    def sample(self, rng: np.random.Generator) -> float:
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """The smallest interval that holds every possible sample."""
        raise NotImplementedError

    def widened(self, fraction: float) -> Distribution:
        """This distribution shrunk towards its centre: 0 = a point, 1 = unchanged."""
        raise NotImplementedError

    def center(self) -> float:
        lo, hi = self.support()
        return 0.5 * (lo + hi)


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(self.low, self.high, "uniform")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def widened(self, fraction: float) -> Uniform:
        c, h = self.center(), 0.5 * (self.high - self.low) * fraction
        return Uniform(c - h, c + h)


@dataclass(frozen=True)
class LogUniform(Distribution):
    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(self.low, self.high, "log_uniform")
        if self.low <= 0:
            raise ConfigError(f"log_uniform: low must be > 0, got {self.low}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def center(self) -> float:
        return math.sqrt(self.low * self.high)

    def widened(self, fraction: float) -> LogUniform:
        c, h = math.log(self.center()), 0.5 * math.log(self.high / self.low) * fraction
        return LogUniform(math.exp(c - h), math.exp(c + h))


@dataclass(frozen=True)
class Normal(Distribution):
    mean: float
    std: float

    def __post_init__(self) -> None:
        if not (self.std >= 0 and math.isfinite(self.std) and math.isfinite(self.mean)):
            raise ConfigError(f"normal: std must be >= 0 and finite, got {self.std}")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.normal(self.mean, self.std))

    def support(self) -> tuple[float, float]:
        return (self.mean, self.mean) if self.std == 0 else (-math.inf, math.inf)

    def center(self) -> float:
        return self.mean

    def widened(self, fraction: float) -> Normal:
        return Normal(self.mean, self.std * fraction)


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    mean: float
    std: float
    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(self.low, self.high, "truncated_normal")
        if not self.std >= 0:
            raise ConfigError(f"truncated_normal: std must be >= 0, got {self.std}")

    def sample(self, rng: np.random.Generator) -> float:
        if self.std == 0:
            return float(min(max(self.mean, self.low), self.high))
        for _ in range(1000):  # rejection: exact, and cheap unless the window is far out
            x = rng.normal(self.mean, self.std)
            if self.low <= x <= self.high:
                return float(x)
        return float(rng.uniform(self.low, self.high))

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def center(self) -> float:
        return min(max(self.mean, self.low), self.high)

    def widened(self, fraction: float) -> TruncatedNormal:
        c = self.center()
        return TruncatedNormal(self.mean, self.std * fraction, c - (c - self.low) * fraction,
                               c + (self.high - c) * fraction)


@dataclass(frozen=True)
class Choice(Distribution):
    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.values:
            raise ConfigError("choice: needs at least one value")
        if self.weights is not None and (len(self.weights) != len(self.values)
                                         or min(self.weights) < 0 or sum(self.weights) <= 0):
            raise ConfigError("choice: weights must be >= 0, one per value, not all zero")

    def sample(self, rng: np.random.Generator) -> float:
        p = None if self.weights is None else np.asarray(self.weights) / sum(self.weights)
        return float(self.values[int(rng.choice(len(self.values), p=p))])

    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))

    def center(self) -> float:
        return float(np.median(self.values))

    def widened(self, fraction: float) -> Choice:
        if fraction >= 1:
            return self
        c = self.center()
        nearest = min(self.values, key=lambda v: abs(v - c))
        return self if fraction > 0 and len(self.values) == 1 else Choice((nearest,))


@dataclass(frozen=True)
class Constant(Distribution):
    value: float

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def widened(self, fraction: float) -> Constant:
        return self


def _check_range(low: float, high: float, name: str) -> None:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ConfigError(f"{name}: bounds must be finite, got [{low}, {high}]")
    if low > high:
        raise ConfigError(f"{name}: inverted range low={low} > high={high}")


_KINDS: dict[str, Any] = {"uniform": Uniform, "log_uniform": LogUniform, "normal": Normal,
                          "gaussian": Normal, "truncated_normal": TruncatedNormal,
                          "choice": Choice, "constant": Constant}


def make_distribution(spec: Distribution | Mapping[str, Any] | Sequence[float] | float
                      ) -> Distribution:
    """Build a distribution from config.

    Accepted forms: ``[lo, hi]`` (uniform), a number (constant),
    ``{"uniform": [lo, hi]}``, ``{"log_uniform": [lo, hi]}``,
    ``{"normal": [mean, std]}``, ``{"truncated_normal": [mean, std, lo, hi]}``,
    ``{"choice": [v1, v2, ...]}`` or the long form
    ``{"dist": "uniform", "low": 0.8, "high": 1.2}``.

    >>> make_distribution([0.5, 2.0])
    Uniform(low=0.5, high=2.0)
    >>> make_distribution({"dist": "normal", "mean": 0.0, "std": 0.1})
    Normal(mean=0.0, std=0.1)
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, (int, float)):
        return Constant(float(spec))
    if isinstance(spec, Mapping):
        spec = dict(spec)
        if "dist" in spec:
            kind = spec.pop("dist")
            if kind not in _KINDS:
                raise ConfigError(f"distribution: unknown kind '{kind}' (known: "
                                  f"{', '.join(_KINDS)})")
            if kind == "choice":
                return Choice(tuple(number(v) for v in spec["values"]),
                              tuple(number(w) for w in spec["weights"]) if spec.get("weights")
                              else None)
            try:
                return _KINDS[kind](**{k: number(v) for k, v in spec.items()})  # type: ignore[no-any-return]
            except TypeError as err:
                raise ConfigError(f"distribution {kind}: {err}") from None
        if len(spec) != 1:
            raise ConfigError(f"distribution: expected one of {', '.join(_KINDS)}, got "
                              f"{sorted(spec)}")
        kind, args = next(iter(spec.items()))
        if kind not in _KINDS:
            raise ConfigError(f"distribution: unknown kind '{kind}' (known: {', '.join(_KINDS)})")
        if kind == "choice":
            return Choice(tuple(number(v) for v in args))
        if kind == "constant":
            return Constant(number(args))
        try:
            return _KINDS[kind](*(number(v) for v in args))  # type: ignore[no-any-return]
        except TypeError:
            raise ConfigError(f"distribution {kind}: wrong number of values {list(args)}") from None
    if isinstance(spec, str) or not isinstance(spec, Sequence):
        raise ConfigError(f"distribution: expected [low, high], a number or a mapping, got "
                          f"{spec!r}")
    values = [number(v) for v in spec]
    if len(values) != 2:
        raise ConfigError(f"distribution: a list means [low, high], got {values}")
    return Uniform(values[0], values[1])


def apply_operation(operation: str, nominal: float, sample: float) -> float:
    """Combine a sample with the nominal value: ``abs``, ``scale`` or ``add``."""
    if operation == "scale":
        return nominal * sample
    if operation == "add":
        return nominal + sample
    if operation == "abs":
        return sample
    raise ConfigError(f"operation: unknown '{operation}' (known: {', '.join(OPERATIONS)})")


def reachable(operation: str, nominal: float, dist: Distribution) -> tuple[float, float]:
    """The interval of values a term can produce for a parameter with this nominal."""
    lo, hi = dist.support()
    if operation == "scale":
        ends = [nominal * lo, nominal * hi]
        return (min(ends), max(ends)) if all(math.isfinite(e) for e in ends) or nominal == 0 \
            else (-math.inf, math.inf)
    if operation == "add":
        return (nominal + lo, nominal + hi)
    return (lo, hi)


@dataclass(frozen=True)
class Term:
    """One randomized quantity: distribution + operation (used by parameter randomizers)."""

    distribution: Distribution
    operation: str = "scale"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise ConfigError(f"operation: unknown '{self.operation}' (known: "
                              f"{', '.join(OPERATIONS)})")

    def widened(self, fraction: float) -> Term:
        return replace(self, distribution=self.distribution.widened(fraction))
