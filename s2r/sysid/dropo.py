"""DROPO-style randomization distributions: a spread fitted to the data, not to the fit's error.

The point fit says which values explain the logs best and how sure it is of them; when
the robot itself varies (from episode to episode, or with what the model lacks), the
randomization a policy should see is wider than that uncertainty. Following DROPO
(Tiboni et al., "DROPO: Sim-to-Real Transfer with Offline Domain Randomization", 2023),
each free parameter gets a Gaussian ``N(mean, std)`` (truncated to its bounds) chosen to
make the logged data most likely under the *randomized* simulator:

- for a candidate ``(mean, std)``, ``K`` parameter sets are drawn (common random
  numbers: the same standard normal draws, standardised to mean 0 and std 1, for every
  candidate, so the objective is deterministic) and every multiple-shooting segment is
  simulated with each;
- per segment row and channel, the ``K`` simulated values define a Gaussian (their mean
  and variance, plus ``noise^2``: measurement noise, in units of the channel's standard
  deviation, which also keeps a zero spread finite), and the logged value's
  log-likelihood under it is summed over rows and channels;
- CMA-ES (the ``cma`` package) maximises that sum over the means (within the bounds) and
  the logarithms of the standard deviations. The ``K`` simulations of a whole CMA-ES
  population go to the :class:`~s2r.sysid.evaluate.Evaluator`'s workers in one batch.

>>> import numpy as np
>>> from s2r.sysid.dropo import log_likelihood
>>> sims = np.array([[0.1, -0.2], [-0.1, 0.2]])   # K=2 residuals of 2 values
>>> round(log_likelihood(sims, 0.0), 4) == round(float(np.sum(-0.5 * np.log(
...     2 * np.pi * np.array([0.01, 0.04])))), 4)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from s2r.errors import ConfigError

Many = Callable[[Sequence[dict[str, float]]], list[np.ndarray]]


@dataclass
class DropoFit:
    """Per-parameter ``mean`` and ``std`` (physical units), the best log-likelihood, the
    simulations run and the best log-likelihood after each CMA-ES iteration."""

    mean: dict[str, float]
    std: dict[str, float]
    log_likelihood: float
    evaluations: int
    samples: int
    noise: float
    trace: list[float] = field(default_factory=list)


def log_likelihood(sims: np.ndarray, noise: float) -> float:
    """Sum over columns of log N(0 | mean_k sims, var_k sims + noise^2): ``sims`` (K, n) are
    simulated residuals (simulated - logged), so the logged value sits at 0."""
    m = sims.mean(axis=0)
    v = sims.var(axis=0) + noise ** 2
    return float(-0.5 * np.sum(m * m / v + np.log(2.0 * math.pi * v)))


def fit_dropo(many: Many, names: Sequence[str], low: np.ndarray, high: np.ndarray,
              mean0: np.ndarray, std0: np.ndarray, samples: int = 8, noise: float = 1e-3,
              max_evaluations: int = 2000, seed: int = 0,
              report: Callable[[int, float], None] | None = None) -> DropoFit:
    """Fit ``N(mean, std)`` per parameter as the module doc says.

    Args:
        many: residual vectors of several ``{name: value}`` sets (an Evaluator's ``many``).
        names: the parameters; ``low``/``high``: their bounds (finite).
        mean0, std0: the start (the point fit and its standard deviations).
        samples: ``K``, parameter sets drawn per candidate.
        noise: measurement noise std, in units of each channel's standard deviation.
        max_evaluations: simulations (of every segment) at most.
    """
    import cma

    if not (float(samples).is_integer() and samples >= 2):
        raise ConfigError(f"samples: must be an integer >= 2, got {samples}", where="dropo")
    if not noise > 0:
        raise ConfigError(f"noise: must be > 0 (a fraction of each channel's std), got "
                          f"{noise}", where="dropo")
    samples, seed = int(samples), int(seed)
    p = len(names)
    span = high - low
    s_lo, s_hi = np.log(1e-5 * span), np.log(0.25 * span)
    eps = np.random.default_rng(seed).standard_normal((samples, p))
    if samples > 1:  # standardised: the K draws have mean 0 and std 1 exactly
        eps = (eps - eps.mean(axis=0)) / eps.std(axis=0)
    count, trace = [0], []

    def decode(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return low + u[:p] * span, np.exp(s_lo + u[p:] * (s_hi - s_lo))

    def value_sets(u: np.ndarray) -> list[dict[str, float]]:
        mean, std = decode(u)
        xs = np.clip(mean + std * eps, low, high)
        return [dict(zip(names, map(float, x), strict=True)) for x in xs]

    def costs(us: Sequence[np.ndarray]) -> list[float]:
        sets = [v for u in us for v in value_sets(u)]
        rs = many(sets)
        count[0] += len(sets)
        return [-log_likelihood(np.array(rs[i * samples:(i + 1) * samples]), noise)
                for i in range(len(us))]

    u0 = np.concatenate([(np.clip(mean0, low, high) - low) / span,
                         (np.clip(np.log(np.maximum(std0, 1e-300)), s_lo, s_hi) - s_lo)
                         / (s_hi - s_lo)])
    best_u, best = u0, costs([u0])[0]
    es = cma.CMAEvolutionStrategy(u0, 0.1, {"bounds": [0.0, 1.0], "seed": seed + 1,
                                            "verbose": -9, "tolfun": 1e-2, "tolx": 1e-4})
    while not es.stop() and count[0] + es.popsize * samples <= max_evaluations:
        us = [np.asarray(u) for u in es.ask()]
        cs = costs(us)
        es.tell(us, cs)
        i = int(np.argmin(cs))
        if cs[i] < best:
            best, best_u = cs[i], us[i]
        trace.append(-best)
        if report:
            report(count[0], best)
    mean, std = decode(best_u)
    return DropoFit(dict(zip(names, map(float, mean), strict=True)),
                    dict(zip(names, map(float, std), strict=True)), -best, count[0],
                    samples, noise, trace)
