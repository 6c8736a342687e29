"""The result of system identification and the files it writes.

``write(out)`` puts five files in ``out/``:

- ``<out>/result.yaml``: per free parameter ``value``, ``std``, ``ci95: [lo, hi]``,
  ``nominal``, ``at_bound`` and ``unit`` (``std``/``ci95`` are null for a parameter
  the data only identify in a combination), the ``identified`` combinations, the
  ``fixed`` parameters, the ``warnings`` and the optimizer's figures;
- ``<out>/params.yaml``: ``name: value`` for the free and fixed parameters, which
  ``SimRobot(robot, params=...)`` and ``s2r emulate truth=`` take as they are;
- ``<out>/randomization.yaml``: one ``parameters`` randomizer per free parameter, uniform
  over its *conditional* 95 % interval (:meth:`SysidResult.conditional_std`, clipped to
  the parameter's bounds), or the fitted constant for a parameter identified only in a
  combination (so the combination is kept); with
  ``distribution=dropo`` a normal distribution truncated to the bounds, whose mean and
  std DROPO fitted (:mod:`s2r.sysid.dropo`); with ``margin`` (``identify(margin=0.2)``)
  every range spans at least ``value / 1.2 .. value * 1.2`` (log-scaled parameters) or
  ``value +- 0.2 |value|`` (a DROPO std at least ``0.2 |mean| / 1.96``): room for what
  the data did not show; fixed and tied parameters
  at the values the fit used;
  :func:`randomizers.registry.load_randomization` reads it as it is;
- ``<out>/summary.json``: multiple-shooting NRMSE (RMSE / std of the channel) and fit %
  (``100 * (1 - NRMSE)``) per channel on the held-out data, nominal vs fitted;
- ``<out>/report.html``: all of it on one self-contained page, with plots
  (:mod:`s2r.sysid.report`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from s2r.sysid.dropo import DropoFit
from s2r.sysid.identifiability import Combination


@dataclass
class Estimate:
    """One free parameter's estimate, in physical units."""

    value: float
    std: float | None
    ci95: tuple[float, float] | None
    nominal: float
    at_bound: str | None  # "low", "high" or None
    unit: str = ""
    low: float = -math.inf
    high: float = math.inf
    #: fitted on a log scale (``std`` is then ``value`` times the std of ``log(value)``)
    log_scale: bool = False


@dataclass
class SysidResult:
    """What :func:`s2r.sysid.identify` found (see the module doc for the files)."""

    robot: str
    method: str
    params: dict[str, Estimate]
    fixed: dict[str, float]
    combinations: list[Combination]
    warnings: list[str]
    summary: dict[str, Any]
    trace: list[float] = field(default_factory=list)
    evaluations: int = 0
    cost: float = math.nan
    tied: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: measured, nominal and fitted signals of a stretch of held-out data, for the report
    #: (``channels``, ``segments: [{t, measured, nominal, fitted}]``, ``data``, ``source``,
    #: ``shooting``); not written to the yaml files
    overlay: dict[str, Any] | None = None
    #: the DROPO distribution (``distribution=dropo``), else None
    dropo: DropoFit | None = None
    #: least relative half-width of every randomized range (``identify(margin=)``)
    margin: float = 0.0

    @property
    def values(self) -> dict[str, float]:
        """Fitted, fixed and tied values by name (what ``<out>/params.yaml`` holds)."""
        return {**{n: e.value for n, e in self.params.items()}, **self.fixed,
                **{n: t["value"] for n, t in self.tied.items()}}

    def to_dict(self) -> dict[str, Any]:
        """The content of the result file (``<out>/result.yaml``)."""
        return {
            "robot": self.robot, "method": self.method,
            "params": {n: {"value": e.value, "std": e.std,
                           "ci95": list(e.ci95) if e.ci95 else None, "nominal": e.nominal,
                           "at_bound": e.at_bound, "unit": e.unit}
                       for n, e in self.params.items()},
            "identified": [{"combination": c.name, "kind": c.kind,
                            "coefficients": c.coefficients, "value": c.value, "std": c.std,
                            **({"meaning": c.meaning, "unit": c.unit} if c.meaning else {})}
                           for c in self.combinations],
            "fixed": dict(self.fixed), "tied": dict(self.tied),
            "warnings": list(self.warnings),
            "cost": self.cost, "evaluations": self.evaluations, "trace": list(self.trace),
            "distribution": self._distribution()}

    def _distribution(self) -> dict[str, Any]:
        d = self.dropo
        if d is None:
            return {"kind": "covariance", "margin": self.margin}
        return {"kind": "dropo", "margin": self.margin, "mean": d.mean, "std": d.std,
                "samples": d.samples, "noise": d.noise, "log_likelihood": d.log_likelihood,
                "evaluations": d.evaluations}

    def conditional_std(self) -> dict[str, float]:
        """Each identified parameter's standard deviation given the others at their fit
        (on the scale it was fitted on: of ``log(value)`` for log-scaled ones).

        Independent draws over each parameter's own interval would put strongly
        correlated pairs (a motor's resistance and torque constant, both free) in
        combinations the data exclude; the randomizer config has no joint distribution,
        so each spread is narrowed to ``std_i * sqrt(1 - R_i^2)``, with ``R_i^2`` the
        squared multiple correlation of parameter ``i`` with the others
        (``1 / (C^-1)_ii`` from the correlation matrix ``C``).

        >>> e = Estimate(2.0, 0.2, (1.6, 2.4), 2.0, None)
        >>> r = SysidResult("x", "lsq", {"a": e, "b": Estimate(1.0, 0.1, (0.8, 1.2), 1.0, None)},
        ...                 {}, [], [], {"correlation": {"a": {"a": 1.0, "b": 0.8},
        ...                                              "b": {"a": 0.8, "b": 1.0}}})
        >>> {k: round(v, 6) for k, v in r.conditional_std().items()}
        {'a': 0.12, 'b': 0.06}
        """
        known = {n: e for n, e in self.params.items() if e.std is not None}
        names = list(known)
        std = np.array([float(e.std or 0.0) / (abs(e.value) if e.log_scale else 1.0)
                        for e in known.values()], dtype=float)
        corr = self.summary.get("correlation") or {}
        c = np.array([[(corr.get(a) or {}).get(b) if a != b else 1.0 for b in names]
                      for a in names], dtype=float) if names else np.zeros((0, 0))
        if c.size and np.all(np.isfinite(c)):
            try:
                shrink = 1.0 / np.sqrt(np.clip(np.diag(np.linalg.inv(c)), 1.0, None))
            except np.linalg.LinAlgError:
                shrink = np.ones(len(names))
        else:
            shrink = np.ones(len(names))
        return {n: float(s * k) for n, s, k in zip(names, std, shrink, strict=True)}

    def randomization(self) -> dict[str, Any]:
        """The content of the randomization file (``<out>/randomization.yaml``)."""
        entries = []
        cond = self.conditional_std() if self.dropo is None else {}
        for name, e in self.params.items():
            if self.dropo is not None:
                mean = self.dropo.mean[name]
                std = max(self.dropo.std[name], self.margin * abs(mean) / 1.96)
                dist: Any = {"truncated_normal": [mean, std, e.low, e.high]}
            elif e.ci95 is None:
                dist = e.value
            else:
                h = 1.96 * cond[name]
                if e.log_scale:  # at least value / (1 + margin) .. value * (1 + margin)
                    h = max(h, math.log1p(self.margin))
                    lo, hi = e.value * math.exp(-h), e.value * math.exp(h)
                else:
                    h = max(h, self.margin * abs(e.value))
                    lo, hi = e.value - h, e.value + h
                lo, hi = max(lo, e.low), min(hi, e.high)
                dist = [lo, hi] if hi > lo else e.value
            entries.append({"type": "parameters", "name": f"sysid:{name}", "params": name,
                            "distribution": dist, "operation": "abs", "clip": True})
        held = {**self.fixed, **{n: t["value"] for n, t in self.tied.items()}}
        for name, value in held.items():  # fixed and tied: the values the fit assumed
            entries.append({"type": "parameters", "name": f"sysid:{name}", "params": name,
                            "distribution": value, "operation": "abs", "clip": True})
        return {"randomizers": entries}

    def write(self, out: str | os.PathLike[str]) -> Path:
        """Write the five files of the module doc to the directory ``out``."""
        from s2r.sysid.report import write_report

        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        head = f"# s2r sysid of {self.robot} ({self.method})\n"
        (path / "result.yaml").write_text(head + yaml.safe_dump(self.to_dict(), sort_keys=False))
        (path / "params.yaml").write_text(
            head + "# fitted and fixed values, taken by SimRobot(params=...) and "
            "`s2r emulate truth=`\n" + yaml.safe_dump(self.values, sort_keys=False))
        (path / "randomization.yaml").write_text(
            head + ("# DROPO: a Gaussian per parameter fitted to the data's spread\n"
                    if self.dropo is not None else
                    "# uniform over each parameter's 95 % interval given the others (its "
                    "conditional spread: correlated pairs stay consistent); a constant where "
                    "only a combination is identified\n")
            + (f"# every range at least {self.margin:.0%} wide on each side (margin)\n"
               if self.margin else "")
            + yaml.safe_dump(self.randomization(), sort_keys=False))
        (path / "summary.json").write_text(json.dumps(self.summary, indent=2) + "\n")
        write_report(self, path / "report.html")
        return path
