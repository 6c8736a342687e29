"""``s2r report``: a sim-vs-real gap report from ``s2r eval`` and ``s2r deploy`` logs.

One policy (one pair of directories)::

    s2r report sim=eval-sine real=deploy-sine out=gap

Several policies (needed for the ranking metrics: three or more), as a list of pairs::

    s2r report 'pairs=[{name: sine, sim: e1, real: d1}, {name: zero, sim: e2, real: d2},
                       {name: pd, sim: e3, real: d3}]' out=gap

or the same list under ``pairs:`` in a YAML given with ``--config``. ``sim=``/``real=``
and ``pairs=`` may be combined (the single pair comes first). Writes ``report.html``,
``report.md`` and ``metrics.json`` (:func:`s2r.report.build_report`; every metric is
defined in s2r/report/README.md).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from s2r.cli import _overrides, command
from s2r.settings import setting


@dataclass
class PairConfig:
    """One policy's directories."""

    name: str = setting("???", "policy name shown in the report")
    sim: str = setting("???", "directory of s2r eval (or rollout) logs")
    real: str = setting("???", "directory of s2r deploy logs")


@dataclass
class ReportConfig:
    """Options of ``s2r report``."""

    sim: str | None = setting(None, "directory of sim logs of one policy (with real=)")
    real: str | None = setting(None, "directory of real logs of that policy (with sim=)")
    name: str | None = setting(None, "name of that policy; null: the policy in its logs")
    pairs: list[PairConfig] = setting(help="more policies: [{name: N, sim: DIR, real: DIR}]",
                                      factory=list)
    out: str = setting("report", "output directory (report.html, report.md, metrics.json)")
    robot: str | None = setting(None, "robot name or YAML of the replay model; null: the logs'")
    segment: float = setting(0.2, "replay segment length (s)", gt=0)
    resamples: int = setting(2000, "bootstrap resamples", ge=100)
    permutations: int = setting(500, "MMD permutations", ge=50)
    seed: int = setting(0, "seed of the bootstrap and the permutation test", ge=0)


def pairs_of(cfg: ReportConfig) -> list[tuple[str, str, str]]:
    """The (name, sim, real) pairs a config names; ConfigError when it names none.

    >>> pairs_of(ReportConfig(sim="a", real="b", name="x"))
    [('x', 'a', 'b')]
    >>> pairs_of(ReportConfig(sim="a"))
    Traceback (most recent call last):
    ...
    s2r.errors.ConfigError: <overrides>: give sim= and real= together (or pairs=[...])
    """
    from s2r.errors import ConfigError

    out = []
    if (cfg.sim is None) != (cfg.real is None):
        raise ConfigError("give sim= and real= together (or pairs=[...])", where="<overrides>")
    if cfg.sim is not None and cfg.real is not None:
        out.append((cfg.name or _policy_name(cfg.sim), cfg.sim, cfg.real))
    for i, p in enumerate(cfg.pairs):
        for key in ("name", "sim", "real"):
            if getattr(p, key) in ("", "???"):
                raise ConfigError(f"pairs[{i}].{key}: missing", where="<overrides>")
        out.append((p.name, p.sim, p.real))
    if not out:
        raise ConfigError("nothing to compare: give sim=DIR real=DIR or pairs=[{name: N, "
                          "sim: DIR, real: DIR}, ...]", where="<overrides>")
    return out


def _policy_name(sim_dir: str) -> str:
    """The policy recorded in the first sim log of a directory, else the directory name."""
    from pathlib import Path

    from s2r.errors import S2RError
    from s2r.logs import read_log

    logs = sorted(Path(sim_dir).glob("*.s2r.csv"))
    try:
        policy = read_log(logs[0]).meta.policy if logs else None
    except S2RError:
        policy = None  # build_report names the bad file
    return policy or Path(sim_dir).name or "policy"


@command("report", "sim-vs-real gap report (html, md, metrics.json) from eval and deploy logs",
         _overrides, settings=ReportConfig)
def report(args: argparse.Namespace) -> int:
    from rich.console import Console

    from s2r.config import load_structured
    from s2r.report import build_report

    cfg = load_structured(ReportConfig, args.config, args.overrides)
    result = build_report(pairs_of(cfg), out=cfg.out, robot=cfg.robot, segment=cfg.segment,
                          resamples=cfg.resamples, permutations=cfg.permutations, seed=cfg.seed)
    console = Console()
    for line in result.summary:
        console.print(f"- {line}", highlight=False, soft_wrap=True)
    console.print(f"report written to {result.html}, {result.md} and {result.json}")
    return 0
