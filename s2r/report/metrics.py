"""The metrics of a gap report, as the JSON-ready dict ``metrics.json`` holds.

One entry per policy (a pair of sim and real directories): return and success rate on
each side with bootstrap intervals and the gap; open-loop replay error per channel
(:mod:`s2r.report.replay`); distribution distances per channel (Wasserstein-1, DTW) and
jointly (MMD with a permutation p-value); control timing of the real side. With three
or more policies, how well sim ranks them (Pearson, Spearman, MMRV).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from s2r.report import stats
from s2r.report.inputs import Pair, Side
from s2r.report.replay import Replay, make_robot, replay
from s2r.report.timing import timing

FORMAT, VERSION = "s2r-gap-report", 1


@dataclass
class Settings:
    """How the metrics are computed."""

    segment: float = 0.2  # s, multiple-shooting segment length
    resamples: int = 2000  # bootstrap resamples
    permutations: int = 500  # MMD permutations
    seed: int = 0


@dataclass
class Computed:
    """The metrics, and what the plots need besides them."""

    metrics: dict[str, Any]
    replays: dict[str, Replay] = field(default_factory=dict)  # per policy: segment replay
    names: list[str] = field(default_factory=list)  # the robot's parameter names
    actuated: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


def _side_scores(side: Side, cfg: Settings) -> dict[str, Any]:
    ret = {"mean": float(side.returns.mean()),
           "ci": stats.mean_ci(side.returns, cfg.resamples, cfg.seed),
           "values": side.returns.tolist()}
    return ret


def _scores(pair: Pair, cfg: Settings) -> tuple[dict[str, Any], dict[str, Any] | None]:
    ret = {"sim": _side_scores(pair.sim, cfg), "real": _side_scores(pair.real, cfg),
           "gap": stats.gap_ci(pair.sim.returns, pair.real.returns, cfg.resamples, cfg.seed)}
    s, r = pair.sim.success_values, pair.real.success_values
    if s is None or r is None:
        return ret, None
    success = {side: {"rate": float(v.mean()), "ci": stats.mean_ci(v, cfg.resamples, cfg.seed),
                      "values": [bool(x) for x in v]} for side, v in (("sim", s), ("real", r))}
    return ret, {**success, "gap": stats.gap_ci(s, r, cfg.resamples, cfg.seed)}


def _columns(side: Side) -> list[str]:
    meta = side.logs[0].meta
    return [*(f"q.{j}" for j in meta.joints), *(f"qd.{j}" for j in meta.joints),
            *(f"u.{a}" for a in meta.actuators)]


def _distances(pair: Pair, cfg: Settings) -> dict[str, Any]:
    cols = _columns(pair.sim)
    per: dict[str, Any] = {}
    for c in cols:
        sim = [ep.frame[c].to_numpy(float) for ep in pair.sim.episodes]
        real = [ep.frame[c].to_numpy(float) for ep in pair.real.episodes]
        per[c] = {"wasserstein": stats.wasserstein(np.concatenate(sim), np.concatenate(real)),
                  "dtw": stats.dtw(sim, real)}
    state = [c for c in cols if not c.startswith("u.")]
    a = np.vstack([ep.frame[state].to_numpy(float) for ep in pair.sim.episodes])
    b = np.vstack([ep.frame[state].to_numpy(float) for ep in pair.real.episodes])
    mmd = stats.mmd_test(a, b, resamples=cfg.permutations, seed=cfg.seed)
    return {"channels": per, "mmd": {**mmd, "channels": state}}


def _params(pair: Pair) -> tuple[dict[str, float] | None, str]:
    for log in pair.sim.logs:
        if log.meta.params:
            return dict(log.meta.params), f"metadata of {log.path}"
    return None, "nominal (the sim logs hold no parameter values)"


def compute(pairs: list[Pair], robot: Any, cfg: Settings) -> Computed:
    """Every metric of the report (without the summary, see :mod:`s2r.report.advice`)."""
    from s2r.report.advice import child_links

    out = Computed({"format": FORMAT, "version": VERSION, "robot": pairs[0].sim.robot,
                    "settings": {"segment_s": cfg.segment, "bootstrap_resamples": cfg.resamples,
                                 "permutations": cfg.permutations, "seed": cfg.seed},
                    "summary": [], "suggestions": [], "policies": [], "ranking": None})
    for pair in pairs:
        params, source = _params(pair)
        sim = make_robot(robot or pair.sim.robot, params)
        try:
            if not out.names:
                out.names = list(sim.params)
                out.actuated = list(sim.spec.actuator_names)
                out.links = child_links(sim)
            segments = replay(sim, pair.real, cfg.segment)
            whole = replay(sim, pair.real, None)
        finally:
            sim.close()
        out.replays[pair.name] = segments
        ret, success = _scores(pair, cfg)
        out.metrics["policies"].append({
            **pair.describe(), "replay_params": source, "return": ret, "success": success,
            "replay": {"segment_s": cfg.segment, "segments": segments.metrics(),
                       "episodes": whole.metrics()},
            "distance": _distances(pair, cfg), "timing": timing(pair.real)})
    pols = out.metrics["policies"]
    if len(pols) >= 3:
        def rank(key: str, stat: str) -> dict[str, Any] | None:
            if any(p[key] is None for p in pols):
                return None
            return stats.correlations([p[key]["sim"][stat] for p in pols],
                                      [p[key]["real"][stat] for p in pols])
        out.metrics["ranking"] = {"policies": len(pols), "return": rank("return", "mean"),
                                  "success": rank("success", "rate")}
    return out
