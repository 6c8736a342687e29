"""Free delays: a coarse scan before the fit, a window during it, a profile after it.

A delay's cost is a staircase over control periods. A sensor sampled at the control
instants (a motor current, ``(u - km qd) / Rm``) sees the command of one period or of
the one before it, whichever the delay puts in force there; only when the delayed
command changes within the physics step before the instant (a *riser*, one physics
step wide) does it see a blend of the two, which pins the delay sharply. Between risers
(the *treads*) the positions alone weakly tell the delay. So every period holds its own
local minimum, and a truth inside a riser is a narrow valley next to a flat tread. A
gradient-based fit then goes wrong in two ways: its first joint steps, with the other
parameters far from their values, carry the delay across a riser onto the next tread
and leave it there (seen: 17.8 ms fitted for 8.4 ms, every other parameter bent to suit
it); or it settles on a tread beside the valley it cannot see. Hence

* :func:`scan_delays`: before the fit, each free delay starts at the best of a grid
  half a period apart over its bounds (the others at their start values);
* :func:`fit_across_periods`: the fit keeps each delay within half a period of that
  start (again with the full bounds if it ends on the window's edge); then the cost is
  *profiled* along each delay, the others held at the fit (:func:`candidates`: a grid
  of a fortieth of a period over a period around the fit, and every whole-period
  shift); when a profile point beats the fit, the fit restarts from it (``restarts``
  times at most, each one profiled again before the next), and the lowest-cost fit is
  kept.

>>> import numpy as np
>>> c = candidates(np.array([0.018]), [0], np.array([0.0]), np.array([0.05]), 0.01, points=4)
>>> [round(v * 1e3, 2) for _, v in c]  # ms: a quarter period apart, then whole periods
[13.0, 15.5, 20.5, 23.0, 8.0, 28.0, 38.0, 48.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from s2r.sysid.optimizers import Optimizer, Outcome

Many = Callable[[Sequence[np.ndarray]], list[np.ndarray]]
Report = Callable[[int, float], None]
#: restarts from a profile point at most (each one a whole fit)
RESTARTS = 1


def delay_indices(names: Sequence[str], low: np.ndarray, high: np.ndarray) -> list[int]:
    """Positions of the free delays (``delay.*``) with finite bounds."""
    return [i for i, n in enumerate(names)
            if n.startswith("delay.") and np.isfinite(high[i] - low[i])]


def scan_delays(many: Many, x0: np.ndarray, names: Sequence[str], low: np.ndarray,
                high: np.ndarray, control_rate: float) -> np.ndarray:
    """``x0`` with each free delay (``delay.*``, not log-scaled) moved to the best of a
    grid over its bounds, half a control period apart (at most 41 points), the others
    held."""
    x = x0.copy()
    for i in delay_indices(names, low, high):
        n = int(min(41, math.ceil((high[i] - low[i]) * 2.0 * control_rate) + 1))
        grid = np.linspace(low[i], high[i], max(n, 2))
        xs = [np.where(np.arange(len(x)) == i, g, x) for g in grid]
        costs = [float(r @ r) for r in many(xs)]
        x[i] = grid[int(np.argmin(costs))]
    return x


def candidates(x: np.ndarray, indices: Sequence[int], low: np.ndarray, high: np.ndarray,
               period: float, points: int = 40) -> list[tuple[int, float]]:
    """``(index, value)``: for each delay ``indices`` of ``x``, a grid ``period / points``
    apart over half a period either side of it, and its shifts by every whole number of
    periods that stays within the bounds (its own value excluded)."""
    out = []
    for i in indices:
        fine = x[i] + period / points * np.arange(-(points // 2), points // 2 + 1)
        down = math.floor((x[i] - low[i]) / period + 1e-9)
        up = math.floor((high[i] - x[i]) / period + 1e-9)
        whole = [x[i] + k * period for k in range(-down, up + 1) if abs(k) > 0]
        out += [(i, float(v)) for v in [*fine, *whole]
                if low[i] <= v <= high[i] and v != x[i]]
    return out


def window(x: np.ndarray, indices: Sequence[int], low: np.ndarray, high: np.ndarray,
           period: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds that keep each delay ``indices`` of ``x`` within half a ``period`` of it."""
    lo, hi = low.copy(), high.copy()
    for i in indices:
        lo[i], hi[i] = max(low[i], x[i] - 0.5 * period), min(high[i], x[i] + 0.5 * period)
    return lo, hi


def fit_across_periods(optimizer: Optimizer, many: Many, x0: np.ndarray, low: np.ndarray,
                       high: np.ndarray, names: Sequence[str], control_rate: float,
                       report: Report | None = None, restarts: int = RESTARTS) -> Outcome:
    """``optimizer`` from ``x0`` (the scan's start) with each free delay held within half
    a control period of its start; again with the full bounds if a delay ends on that
    window's edge; then, while a point of the delays' profile (:func:`candidates`, the
    others held at the fit) has a lower cost than the fit, a new fit from the best one
    (at most ``restarts``). Returns the lowest-cost fit, with the evaluations of all of
    them (profiles included) and their traces one after the other. Without a free delay:
    the optimizer alone."""
    indices = delay_indices(names, low, high)
    period = 1.0 / control_rate
    done, trace = 0, []

    def counted(n: int, cost: float) -> None:
        if report:
            report(done + n, cost)

    def run(start: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Outcome:
        nonlocal done
        out = optimizer.minimize(many, np.clip(start, lo, hi), lo, hi, counted)
        done += out.evaluations
        trace.extend(out.trace)
        return out

    lo, hi = window(x0, indices, low, high, period)
    best = run(x0, lo, hi)
    tol = 1e-3 * period
    if any((lo[i] > low[i] + tol and best.x[i] <= lo[i] + tol)
           or (hi[i] < high[i] - tol and best.x[i] >= hi[i] - tol) for i in indices):
        best = run(best.x, low, high)  # on the window's edge: the window may be wrong
    for _ in range(restarts):
        moves = candidates(best.x, indices, low, high, period)
        if not moves:
            break
        xs = [np.where(np.arange(len(best.x)) == i, v, best.x) for i, v in moves]
        costs = [0.5 * float(r @ r) for r in many(xs)]
        done += len(xs)
        k = int(np.argmin(costs))
        if not costs[k] < best.cost:
            break
        again = run(xs[k], low, high)
        if not again.cost < best.cost:
            break
        best = again
    return Outcome(best.x, best.cost, done, trace, best.message)
