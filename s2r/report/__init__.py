"""Gap reports: how a policy's sim and real runs differ, and what to identify next.

:func:`build_report` reads pairs of directories (``s2r eval`` logs of a policy in sim,
``s2r deploy`` logs of it on the robot or emulator) and writes ``report.html`` (plots
embedded), ``report.md`` and ``metrics.json`` (checked against the published schema
``s2r/report/metrics.schema.json`` before it is written). s2r/report/README.md defines
every metric; ``s2r report`` is the command line.

>>> import tempfile, os
>>> from s2r.rollout import rollout
>>> d = tempfile.mkdtemp(); sim, real = os.path.join(d, "sim"), os.path.join(d, "real")
>>> os.mkdir(sim); os.mkdir(real)
>>> _ = rollout("pendulum_swingup", "scripted:sine", episodes=2, max_steps=30,
...             out=os.path.join(sim, "a.s2r.csv"))
>>> build_report([("sine", sim, real)], out=os.path.join(d, "report"))
Traceback (most recent call last):
...
s2r.errors.ReportError: real=...real: directory holds no *.s2r.csv log
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s2r.errors import ReportError

__all__ = ["Report", "build_report"]

Pathish = str | os.PathLike[str]
FILES = ("report.html", "report.md", "metrics.json")


@dataclass
class Report:
    """What :func:`build_report` wrote: the metrics, the files and the summary lines."""

    metrics: dict[str, Any]
    html: Path
    md: Path
    json: Path

    @property
    def summary(self) -> list[str]:
        """The plain-language summary (also at the top of both reports)."""
        return list(self.metrics["summary"])


def build_report(pairs: Sequence[tuple[str, Pathish, Pathish]], out: Pathish = "report",
                 robot: Any = None, *, segment: float = 0.2, resamples: int = 2000,
                 permutations: int = 500, seed: int = 0) -> Report:
    """Compare each ``(name, sim_dir, real_dir)`` pair; write the report into ``out``.

    ``robot`` (a name or YAML) is the replay model's robot, by default the logs' robot;
    ``segment`` the replay segment length (s); ``resamples`` and ``permutations`` size the
    bootstrap and the MMD permutation test; ``seed`` makes both reproducible. Existing
    report files in ``out`` are replaced only once everything has been computed and checked.
    """
    from s2r.report.advice import advise
    from s2r.report.inputs import load_pairs
    from s2r.report.metrics import Settings, compute
    from s2r.report.schema import validate

    if not segment > 0:
        raise ReportError(f"segment: must be > 0 s, got {segment}", where="segment")
    if resamples < 1 or permutations < 1:
        raise ReportError("resamples and permutations must be >= 1", where="settings")
    loaded = load_pairs(list(pairs))
    done = compute(loaded, robot, Settings(segment, resamples, permutations, seed))
    metrics = done.metrics
    metrics["summary"], metrics["suggestions"] = advise(metrics, done.names, done.actuated,
                                                        done.links)
    validate(metrics)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    title = f"s2r gap report: {metrics['robot']}, {len(loaded)} " + \
        ("policy" if len(loaded) == 1 else "policies")
    paths = [folder / f for f in FILES]
    _write(paths[2], json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    from s2r.report import render

    _write(paths[1], render.markdown(metrics, title))
    render.html(metrics, title, _figures(loaded, done.replays), paths[0])
    return Report(metrics, *paths)


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _figures(pairs: list[Any], replays: dict[str, Any]) -> list[tuple[str, Any]]:
    from s2r.report import plots

    figs: list[tuple[str, Any]] = [("Episode returns, sim and real", plots.returns(pairs))]
    for pair in pairs:
        figs.append((f"{pair.name}: trajectories", plots.trajectories(pair)))
        figs.append((f"{pair.name}: replay residuals", plots.residuals(pair.name,
                                                                         replays[pair.name])))
    hist = plots.timing_histogram(pairs)
    if hist is not None:
        figs.append(("Control periods on the real side", hist))
    return figs
