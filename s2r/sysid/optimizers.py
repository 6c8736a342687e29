"""Optimizers behind one interface: bounded least squares and CMA-ES with restarts.

Both minimise ``0.5 * sum(r(x)**2)`` of a residual function over the parameter vector
``x`` of a :class:`~s2r.param_vector.ParameterVector` (log scale for positive
quantities), start from the nominal values and stay within the table's bounds. They see
the problem only through ``many(xs) -> [r(x) for x in xs]``, so every batch (a
Jacobian's columns, a CMA-ES population) can run in parallel.

>>> import numpy as np
>>> many = lambda xs: [np.array([x[0] - 1.0, 2.0 * (x[1] + 0.5)]) for x in xs]
>>> out = get_optimizer("lsq").minimize(many, np.zeros(2), np.full(2, -2.0), np.full(2, 2.0))
>>> np.round(out.x, 6).tolist(), out.cost < 1e-12
([1.0, -0.5], True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from s2r.errors import ConfigError

Many = Callable[[Sequence[np.ndarray]], list[np.ndarray]]
Report = Callable[[int, float], None]  # (evaluations so far, best cost)


@dataclass
class Outcome:
    """Best ``x``, its ``cost`` (0.5 * sum of squared residuals), the number of
    residual ``evaluations`` and the best cost after each iteration (``trace``)."""

    x: np.ndarray
    cost: float
    evaluations: int
    trace: list[float] = field(default_factory=list)
    message: str = ""


class Optimizer(Protocol):
    """Minimises ``0.5 * |r(x)|^2`` within bounds from a start point."""

    name: str

    def minimize(self, many: Many, x0: np.ndarray, low: np.ndarray, high: np.ndarray,
                 report: Report | None = None) -> Outcome: ...


#: finite-difference step: in log space (1 %), else a fraction of the bounds' span. Not
#: smaller: sticking friction, deadzones and encoder counts make the cost rugged at small
#: scales, and 0.1 % steps stalled the fit in a flat valley (a furuta with every torque
#: scaled alike) short of its minimum, where 1 % steps reached it
STEP = 1e-2


def steps(low: np.ndarray, high: np.ndarray, log: np.ndarray | None = None) -> np.ndarray:
    """Finite-difference steps: ``STEP`` in log space, else ``STEP`` times the bounds' span."""
    span = np.where(np.isfinite(high - low), high - low, 1.0)
    h = STEP * span
    return h if log is None else np.where(log, STEP, h)


def jacobian(many: Many, x: np.ndarray, low: np.ndarray, high: np.ndarray,
             h: np.ndarray, f0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(r(x), forward-difference Jacobian of r at x); steps go inward at an upper bound."""
    xs = []
    signed = np.where(x + h > high, -h, h)
    for i in range(len(x)):
        xi = x.copy()
        xi[i] += signed[i]
        xs.append(xi)
    rs = many(([x] if f0 is None else []) + xs)
    f = rs.pop(0) if f0 is None else f0
    jac = np.column_stack([(r - f) / s for r, s in zip(rs, signed, strict=True)]) if xs \
        else np.zeros((len(f), 0))
    return f, jac


def _inside(x0: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    margin = 1e-6 * np.where(np.isfinite(high - low), high - low, 1.0)
    return np.clip(x0, low + margin, high - margin)


#: least squares stop when a step lowers the cost by less than this fraction of what a
#: move of one standard deviation of a parameter would (see LeastSquares)
SETTLED = 0.01


class LeastSquares:
    """Bounded nonlinear least squares (``scipy.optimize.least_squares``, trust region
    reflective) with a parallel forward-difference Jacobian.

    Stops (besides ``tolerance`` on the step and the gradient) when a step lowers the
    cost ``F`` by less than ``SETTLED`` times what moving a parameter by one standard
    deviation would, ``0.5 s^2`` with the residual variance ``s^2 = 2 F / m`` (``m``
    residuals): the relative tolerance ``SETTLED / m``, a fit within about a tenth of a
    standard deviation of the optimum. scipy applies it only to a step its quadratic model
    predicted well, which on a rugged cost (sticking friction, encoder counts) may never
    come: two accepted steps that together fall short of it stop the fit too. Tighter
    (1e-8), fits of the recovery benchmark spent up to half their Jacobians on such steps.
    """

    name = "lsq"

    def __init__(self, max_evaluations: int = 400, tolerance: float = 1e-8) -> None:
        self.max_evaluations, self.tolerance = max_evaluations, tolerance

    def minimize(self, many: Many, x0: np.ndarray, low: np.ndarray, high: np.ndarray,
                 report: Report | None = None) -> Outcome:
        from scipy.optimize import least_squares

        h = steps(low, high)
        cache: dict[bytes, np.ndarray] = {}
        count, trace = [0], []

        def fun(x: np.ndarray) -> np.ndarray:
            key = x.tobytes()
            if key not in cache:
                cache.clear()
                cache[key] = many([x])[0]
                count[0] += 1
            return cache[key]

        start = _inside(x0, low, high)
        ftol = max(self.tolerance, SETTLED / max(fun(start).size, 1))

        def jac(x: np.ndarray) -> np.ndarray:
            f = fun(x)
            trace.append(0.5 * float(f @ f))
            if report:
                report(count[0], trace[-1])
            if len(trace) >= 3 and trace[-3] - trace[-1] <= ftol * trace[-1]:
                raise _Settled(x.copy(), trace[-1])  # two accepted steps worth nothing
            f, j = jacobian(many, x, low, high, h, f)
            count[0] += len(x)
            return j

        try:
            res = least_squares(fun, start, jac=jac, bounds=(low, high),
                                method="trf", x_scale="jac", xtol=self.tolerance,
                                ftol=ftol, gtol=self.tolerance,
                                max_nfev=self.max_evaluations)
        except _Settled as done:
            return Outcome(done.x, done.cost, count[0], trace, "settled: the last two steps "
                           "lowered the cost by less than the relative tolerance")
        trace.append(float(res.cost))
        return Outcome(res.x, float(res.cost), count[0], trace, str(res.message))


class _Settled(Exception):
    """Raised from inside scipy's loop to stop it at ``x`` (cost ``cost``)."""

    def __init__(self, x: np.ndarray, cost: float) -> None:
        super().__init__("settled")
        self.x, self.cost = x, cost


class CMAES:
    """CMA-ES (the ``cma`` package) on the bounds scaled to [0, 1], with IPOP restarts
    (each restart doubles the population); for non-smooth problems (sticking friction,
    deadzones) where a Jacobian misleads."""

    name = "cma"

    def __init__(self, max_evaluations: int = 2000, restarts: int = 2, sigma0: float = 0.2,
                 seed: int = 0) -> None:
        self.max_evaluations, self.restarts = max_evaluations, restarts
        self.sigma0, self.seed = sigma0, seed

    def minimize(self, many: Many, x0: np.ndarray, low: np.ndarray, high: np.ndarray,
                 report: Report | None = None) -> Outcome:
        import cma

        span = high - low
        best_x, best = x0.copy(), 0.5 * float(np.sum(many([x0])[0] ** 2))
        count, trace = 1, [best]
        start = (_inside(x0, low, high) - low) / span
        popsize = 4 + int(3 * np.log(len(x0)))
        for restart in range(self.restarts + 1):
            if count >= self.max_evaluations:
                break
            opts = {"bounds": [0.0, 1.0], "popsize": popsize, "seed": self.seed + restart + 1,
                    "verbose": -9, "maxfevals": self.max_evaluations - count,
                    "tolfun": 1e-12, "tolx": 1e-8}
            es = cma.CMAEvolutionStrategy(start if restart == 0 else np.random.default_rng(
                self.seed + restart).uniform(0.0, 1.0, len(x0)), self.sigma0, opts)
            while not es.stop() and count < self.max_evaluations:
                us = es.ask()
                xs = [low + np.asarray(u) * span for u in us]
                costs = [0.5 * float(np.sum(r ** 2)) for r in many(xs)]
                es.tell(us, costs)
                count += len(xs)
                i = int(np.argmin(costs))
                if costs[i] < best:
                    best, best_x = costs[i], xs[i].copy()
                trace.append(best)
                if report:
                    report(count, best)
            popsize *= 2
        return Outcome(best_x, best, count, trace, "cma-es with restarts")


def get_optimizer(method: str, **options: float) -> Optimizer:
    """The optimizer called ``method`` (``lsq`` or ``cma``)."""
    if method == "lsq":
        return LeastSquares(**options)  # type: ignore[arg-type]
    if method == "cma":
        return CMAES(**options)  # type: ignore[arg-type]
    raise ConfigError(f"method: must be lsq or cma, got {method!r}", where="method")
