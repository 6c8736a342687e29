"""Automatic Domain Randomization (OpenAI et al. 2019, "Solving Rubik's Cube with a Robot Hand").

Every parameter dimension *i* has bounds ``[low_i, high_i]``, starting at the
nominal value (or ``initial``). Each episode, with probability
``boundary_prob`` one dimension is pinned at one of its two boundaries and the
others are drawn uniformly within their bounds; the episode's performance is
appended to that boundary's queue (:meth:`ADRRandomizer.update`). When a queue
holds ``queue_length`` results its mean is compared with ``thresholds = [t_low,
t_high]``: ``>= t_high`` moves the boundary outward by ``step``, ``<= t_low``
moves it inward, then the queue is cleared. Boundaries never cross the hard
``limits`` (always within the parameter's own bounds) and never shrink past the
nominal value, so ``low <= nominal <= high`` holds throughout.

Bounds are in the units of ``operation``, always relative to the nominal value:
``scale`` (default; multiples of the nominal, so 1 is nominal), ``add``
(offsets from it) or ``abs`` (the values themselves). :meth:`entropy` is the
paper's ADR entropy, ``mean_i log(high_i - low_i)`` in nats per dimension
(in those units; ``-inf`` while a dimension is still a point).

The record of an episode holds the values and the pinned boundary, so replay
works and :meth:`update` knows which queue a result belongs to. Results for a
boundary that has moved since the episode was sampled are dropped (``stale``).

>>> from s2r.sim import SimRobot
>>> robot = SimRobot("pendulum")
>>> adr = ADRRandomizer("link.pole.mass", thresholds=[0.0, 1.0], step=0.1, queue_length=1,
...                     initial=[0.9, 1.1])
>>> record = adr.sample_for(robot, np.random.default_rng(0))
>>> sorted(record)
['boundary', 'values']
>>> adr.update({"values": {}, "boundary": {"param": "link.pole.mass", "side": "high",
...             "value": 1.1}}, performance=2.0)
'expand'
>>> [round(b, 6) for b in adr.bounds()["link.pole.mass"]]
[0.9, 1.2]
>>> robot.close()
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.distributions import OPERATIONS, apply_operation
from randomizers.registry import register
from randomizers.target import ParameterTarget

SIDES = ("low", "high")


def _pair(value: Any, what: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise RandomizationError(f"{what}: expected [low, high], got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise RandomizationError(f"{what}: need finite low <= high, got [{lo}, {hi}]")
    return lo, hi


@register("adr")
class ADRRandomizer(Randomizer):
    """ADR over named parameters (patterns as in physics randomizers).

    Args:
        params: names/patterns, or ``{pattern: {step:, initial:, limits:}}`` to set
            those per pattern.
        thresholds: ``[t_low, t_high]`` on the performance (episode return or ``metric``).
        step: how far a boundary moves (operation units; default 0.05 for ``scale``).
        operation: ``scale`` (default), ``add`` or ``abs``.
        initial: starting ``[low, high]`` (must contain the nominal; default: the nominal).
        limits: hard ``[low, high]`` (intersected with the parameter's bounds).
        boundary_prob: probability that an episode pins one boundary.
        queue_length: results per boundary before it may move.
        metric: key of ``info`` at the episode's end holding the performance
            (default: the episode return); used by :class:`~randomizers.callbacks.ADRCallback`.
    """

    def __init__(self, params: str | Sequence[str] | Mapping[str, Mapping[str, Any]],
                 thresholds: Sequence[float], step: float | None = None,
                 operation: str = "scale", initial: Sequence[float] | None = None,
                 limits: Sequence[float] | None = None, boundary_prob: float = 0.5,
                 queue_length: int = 20, metric: str | None = None,
                 name: str | None = None) -> None:
        super().__init__(mode="reset", name=name)
        if isinstance(params, str):
            params = [params]
        self.overrides = {p: dict(o or {}) for p, o in params.items()} if isinstance(
            params, Mapping) else {p: {} for p in params}
        if not self.overrides:
            raise RandomizationError(f"{self.name}: params: give parameter names or patterns")
        bad = sorted(f"{p}.{k}" for p, o in self.overrides.items() for k in o
                     if k not in ("step", "initial", "limits"))
        if bad:
            raise RandomizationError(f"{self.name}: params.{bad[0]}: unknown option (options: "
                                     "step, initial, limits)")
        if operation not in OPERATIONS:
            raise RandomizationError(f"{self.name}: operation: unknown '{operation}' "
                                     f"(known: {', '.join(OPERATIONS)})")
        self.operation = operation
        self.thresholds = _pair(thresholds, f"{self.name}: thresholds")
        if self.thresholds[0] >= self.thresholds[1]:
            raise RandomizationError(f"{self.name}: thresholds: need t_low < t_high, got "
                                     f"{list(self.thresholds)}")
        self.step = 0.05 if step is None and operation == "scale" else step
        self.initial = None if initial is None else _pair(initial, f"{self.name}: initial")
        self.limits = None if limits is None else _pair(limits, f"{self.name}: limits")
        if not (0.0 <= boundary_prob <= 1.0 and int(queue_length) == queue_length >= 1):
            raise RandomizationError(f"{self.name}: need boundary_prob in [0, 1] and an integer "
                                     f"queue_length >= 1, got {boundary_prob}, {queue_length}")
        self.boundary_prob = float(boundary_prob)
        self.queue_length = int(queue_length)
        self.metric = metric
        self.names: list[str] = []
        self.counters = {"expand": 0, "shrink": 0, "hold": 0, "stale": 0}
        self.queues: dict[tuple[int, int], list[float]] = {}
        # per dimension, set by bind_target / load_state_dict
        self.nominal = self.steps = self.centre = np.zeros(0)
        self.limits_low = self.limits_high = self.low = self.high = np.zeros(0)

    # ------------------------------------------------------------- binding
    def bind(self, ctx: RandomizationContext) -> None:
        self.bind_target(ctx.require_target(self.name))

    def bind_target(self, target: ParameterTarget) -> None:
        """Resolve names and set up the bounds (kept if already set: shared or resumed)."""
        names: list[str] = []
        for pattern in self.overrides:
            matched = target.params.match(pattern)
            if not matched:
                raise RandomizationError(f"{self.name}: no parameter matches '{pattern}' (see "
                                         "`s2r params ROBOT` for the names)")
            names += [n for n in matched if n not in names]
        if self.names:
            if names != self.names:
                raise RandomizationError(f"{self.name}: bound to {self.names}, this target has "
                                         f"{names}")
            return
        cols = np.array([self._dimension(target, n) for n in names], dtype=float).T
        self.nominal, self.steps = cols[0].copy(), cols[1].copy()
        self.limits_low, self.limits_high = cols[2].copy(), cols[3].copy()
        self.low, self.high = cols[4].copy(), cols[5].copy()
        self.centre = np.array([self._identity(v) for v in self.nominal])
        self.queues = {}
        self.names = names

    def _identity(self, nominal: float) -> float:
        return {"scale": 1.0, "add": 0.0, "abs": nominal}[self.operation]

    def _dimension(self, target: ParameterTarget, name: str) -> tuple[float, ...]:
        p = target.params[name]
        o = next(o for pat, o in self.overrides.items() if fnmatchcase(name, pat))
        where = f"{self.name}: {name}"
        if self.operation == "scale":
            if p.nominal == 0:
                raise RandomizationError(f"{where}: nominal is 0, so scaling it does nothing "
                                         "(use operation add or abs)")
            lim = sorted((p.low / p.nominal, p.high / p.nominal))
        else:
            shift = p.nominal if self.operation == "add" else 0.0
            lim = [p.low - shift, p.high - shift]
        if o.get("limits", self.limits) is not None:
            user = _pair(o.get("limits", self.limits), f"{where}: limits")
            lim = [max(lim[0], user[0]), min(lim[1], user[1])]
        step = o.get("step", self.step)
        if step is None or not float(step) > 0:
            raise RandomizationError(f"{where}: step: give a step > 0 in {self.operation} units")
        c = self._identity(p.nominal)
        init = (c, c) if o.get("initial", self.initial) is None else _pair(
            o.get("initial", self.initial), f"{where}: initial")
        if not lim[0] <= init[0] <= c <= init[1] <= lim[1]:
            raise RandomizationError(f"{where}: need limits[0] <= initial[0] <= nominal ({c:g}) "
                                     f"<= initial[1] <= limits[1], got initial {list(init)}, "
                                     f"limits {lim} (in {self.operation} units)")
        return p.nominal, float(step), lim[0], lim[1], init[0], init[1]

    # ------------------------------------------------------------ sampling
    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return self.sample_for(ctx.require_target(self.name), rng)

    def sample_for(self, target: ParameterTarget, rng: np.random.Generator) -> dict[str, Any]:
        """Draw one episode's values; maybe pin one boundary (recorded in ``boundary``)."""
        if not self.names:
            self.bind_target(target)
        x = rng.uniform(self.low, self.high)
        boundary = None
        if rng.random() < self.boundary_prob:
            d, side = int(rng.integers(len(self.names))), int(rng.integers(2))
            x[d] = (self.low, self.high)[side][d]
            boundary = {"param": self.names[d], "side": SIDES[side], "value": float(x[d])}
        values = {}
        for name, nominal, xi in zip(self.names, self.nominal, x):
            p = target.params[name]
            v = apply_operation(self.operation, float(nominal), float(xi))
            values[name] = min(max(v, p.low), p.high)
        return {"values": values, "boundary": boundary}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        ctx.require_target(self.name).set_params(record["values"])

    # ------------------------------------------------------------- updates
    def update(self, record: Mapping[str, Any], performance: float) -> str | None:
        """Feed an episode's performance; ``record`` is this randomizer's record (or the
        whole ``info["randomization"]``). Returns ``expand``, ``shrink`` or ``hold`` when a
        queue was full and evaluated, else ``None``."""
        if "boundary" not in record:
            if self.name not in record:
                raise RandomizationError(f"{self.name}: update: no record of this randomizer")
            record = record[self.name]
        b = record["boundary"]
        if b is None:
            return None
        self._require_bound()
        if b["param"] not in self.names or b["side"] not in SIDES:
            raise RandomizationError(f"{self.name}: update: unknown boundary {b}")
        d, side = self.names.index(b["param"]), SIDES.index(b["side"])
        bounds = (self.low, self.high)[side]
        if not math.isclose(float(b["value"]), bounds[d], rel_tol=1e-9, abs_tol=1e-12):
            self.counters["stale"] += 1  # sampled before this boundary last moved
            return None
        queue = self.queues.setdefault((d, side), [])
        queue.append(float(performance))
        if len(queue) < self.queue_length:
            return None
        mean = float(np.mean(queue))
        queue.clear()
        outward = -1.0 if side == 0 else 1.0
        if mean >= self.thresholds[1]:
            decision, move = "expand", outward
        elif mean <= self.thresholds[0]:
            decision, move = "shrink", -outward
        else:
            self.counters["hold"] += 1
            return "hold"
        new = bounds[d] + move * self.steps[d]
        if side == 0:
            bounds[d] = min(max(new, self.limits_low[d]), self.centre[d])
        else:
            bounds[d] = max(min(new, self.limits_high[d]), self.centre[d])
        self.counters[decision] += 1
        return decision

    def _require_bound(self) -> None:
        if not self.names:
            raise RandomizationError(f"{self.name}: not bound yet (wrap an env with it, call "
                                     "bind_target(robot), or load_state_dict)")

    # ----------------------------------------------------------- reporting
    def bounds(self) -> dict[str, tuple[float, float]]:
        """Current ``(low, high)`` per parameter, in operation units."""
        return {n: (float(lo), float(hi)) for n, lo, hi in zip(self.names, self.low, self.high)}

    def entropy(self) -> float:
        """ADR entropy: mean over dimensions of ``log(high - low)`` (nats per dimension)."""
        self._require_bound()
        with np.errstate(divide="ignore"):
            return float(np.mean(np.log(self.high - self.low)))

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume (JSON-able); see :meth:`from_state_dict`."""
        self._require_bound()
        return {"kind": "adr", "name": self.name, "operation": self.operation,
                "thresholds": list(self.thresholds), "boundary_prob": self.boundary_prob,
                "queue_length": self.queue_length, "metric": self.metric, "names": self.names,
                **{k: getattr(self, k).tolist() for k in ("nominal", "steps", "limits_low",
                                                          "limits_high", "low", "high")},
                "queues": {f"{self.names[d]}:{SIDES[s]}": list(q)
                           for (d, s), q in self.queues.items() if q},
                "counters": dict(self.counters)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore bounds, queues and counters (same parameter names if already bound)."""
        if self.names and list(state["names"]) != self.names:
            raise RandomizationError(f"{self.name}: state is for {list(state['names'])}, this "
                                     f"randomizer is bound to {self.names}")
        self.names = list(state["names"])
        for k in ("nominal", "steps", "limits_low", "limits_high", "low", "high"):
            setattr(self, k, np.array(state[k], dtype=float))
        self.centre = np.array([self._identity(v) for v in self.nominal])
        self.queues = {}
        for key, q in state.get("queues", {}).items():
            name, _, side = key.rpartition(":")
            self.queues[(self.names.index(name), SIDES.index(side))] = [float(v) for v in q]
        self.counters.update(state.get("counters", {}))

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> ADRRandomizer:
        """A working ADR (update, entropy, bounds) from :meth:`state_dict`, with no target."""
        adr = cls(list(state["names"]), state["thresholds"], step=1.0,
                  operation=state["operation"], boundary_prob=state["boundary_prob"],
                  queue_length=state["queue_length"], metric=state.get("metric"),
                  name=state["name"])
        adr.load_state_dict(state)
        return adr
