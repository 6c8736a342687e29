"""Logs for system identification: found, read, checked against the robot, split for validation.

``logs`` may name files and directories (every ``*.s2r.csv`` inside, sorted). Each
log must be for the robot being identified: the same joints and actuators in the same
order, else a :class:`~s2r.errors.LogFormatError` naming the file. A held-out part is
kept apart for validation: ``holdout`` is a fraction (the last fraction of every
episode's rows) or a list of log files (those logs entirely).

>>> split_rows(100, 0.2)
(80, 100)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from s2r.errors import ConfigError, LogFormatError
from s2r.logs import EpisodeLog, read_log
from s2r.robot import RobotSpec

Pathish = str | os.PathLike[str]


@dataclass(frozen=True)
class Recording:
    """One episode's arrays: times ``t`` (n,), commands ``u`` (n, actuators), joint
    ``q``/``qd`` (n, joints) and ``sensors`` (n, sensors); ``source`` names file and episode."""

    source: str
    t: np.ndarray
    u: np.ndarray
    q: np.ndarray
    qd: np.ndarray
    sensors: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def rows(self, lo: int, hi: int) -> Recording:
        """Rows ``lo`` to ``hi`` (exclusive) as a new recording."""
        return Recording(self.source, self.t[lo:hi], self.u[lo:hi], self.q[lo:hi],
                         self.qd[lo:hi], self.sensors[lo:hi])


def find_logs(logs: Sequence[Pathish]) -> list[Path]:
    """The log files named by ``logs`` (files, or directories searched for ``*.s2r.csv``)."""
    if isinstance(logs, (str, os.PathLike)):
        logs = [logs]
    files: list[Path] = []
    for item in logs:
        path = Path(item)
        if path.is_dir():
            found = sorted(path.rglob("*.s2r.csv"))
            if not found:
                raise LogFormatError("directory holds no *.s2r.csv log", where=str(path))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise LogFormatError("no such log file or directory", where=str(path))
    if not files:
        raise ConfigError("give at least one log file or directory", where="logs")
    return files


def _recording(path: Path, ep: EpisodeLog) -> Recording:
    return Recording(f"{path}#{ep.index}", ep.t, ep.u, ep.q, ep.qd, ep.sensors)


def read_recordings(path: Pathish, spec: RobotSpec) -> list[Recording]:
    """The episodes of one log, checked to be for ``spec``'s joints and actuators."""
    log = read_log(path)
    meta, where = log.meta, str(path)
    if list(meta.joints) != spec.joint_names or list(meta.actuators) != spec.actuator_names:
        raise LogFormatError(f"log is for joints {meta.joints} and actuators {meta.actuators}, "
                             f"the robot {spec.name} has {spec.joint_names} and "
                             f"{spec.actuator_names}", where=where)
    if list(meta.sensors) != list(spec.sensors):
        raise LogFormatError(f"log has sensors {meta.sensors}, the robot {spec.name} has "
                             f"{list(spec.sensors)}", where=where)
    out = []
    for ep in log.episodes:
        if len(ep) >= 2:
            dt = np.diff(ep.t)
            if np.any(dt <= 0):
                raise LogFormatError("time does not increase", where=f"{where}#{ep.index}")
            out.append(_recording(Path(path), ep))
    if not out:
        raise LogFormatError("log has no episode with two or more rows", where=where)
    return out


def split_rows(n: int, holdout: float) -> tuple[int, int]:
    """(first held-out row, n): the last ``holdout`` fraction of ``n`` rows is held out."""
    return n - int(round(n * holdout)), n


def load_data(logs: Sequence[Pathish], spec: RobotSpec, holdout: float | Sequence[Pathish]
              ) -> tuple[list[Recording], list[Recording]]:
    """(fit, held-out) recordings of ``logs``, split by ``holdout`` (see the module doc)."""
    files = find_logs(logs)
    if isinstance(holdout, (int, float)):
        if not 0.0 <= float(holdout) < 1.0:
            raise ConfigError(f"a fraction must be >= 0 and < 1, got {holdout}",
                              where="holdout")
        fit, held = [], []
        for path in files:
            for rec in read_recordings(path, spec):
                cut, n = split_rows(len(rec), float(holdout))
                fit.append(rec.rows(0, cut))
                if n - cut >= 2:
                    held.append(rec.rows(cut, n))
        return fit, held
    held_files = find_logs(holdout)
    held_set = {p.resolve() for p in held_files}
    fit = [r for p in files if p.resolve() not in held_set for r in read_recordings(p, spec)]
    if not fit:
        raise ConfigError("every log is held out, none is left to fit", where="holdout")
    return fit, [r for p in held_files for r in read_recordings(p, spec)]
