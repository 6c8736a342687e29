"""``s2r sysid``: fit a robot's parameters to logs; write the fit, its uncertainty and a
randomization config centred on it.

    s2r sysid robot=furuta logs=[rec.s2r.csv] params=[link.pendulum.mass,joint.*.damping] \\
        out=sysid_out method=lsq holdout=0.2

Writes ``<out>/result.yaml``, ``<out>/params.yaml``, ``<out>/randomization.yaml``,
``<out>/summary.json`` and ``<out>/report.html``
(s2r/sysid/README.md says what each holds) and prints the table of estimates, the
identified combinations, the warnings and the held-out NRMSE, nominal vs fitted.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any

from s2r.cli import _overrides, command
from s2r.settings import setting


@dataclass
class SysidConfig:
    """Options of ``s2r sysid`` (all settable as key=value)."""

    robot: str = setting("???", "built-in robot name or path to a robot YAML")
    logs: list[str] = setting(factory=list, help="log files or directories of *.s2r.csv")
    params: list[str] = setting(factory=list, help="parameters to fit: names or globs "
                                "(`s2r params ROBOT` lists them)")
    out: str = setting("sysid_out", "directory for result.yaml, params.yaml, "
                       "randomization.yaml and summary.json")
    method: str = setting("lsq", "optimizer: bounded least squares or CMA-ES with restarts",
                          choices=("lsq", "cma"))
    holdout: Any = setting(0.2, "held-out validation data: a fraction of every episode's "
                           "last rows, or a list of log files")
    segment: float | None = setting(0.15, "multiple-shooting segment length in s; null: "
                                    "single shooting", gt=0)
    signals: list[str] = setting(factory=lambda: ["q"], help="compared channels: q, qd, "
                                 "q.<joint>, qd.<joint>, sensor names")
    start_velocity: str = setting("logged", "velocities segments start from: the log's, or "
                                  "central differences of its positions",
                                  choices=("logged", "central"))
    free_start: str = setting("none", "segment start states fitted as nuisance variables "
                              "(eliminated): none, qd, or q+qd (quantized encoders)",
                              choices=("none", "qd", "q+qd"))
    ray_address: str | None = setting(None, "run the simulations on Ray actors: local, auto "
                                      "or a cluster address; null: worker processes")
    fixed: dict[str, float] = setting(factory=dict, help="parameters held at given values")
    tie: dict[str, str] = setting(factory=dict, help="{follower: leader}: the follower moves "
                                  "in proportion to the free leader")
    workers: int | None = setting(None, "worker processes; null: the cores available", ge=1)
    max_evaluations: int | None = setting(None, "residual evaluations at most; null: the "
                                          "optimizer's default", ge=1)
    distribution: str = setting("covariance", "randomization.yaml: uniform over the 95 % "
                                "intervals, or dropo: Gaussians fitted to the data's spread",
                                choices=("covariance", "dropo"))
    margin: float = setting(0.0, "randomization.yaml: every range at least this fraction "
                            "of the fitted value on each side (room for model error)", ge=0,
                            lt=1)
    dropo: dict[str, float] = setting(factory=dict, help="DROPO options: samples (8), noise "
                                      "(0.001 channel std), max_evaluations (2000), seed (0)")


def _number(value: float | None, unit: str = "") -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.5g}{unit}"


@command("sysid", "fit a robot's parameters to logs (system identification)", _overrides,
         settings=SysidConfig)
def sysid(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from s2r.config import load_structured
    from s2r.errors import ConfigError
    from s2r.sysid import identify
    from s2r.sysid.progress import sysid_progress

    cfg = load_structured(SysidConfig, args.config, args.overrides)
    if not cfg.logs:
        raise ConfigError("logs: give at least one log file or directory, e.g. logs=[rec.s2r.csv]",
                          where="<overrides>")
    if not cfg.params:
        raise ConfigError("params: name the parameters to fit, e.g. params=[link.pole.mass]",
                          where="<overrides>")
    holdout = cfg.holdout if isinstance(cfg.holdout, (int, float)) else list(cfg.holdout)
    console = Console()
    with sysid_progress(console) as show:
        result = identify(cfg.robot, list(cfg.logs), list(cfg.params), method=cfg.method,
                          holdout=holdout, segment=cfg.segment, signals=list(cfg.signals),
                          fixed=dict(cfg.fixed), tie=dict(cfg.tie), workers=cfg.workers,
                          out=cfg.out,
                          progress=show, max_evaluations=cfg.max_evaluations,
                          start_velocity=cfg.start_velocity, distribution=cfg.distribution,
                          dropo=dict(cfg.dropo), free_start=cfg.free_start,
                          ray_address=cfg.ray_address, margin=cfg.margin)
    table = Table(title=f"sysid {result.robot} ({result.method}, {result.evaluations} "
                  "evaluations)")
    for col in ("parameter", "nominal", "fitted", "std", "95% interval", "unit"):
        table.add_column(col)
    for name, e in result.params.items():
        ci = "-" if e.ci95 is None else f"[{e.ci95[0]:.5g}, {e.ci95[1]:.5g}]"
        table.add_row(name, _number(e.nominal), _number(e.value) + (" (at bound)" if e.at_bound
                                                                    else ""),
                      _number(e.std), ci, e.unit)
    if result.combinations:  # what the data fix where the parameters alone are not
        table.add_section()
        for c in result.combinations:
            ci = f"[{c.value - 1.96 * c.std:.5g}, {c.value + 1.96 * c.std:.5g}]"
            table.add_row(f"{c.meaning or 'combination'}: {c.name}", "-", _number(c.value),
                          _number(c.std), ci, c.unit or "(z)" if c.kind == "linear" else c.unit)
    console.print(table)
    for c in result.combinations:
        what = f"{c.meaning}: " if c.meaning else ""
        console.print(f"identified: {what}{c.name} = {c.value:.6g} +- {c.std:.2g} {c.unit}"
                      .rstrip())
    for w in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    if result.dropo is not None:
        for name, mean in result.dropo.mean.items():
            console.print(f"DROPO: {name} ~ N({mean:.5g}, {result.dropo.std[name]:.3g}^2)")
    summary = result.summary
    for ch, s in summary["channels"].items():
        console.print(f"{summary['data']} {ch}: NRMSE nominal {s['nrmse_nominal']:.4f} -> "
                      f"fitted {s['nrmse_fitted']:.4f}")
    console.print(f"written to {cfg.out}/ (result.yaml, params.yaml, randomization.yaml, "
                  "summary.json, report.html)")
    return 0
