"""``identify``: fit a robot's named parameters to logs, with uncertainty and validation.

The steps: read and split the logs (:mod:`s2r.sysid.data`), cut the fitting part into
segments (:mod:`s2r.sysid.segments`), check that every free parameter moves the
residuals, minimise them from the nominal values (:mod:`s2r.sysid.optimizers`), analyse
the Jacobian at the optimum (:mod:`s2r.sysid.identifiability`) and compare nominal and
fitted values on the held-out part. See s2r/sysid/README.md for the workflow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from s2r.errors import ConfigError
from s2r.param_vector import ParameterVector
from s2r.sysid.data import Recording, load_data
from s2r.sysid.delays import fit_across_periods, scan_delays
from s2r.sysid.dropo import DropoFit, fit_dropo
from s2r.sysid.evaluate import Evaluator, default_workers
from s2r.sysid.forms import motor_forms, motor_symmetries
from s2r.sysid.identifiability import analyse, require_effect
from s2r.sysid.optimizers import get_optimizer, jacobian, steps
from s2r.sysid.result import Estimate, SysidResult
from s2r.sysid.segments import Segment, channels, cut, measured
from s2r.sysid.starts import FREE_START, start_projection
from s2r.sysid.ties import Ties

Pathish = str | os.PathLike[str]
#: what randomization.yaml randomizes over (see identify)
DISTRIBUTIONS = ("covariance", "dropo")
DROPO_OPTIONS = {"samples", "noise", "max_evaluations", "seed"}
#: progress(stage, evaluations so far, best cost)
Progress = Callable[[str, int, float], None]


def _segments(recs: Sequence[Recording], cols: list[str], spec: Any, length: float | None,
              history: float, start_velocity: str) -> tuple[list[Segment], np.ndarray]:
    targets = [measured(r, cols, spec.joint_names, list(spec.sensors)) for r in recs]
    segs = [s for r, y in zip(recs, targets, strict=True)
            for s in cut(r, y, length, spec.control_rate, history, start_velocity)]
    if not segs:
        raise ConfigError("the logs are too short to cut a single segment", where="logs")
    return segs, np.concatenate([s.target for s in segs])


def _scales(target: np.ndarray, cols: list[str]) -> np.ndarray:
    std = target.std(axis=0)
    for c, s in zip(cols, std, strict=True):
        if not s > 0:
            raise ConfigError(f"signal {c} does not change in the logs: it cannot be fitted "
                              "(drop it from signals)", where="signals")
    return std


def _nrmse(ev: Evaluator, values: Mapping[str, float], ncols: int) -> np.ndarray:
    r = ev(values).reshape(-1, ncols)
    return np.sqrt(np.mean(r ** 2, axis=0))


def identify(robot: Any, logs: Sequence[Pathish] | Pathish, params: Sequence[str], *,
             method: str = "lsq", holdout: float | Sequence[Pathish] = 0.2,
             segment: float | None = 0.15, signals: Sequence[str] = ("q",),
             fixed: Mapping[str, float] | None = None, tie: Mapping[str, str] | None = None,
             workers: int | None = None,
             out: Pathish | None = None, progress: Progress | None = None,
             max_evaluations: int | None = None, rtol: float = 1e-3,
             start_velocity: str = "logged", distribution: str = "covariance",
             dropo: Mapping[str, Any] | None = None, free_start: str = "none",
             ray_address: str | None = None, margin: float = 0.0) -> SysidResult:
    """Fit ``params`` (names or globs) of ``robot`` to ``logs``; write ``out`` if given.

    Args:
        robot: a built-in name, a robot YAML, or a SimRobot (used as it is: its current
            values are the base that free and fixed values are set on).
        logs: log files or directories of ``*.s2r.csv``.
        params: the free parameters (names or shell globs).
        method: ``lsq`` (bounded least squares) or ``cma`` (CMA-ES with restarts).
        holdout: fraction of every episode's last rows, or a list of logs, for validation.
        segment: multiple-shooting segment length in s; ``None``: single shooting.
        signals: compared channels (``q``, ``qd``, ``q.<joint>``, sensors).
        fixed: parameters held at given values.
        tie: ``{follower: leader}``: the follower moves in proportion to the free leader
            (see :mod:`s2r.sysid.ties`).
        workers: processes for the simulations (default: the cores available).
        rtol: singular values below ``rtol`` times the largest count as not identified.
        start_velocity: ``logged`` or ``central`` (from the positions around the start
            row, see :func:`s2r.sysid.segments.start_velocities`).
        distribution: what ``randomization.yaml`` randomizes over: ``covariance`` (uniform
            over each 95 % interval) or ``dropo`` (a Gaussian per parameter whose spread
            is fitted to the data, :mod:`s2r.sysid.dropo`).
        dropo: options of :func:`s2r.sysid.dropo.fit_dropo` (``samples``, ``noise``,
            ``max_evaluations``, ``seed``).
        free_start: segment start coordinates treated as free nuisance variables and
            eliminated (:mod:`s2r.sysid.starts`): ``none``, ``qd`` or ``q+qd``.
        ray_address: run the fit's simulations on ``workers`` Ray actors (``local``: a Ray
            started here; ``auto`` or ``ray://host:port``: a cluster), by the same tasks
            as the worker processes (:mod:`s2r.sysid.raypool`).
        margin: every range of ``randomization.yaml`` spans at least this fraction of the
            fitted value on each side (0.2: ``value / 1.2 .. value * 1.2`` for positive
            quantities): room for model error the data's statistics do not show.

    >>> identify("pendulum", [], ["link.pole.mass"])
    Traceback (most recent call last):
    ...
    s2r.errors.ConfigError: logs: give at least one log file or directory
    """
    from s2r.sim import SimRobot

    if distribution not in DISTRIBUTIONS:
        raise ConfigError(f"distribution: must be one of {', '.join(DISTRIBUTIONS)}, got "
                          f"{distribution!r}", where="distribution")
    unknown = set(dropo or {}) - DROPO_OPTIONS
    if unknown:
        raise ConfigError(f"dropo: unknown options {sorted(unknown)} (known: "
                          f"{', '.join(sorted(DROPO_OPTIONS))})", where="dropo")
    if free_start not in FREE_START:
        raise ConfigError(f"free_start: must be one of {', '.join(FREE_START)}, got "
                          f"{free_start!r}", where="free_start")
    if not 0.0 <= margin < 1.0:
        raise ConfigError(f"margin: must be in [0, 1), got {margin}", where="margin")
    if segment is not None and not segment > 0:
        raise ConfigError(f"segment: must be > 0 s (or null for single shooting), got {segment}",
                          where="segment")
    own = not isinstance(robot, SimRobot)
    sim = SimRobot(robot) if own else robot
    say = progress or (lambda stage, n, cost: None)
    try:
        result = _identify(sim, logs, params, method, holdout, segment, signals, fixed or {},
                           dict(tie or {}), workers or default_workers(), None, say,
                           max_evaluations, rtol, start_velocity,
                           dict(dropo or {}) if distribution == "dropo" else None,
                           free_start, ray_address)
        result.margin = margin
        return _finish(result, out)
    finally:
        if own:
            sim.close()


def _identify(sim: Any, logs: Any, params: Sequence[str], method: str, holdout: Any,
              segment: float | None, signals: Sequence[str], fixed: Mapping[str, float],
              tie: dict[str, str], workers: int, out: Pathish | None, say: Progress,
              max_evaluations: int | None, rtol: float, start_velocity: str,
              dropo: dict[str, Any] | None, free_start: str = "none",
              ray_address: str | None = None) -> SysidResult:
    spec = sim.spec
    optimizer = get_optimizer(method, **({"max_evaluations": max_evaluations}
                                         if max_evaluations else {}))
    if not params:
        raise ConfigError("params: name at least one parameter to fit", where="params")
    vec = ParameterVector(sim.params, free=_free(sim.params, params, {*fixed, *tie}),
                          fixed=fixed)
    ties = Ties(vec, tie)
    fit, held = load_data([logs] if isinstance(logs, (str, os.PathLike)) else list(logs),
                          spec, holdout)
    cols = channels(signals, spec.joint_names, list(spec.sensors))
    history = 2.0 * sim.params["delay.action"].high + 2.0 / spec.control_rate
    segs, target = _segments(fit, cols, spec, segment, history, start_velocity)
    names = (cols, spec.joint_names, list(spec.sensors))
    low, high = vec.bounds()
    x0 = np.clip(vec.to_vector({**sim.get_params(), **vec.fixed}), low, high)
    clusters = [s.target.size for s in segs]
    with Evaluator(sim, segs, *names, _scales(target, cols), workers, ray_address) as ev:
        proj = start_projection(ev.many, ties.values(x0), free_start, len(spec.joint_names),
                                clusters)

        def many(xs: Sequence[np.ndarray]) -> list[np.ndarray]:
            rs = ev.many([ties.values(x) for x in xs])
            return rs if proj is None else [proj(r) for r in rs]

        x0 = scan_delays(many, x0, vec.names, low, high, spec.control_rate)
        say("effect", 0, math.nan)
        big = 0.05 * (high - low)
        probes = [x0 + np.where(np.arange(len(x0)) == i, np.where(x0 + big[i] <= high,
                                                                   big[i], -big[i]), 0.0)
                  for i in range(len(x0))]
        r0, *rs = many([x0, *probes])
        require_effect(vec.names, np.array([np.max(np.abs(r - r0)) for r in rs]))
        best = fit_across_periods(optimizer, many, x0, low, high, vec.names,
                                  spec.control_rate,
                                  lambda n, cost: say("fit", n + len(x0) + 1, cost))
        say("analyse", best.evaluations, best.cost)
        r, jac = jacobian(many, best.x, low, high, steps(low, high, vec.log))
        at_fit = {**sim.get_params(), **ties.values(best.x)}
        info = analyse(jac, r, vec.names, best.x, vec.log, low, high, rtol,
                       clusters=clusters, nuisance=0 if proj is None else proj.nuisance,
                       forms=motor_forms(spec.actuators, at_fit),
                       directions=_directions(many, best.x, r, low, high, vec.log,
                                              motor_symmetries(spec.actuators, vec.names,
                                                               at_fit)))
        spread = None
        if dropo is not None:
            say("dropo", 0, math.nan)
            spread = _dropo(ev, vec, ties, best.x, info.std, dropo,
                            lambda n, cost: say("dropo", n, cost))
        nominal_x = x0
    say("validate", best.evaluations, best.cost)
    summary = _validation(sim, ties, nominal_x, best.x, held or fit, cols, spec, segment,
                          history, workers, bool(held), start_velocity)
    overlay = _overlay(sim, ties, nominal_x, best.x, held or fit, cols, spec, segment, history,
                       start_velocity, "held-out" if held else "fit")
    estimates = _estimates(vec, best.x, info.std)
    warnings = list(info.warnings) + [
        f"{name}: tied to {tie[name]}, its proportional value is outside its bounds and was "
        "put on the bound" for name in ties.clipped(best.x)]
    final = ties.values(best.x)
    return _finish(SysidResult(spec.name, method, estimates, dict(vec.fixed),
                               info.combinations,
                               warnings, {**summary, "segments": len(segs), "signals": cols,
                                          "segment": segment, "method": method,
                                          "free_start": free_start,
                                          "evaluations": best.evaluations,
                                          "correlation": _corr(info.correlation, vec.names)},
                               best.trace, best.evaluations, best.cost,
                               {f: {"to": lead, "value": final[f]} for f, lead in tie.items()},
                               overlay, spread), out)


def _directions(many: Callable[[Sequence[np.ndarray]], list[np.ndarray]], x: np.ndarray,
                r: np.ndarray, low: np.ndarray, high: np.ndarray, log: np.ndarray,
                ds: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(d, dr/dt)`` for each direction ``d``: one difference along it (a 0.1 % step in
    the log-scaled parameters), inward at a bound."""
    out = []
    for d in ds:
        h = 1e-3 / max(float(np.max(np.abs(np.where(log, d, 0.0)))), 1e-12)
        step = h if np.all(x + h * d <= high) and np.all(x + h * d >= low) else -h
        out.append((d, (many([x + step * d])[0] - r) / step))
    return out


def _dropo(ev: Evaluator, vec: ParameterVector, ties: Ties, x: np.ndarray, std: np.ndarray,
           options: dict[str, Any], report: Callable[[int, float], None]) -> DropoFit:
    """DROPO over the free parameters, from the point fit (physical units, table bounds)."""
    table = vec.table
    low = np.array([table[n].low for n in vec.names])
    high = np.array([table[n].high for n in vec.names])
    mean0 = np.array([vec.from_vector(x)[n] for n in vec.names])
    # start spread: the fit's standard deviation (delta method on a log scale), at least
    # 1 % of the value (a parameter seen only in a combination has none)
    sd = np.where(np.isfinite(std), np.where(vec.log, std * mean0, std), 0.0)
    std0 = np.maximum(sd, 0.01 * np.maximum(np.abs(mean0), 1e-3 * (high - low)))

    def many(sets: Sequence[dict[str, float]]) -> list[np.ndarray]:
        return ev.many([ties.values(vec.to_vector({**vec.fixed, **v})) for v in sets])

    return fit_dropo(many, vec.names, low, high, mean0, std0, report=report, **options)


def _free(table: Any, params: Sequence[str], fixed: set[str]) -> list[str]:
    """Names and globs of the free parameters; what a glob matches minus ``fixed`` (the
    fixed and tied names)."""
    out: list[str] = []
    for pattern in params:
        matched = table.match(pattern) if any(ch in pattern for ch in "*?[") else []
        left = [n for n in matched if n not in fixed]
        out += left if left else [pattern]
    return out


def _finish(result: SysidResult, out: Pathish | None) -> SysidResult:
    if out is not None:
        result.write(out)
    return result


def _corr(corr: np.ndarray, names: list[str]) -> dict[str, dict[str, float | None]]:
    return {a: {b: (None if not np.isfinite(corr[i, j]) else round(float(corr[i, j]), 4))
                for j, b in enumerate(names)} for i, a in enumerate(names)}


def _estimates(vec: ParameterVector, x: np.ndarray, std: np.ndarray) -> dict[str, Estimate]:
    values = vec.from_vector(x)
    low, high = vec.bounds()
    out = {}
    for i, name in enumerate(vec.names):
        p = vec.table[name]
        v = values[name]
        span = high[i] - low[i]
        at = "low" if x[i] <= low[i] + 1e-3 * span else "high" if x[i] >= high[i] - 1e-3 * span \
            else None
        if not np.isfinite(std[i]):
            out[name] = Estimate(v, None, None, p.nominal, at, p.unit, p.low, p.high,
                                 bool(vec.log[i]))
            continue
        s = float(std[i])
        if vec.log[i]:  # log-normal: std by the delta method, an interval that stays positive
            ci = (v * math.exp(-1.96 * s), v * math.exp(1.96 * s))
            s_phys = v * s
        else:
            ci, s_phys = (v - 1.96 * s, v + 1.96 * s), s
        out[name] = Estimate(v, s_phys, ci, p.nominal, at, p.unit, p.low, p.high,
                             bool(vec.log[i]))
    return out


def _validation(sim: Any, ties: Ties, x_nominal: np.ndarray, x_fit: np.ndarray,
                recs: Sequence[Recording], cols: list[str], spec: Any, segment: float | None,
                history: float, workers: int, held_out: bool, start_velocity: str
                ) -> dict[str, Any]:
    """NRMSE and fit % per channel, nominal vs fitted, by multiple shooting on ``recs``."""
    segs, target = _segments(recs, cols, spec, 0.15 if segment is None else segment, history,
                             start_velocity)
    scales = np.where(target.std(axis=0) > 0, target.std(axis=0), 1.0)
    with Evaluator(sim, segs, cols, spec.joint_names, list(spec.sensors), scales,
                   min(workers, 2)) as ev:
        before = _nrmse(ev, ties.values(x_nominal), len(cols))
        after = _nrmse(ev, ties.values(x_fit), len(cols))
    return {"data": "held-out" if held_out else "fit (no held-out data)",
            "channels": {c: {"nrmse_nominal": float(b), "nrmse_fitted": float(a),
                             "fit_percent_nominal": 100.0 * (1.0 - float(b)),
                             "fit_percent_fitted": 100.0 * (1.0 - float(a))}
                         for c, b, a in zip(cols, before, after, strict=True)}}


def _overlay(sim: Any, ties: Ties, x_nominal: np.ndarray, x_fit: np.ndarray,
             recs: Sequence[Recording], cols: list[str], spec: Any, segment: float | None,
             history: float, start_velocity: str, data: str, seconds: float = 3.0
             ) -> dict[str, Any]:
    """Measured, nominal and fitted signals of the first ``seconds`` of the first recording,
    simulated as the fit did (segments of ``segment`` s, or the whole stretch)."""
    rec = recs[0]
    n = min(len(rec), int(round(seconds * spec.control_rate)) + 2)
    part = rec.rows(0, n)
    segs = cut(part, measured(part, cols, spec.joint_names, list(spec.sensors)), segment,
               spec.control_rate, history, start_velocity)
    with Evaluator(sim, segs, cols, spec.joint_names, list(spec.sensors),
                   np.ones(len(cols))) as ev:
        nominal, fitted = ev.many([ties.values(x_nominal), ties.values(x_fit)])
    out, row = [], 0
    for seg in segs:
        size = seg.target.size
        t = seg.t0 + np.arange(1, len(seg.target) + 1) / spec.control_rate
        shape = seg.target.shape
        out.append({"t": t, "measured": seg.target,
                     "nominal": seg.target + nominal[row:row + size].reshape(shape),
                     "fitted": seg.target + fitted[row:row + size].reshape(shape)})
        row += size
    shooting = "single shooting" if segment is None else \
        f"multiple shooting ({segment:g} s segments from the logged state)"
    return {"channels": cols, "segments": out, "data": data, "source": rec.source,
            "shooting": shooting}
