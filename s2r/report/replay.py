"""Open-loop replay error: the real log's commands replayed in simulation from its states.

The replay model is the one the sim side ran: a :class:`~s2r.sim.SimRobot` with the
parameter values of the sim log's metadata. Each real episode is cut into segments
(multiple shooting, :mod:`s2r.sysid.segments`: every segment starts from the logged
joint state and command history, so an action delay starts full) of ``segment`` seconds,
and also simulated whole from its second row (single shooting). Per channel (``q.<j>``,
``qd.<j>``) the simulated and measured rows of all segments are compared:

- NRMSE: RMS error / range of the measured channel (:func:`s2r.compare.nrmse`);
- fit: ``100 (1 - ||y - ŷ|| / ||y - mean(y)||)`` %, 100 = exact, 0 = no better than the
  mean, negative = worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from s2r.compare import nrmse
from s2r.errors import ReportError, S2RError
from s2r.report.inputs import Side
from s2r.report.stats import fit_percent
from s2r.sysid.data import Recording
from s2r.sysid.segments import channels, cut, measured, simulate


@dataclass
class Replay:
    """Simulated and measured rows of every segment of one mode (segments or episodes)."""

    columns: list[str]
    t: list[np.ndarray] = field(default_factory=list)  # per segment: times of the rows
    target: list[np.ndarray] = field(default_factory=list)
    predicted: list[np.ndarray] = field(default_factory=list)
    episode: list[int] = field(default_factory=list)  # real episode number of each segment

    def metrics(self) -> dict[str, dict[str, float | None]]:
        """``{channel: {nrmse, fit_percent}}`` over all rows (non-finite rows left out)."""
        y, yhat = np.vstack(self.target), np.vstack(self.predicted)
        ok = np.isfinite(yhat).all(axis=1)
        e, f = nrmse(yhat[ok], y[ok]), fit_percent(y[ok], yhat[ok])
        return {c: {"nrmse": _num(e[i]), "fit_percent": _num(f[i]),
                    "rows": int(ok.sum()), "diverged_rows": int((~ok).sum())}
                for i, c in enumerate(self.columns)}


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def make_robot(robot: Any, params: dict[str, float] | None) -> Any:
    """A SimRobot of ``robot`` (name or YAML) with ``params`` set (the sim side's values)."""
    from s2r.sim import SimRobot

    sim = SimRobot(robot)
    try:
        if params:
            sim.set_params(params)
    except S2RError as err:
        sim.close()
        raise ReportError(f"the sim log's parameter values do not fit robot {robot}: "
                          f"{err}", where="params") from None
    return sim


def replay(sim: Any, real: Side, segment: float | None) -> Replay:
    """Replay every real episode on ``sim`` in segments of ``segment`` s (None: whole)."""
    spec = sim.spec
    joints, sensors = spec.joint_names, list(spec.sensors)
    if real.logs[0].meta.joints != joints:
        raise ReportError(f"the real logs have joints {real.logs[0].meta.joints}, robot "
                          f"{spec.name} has {joints}", where=str(real.dir))
    cols = channels(["q", "qd"], joints, [])
    history = 2.0 * sim.params["delay.action"].high + 2.0 / spec.control_rate
    out = Replay(cols)
    for number, ep in enumerate(real.episodes):
        if len(ep) < 3:
            continue
        sens = ep.sensors if list(ep.log_meta.sensors) == sensors else \
            np.zeros((len(ep), len(sensors)))
        rec = Recording(f"{real.dir}#{ep.index}", ep.t, ep.u, ep.q, ep.qd, sens)
        y = measured(rec, cols, joints, sensors)
        for seg in cut(rec, y, segment, spec.control_rate, history):
            k = int(np.searchsorted(rec.t, seg.t0))
            with np.errstate(all="ignore"):
                pred = simulate(sim, seg, cols, joints, sensors)
            out.t.append(rec.t[k + 1:k + 1 + len(seg.target)])
            out.target.append(seg.target)
            out.predicted.append(pred)
            out.episode.append(number)
    if not out.target:
        raise ReportError("no real episode is long enough to replay (3 rows or more)",
                          where=str(real.dir))
    return out
