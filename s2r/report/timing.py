"""Control timing of the real side, from the ``t_host`` and ``rtt`` columns of its logs.

``t_host`` is the host time each command was sent, ``rtt`` the round trip of the last
reply received during that tick (0: none). The period is the time between two sends of
one episode; its error is ``|period - 1 / control_rate|``. A run deployed unpaced
(a lockstep emulator) has no target rate: its periods are reported, marked unpaced.

>>> import tempfile, os
>>> from s2r.report.inputs import load_side
>>> from s2r.rollout import rollout
>>> d = tempfile.mkdtemp()
>>> _ = rollout("pendulum_swingup", "scripted:zero", max_steps=10,
...             out=os.path.join(d, "run.s2r.csv"))
>>> t = timing(load_side(d, "sim"))
>>> t["paced"], t["control_rate"], t["period_error_s"], t["period_s"]["p50"] > 0
(False, 50.0, None, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from s2r.report.inputs import Side

QUANTILES = (50, 90, 99)


def _stats(x: np.ndarray) -> dict[str, float | None]:
    if not len(x):
        return {**{f"p{q}": None for q in QUANTILES}, "max": None}
    return {**{f"p{q}": float(np.percentile(x, q)) for q in QUANTILES}, "max": float(x.max())}


def periods(side: Side) -> np.ndarray:
    """Every period between two sends (s), all episodes pooled."""
    out = [np.diff(ep.frame["t_host"].to_numpy(float)) for ep in side.episodes
           if "t_host" in ep.frame.columns]
    return np.concatenate(out) if out else np.zeros(0)


def timing(side: Side) -> dict[str, Any] | None:
    """Achieved rate, period error and round-trip percentiles; None without ``t_host``."""
    dt = periods(side)
    if not len(dt):
        return None
    rate = side.logs[0].meta.control_rate
    ends = [ep.end.get("timing", {}) for ep in side.episodes if ep.end]
    paced = any(math.isfinite(float(t.get("target_rate", math.nan))) for t in ends)
    rtt = np.concatenate([ep.frame["rtt"].to_numpy(float) for ep in side.episodes
                          if "rtt" in ep.frame.columns] or [np.zeros(0)])
    ticks = sum(int(t.get("ticks", 0)) for t in ends)
    overruns = sum(int(t.get("overruns", 0)) for t in ends)
    total = float(dt.sum())
    return {"paced": paced, "control_rate": rate,
            "achieved_rate": len(dt) / total if total > 0 else None,
            "period_s": _stats(dt),
            "period_error_s": _stats(np.abs(dt - 1.0 / rate)) if paced and rate else None,
            "rtt_s": _stats(rtt[rtt > 0]),
            "overruns": overruns, "overrun_fraction": overruns / ticks if ticks else None}
