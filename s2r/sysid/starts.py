"""Free segment start states: each segment's start state as a nuisance, eliminated.

A segment starts from the logged joint state, but logged positions are quantized (an
encoder count) and start velocities are differences of them, so every segment starts a
little off. That error grows along the segment (a velocity error as a ramp), is shared by
all rows of the segment, and biases the fit (an inertia or a centre of mass absorbs it).

Classic multiple shooting makes every segment's start state a free variable. Here they
are eliminated to first order (variable projection): the sensitivity ``S_s`` of each
segment's residuals to its start state (one column per freed coordinate: ``q`` and/or
``qd`` of every joint) is measured by finite differences, with every segment shifted at
once (segments are independent, so one simulation of all segments per coordinate); then
every residual vector is replaced by what no start-state change of its segment can
explain, ``r_s - Q_s Q_s^T r_s`` (``Q_s`` an orthonormal basis of ``S_s``). Minimising
the projected residuals is minimising over the start states for every parameter value,
the nuisance solved in closed form. The projection is fixed (measured once, at the start
values of the fit), so it is a linear map the optimizer and the covariance see like any
weighting; the residual degrees of freedom drop by the number of freed coordinates.

>>> import numpy as np
>>> s = np.array([[0.0], [1.0], [2.0], [0.0], [1.0], [2.0]])  # two segments of 3 rows
>>> p = StartProjection(s, [3, 3])
>>> r = np.array([0.0, 0.2, 0.4, 1.0, 1.0, 1.0])  # a ramp: a start velocity error
>>> np.round(p(r), 6).tolist()[:3], p.nuisance
([0.0, 0.0, 0.0], 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from s2r.errors import ConfigError
from s2r.sysid.evaluate import Shift

#: what ``free_start`` may free: nothing, the velocities, or positions and velocities
FREE_START = ("none", "qd", "q+qd")
#: finite-difference steps of a start position (rad or m) and velocity (per s)
STEP_Q, STEP_QD = 1e-3, 1e-2


class StartProjection:
    """Removes from each segment's residuals what its start state could explain.

    Args:
        sensitivity: (rows, k) derivatives of the residual vector with respect to the
            ``k`` freed start coordinates, every segment shifted at once.
        clusters: the length of each segment's block of residuals, in order.
    """

    def __init__(self, sensitivity: np.ndarray, clusters: Sequence[int]) -> None:
        self.edges = np.cumsum([0, *clusters])
        self.bases: list[np.ndarray] = []
        nuisance = 0
        for lo, hi in zip(self.edges[:-1], self.edges[1:], strict=True):
            block = sensitivity[lo:hi]
            u, sv, _ = np.linalg.svd(block, full_matrices=False)
            keep = sv > 1e-9 * max(float(sv[0]) if len(sv) else 0.0, 1e-300)
            self.bases.append(u[:, keep])
            nuisance += int(keep.sum())
        #: the number of start coordinates eliminated over all segments
        self.nuisance = nuisance

    def __call__(self, r: np.ndarray) -> np.ndarray:
        out = np.array(r, dtype=float, copy=True)
        for (lo, hi), q in zip(zip(self.edges[:-1], self.edges[1:], strict=True), self.bases,
                               strict=True):
            if q.size:
                out[lo:hi] -= q @ (q.T @ out[lo:hi])
        return out


def shifts(free: str, joints: int) -> list[tuple[Shift, float]]:
    """The start-state shifts to difference for ``free`` (``FREE_START``), with their steps.

    >>> [step for _, step in shifts("q+qd", 2)]
    [0.001, 0.001, 0.01, 0.01]
    """
    if free not in FREE_START:
        raise ConfigError(f"must be one of {', '.join(FREE_START)}, got {free!r}",
                          where="free_start")
    out: list[tuple[Shift, float]] = []
    zero = (0.0,) * joints
    if free == "q+qd":
        for j in range(joints):
            out.append(((tuple(STEP_Q if i == j else 0.0 for i in range(joints)), zero), STEP_Q))
    if free in ("qd", "q+qd"):
        for j in range(joints):
            out.append(((zero, tuple(STEP_QD if i == j else 0.0 for i in range(joints))),
                        STEP_QD))
    return out


def start_projection(many: Callable[..., list[np.ndarray]], values: object, free: str,
                     joints: int, clusters: Sequence[int]) -> StartProjection | None:
    """Measure the start-state sensitivities at ``values`` with ``many(sets, shifts)`` (an
    :meth:`~s2r.sysid.evaluate.Evaluator.many`) and return the projection (None when
    ``free`` is ``none``)."""
    todo = shifts(free, joints)
    if not todo:
        return None
    rs = many([values] * (len(todo) + 1), [None, *(d for d, _ in todo)])
    r0 = rs[0]
    sens = np.column_stack([(r - r0) / h for r, (_, h) in zip(rs[1:], todo, strict=True)])
    return StartProjection(sens, clusters)
