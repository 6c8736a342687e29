"""The logs of a gap report: directories of ``*.s2r.csv`` read, checked and summarised.

A :class:`Side` is one directory of one policy: every ``*.s2r.csv`` directly inside it,
read and validated, its episodes' returns (the ``# end`` line's ``ret``, else the sum of
the ``reward`` column) and success verdicts. The sim side must hold ``source: sim`` logs
(``s2r eval``, ``s2r rollout``), the real side logs of ``s2r deploy`` (``emulator`` or
``hardware``); all logs of a pair must be of one robot and one task, else a
:class:`~s2r.errors.ReportError` names the file.

>>> import tempfile, os
>>> from s2r.rollout import rollout
>>> d = tempfile.mkdtemp()
>>> _ = rollout("pendulum_swingup", "scripted:zero", episodes=2, max_steps=10,
...             out=os.path.join(d, "run.s2r.csv"))
>>> side = load_side(d, "sim")
>>> side.robot, side.task, len(side.episodes), side.successes
('pendulum', 'pendulum_swingup', 2, [False, False])
>>> load_side(d, "real")
Traceback (most recent call last):
...
s2r.errors.ReportError: ...run.s2r.csv: a real directory needs logs of s2r deploy ... is sim
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from s2r.errors import LogFormatError, ReportError
from s2r.logs import EpisodeLog, Log, read_log

Pathish = str | os.PathLike[str]
REAL_SOURCES = ("emulator", "hardware", "import")


@dataclass
class Side:
    """One directory of logs (sim or real) of one policy."""

    role: str  # "sim" or "real"
    dir: Path
    logs: list[Log]
    episodes: list[EpisodeLog] = field(default_factory=list)
    returns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    successes: list[bool | None] = field(default_factory=list)

    @property
    def robot(self) -> str:
        return self.logs[0].meta.robot

    @property
    def task(self) -> str | None:
        return _task(self.logs[0])

    @property
    def policy(self) -> str | None:
        return self.logs[0].meta.policy

    @property
    def success_values(self) -> np.ndarray | None:
        """1.0/0.0 per episode, or None when the task gave no verdict."""
        if not self.successes or any(s is None for s in self.successes):
            return None
        return np.asarray(self.successes, dtype=float)

    def episode_log(self, ep: EpisodeLog) -> Log:
        """The log an episode belongs to."""
        return next(log for log in self.logs if any(e is ep for e in log.episodes))


def _task(log: Log) -> str | None:
    task = log.meta.extra.get("task", log.meta.other.get("task"))
    return None if task is None else str(task)


def _return(ep: EpisodeLog, where: str) -> float:
    if ep.end is not None and "ret" in ep.end:
        return float(ep.end["ret"])
    if "reward" not in ep.frame.columns:
        raise ReportError("log has no reward column and no return in its '# end' lines (is "
                          "it a task run of s2r eval, rollout or deploy?)", where=where)
    return float(ep.frame["reward"].sum())


def load_side(path: Pathish, role: str) -> Side:
    """Read every ``*.s2r.csv`` in directory ``path``; ``role`` is ``sim`` or ``real``."""
    folder = Path(path)
    if not folder.is_dir():
        raise ReportError("no such directory", where=f"{role}={folder}")
    files = sorted(folder.glob("*.s2r.csv"))
    if not files:
        raise ReportError("directory holds no *.s2r.csv log", where=f"{role}={folder}")
    logs = []
    for file in files:
        try:
            logs.append(read_log(file))
        except LogFormatError as err:
            raise ReportError(f"unreadable log: {err.message}", where=err.where) from None
    side = Side(role, folder, logs)
    for log in logs:
        where = str(log.path)
        source = log.meta.source
        if role == "sim" and source != "sim":
            raise ReportError(f"a sim directory needs logs of source sim (s2r eval or "
                              f"rollout), this one is {source}", where=where)
        if role == "real" and source not in REAL_SOURCES:
            raise ReportError(f"a real directory needs logs of s2r deploy (source emulator "
                              f"or hardware), this one is {source}", where=where)
        check_same(side.logs[0], log)
        for ep in log.episodes:
            if len(ep) < 2:
                continue
            side.episodes.append(ep)
            side.successes.append(None if ep.end is None or "success" not in ep.end
                                  else bool(ep.end["success"]))
    if not side.episodes:
        raise ReportError("no episode with two or more rows", where=f"{role}={folder}")
    side.returns = np.asarray([_return(ep, str(side.episode_log(ep).path))
                               for ep in side.episodes])
    return side


def check_same(first: Log, other: Log) -> None:
    """Refuse ``other`` unless it is of ``first``'s robot (names, joints) and task."""
    a, b = first.meta, other.meta
    if (b.robot, b.joints, b.actuators) != (a.robot, a.joints, a.actuators):
        raise ReportError(f"log is of robot {b.robot} (joints {b.joints}), {first.path} of "
                          f"{a.robot} (joints {a.joints}): compare logs of one robot",
                          where=str(other.path))
    if _task(other) != _task(first):
        raise ReportError(f"log is of task {_task(other)}, {first.path} of {_task(first)}: "
                          "a pair compares one task", where=str(other.path))


@dataclass
class Pair:
    """One policy's sim and real logs."""

    name: str
    sim: Side
    real: Side

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "sim_dir": str(self.sim.dir), "real_dir": str(self.real.dir),
                "task": self.sim.task, "policy": self.sim.policy,
                "sim_episodes": len(self.sim.episodes), "real_episodes": len(self.real.episodes)}


def load_pairs(pairs: list[tuple[str, Pathish, Pathish]]) -> list[Pair]:
    """Read every pair's directories; all logs must be of one robot."""
    if not pairs:
        raise ReportError("give at least one pair of sim and real directories", where="pairs")
    names = [str(p[0]) for p in pairs]
    if len(set(names)) != len(names):
        raise ReportError(f"pair names must be unique, got {names}", where="pairs")
    out: list[Pair] = []
    for name, sim, real in pairs:
        pair = Pair(str(name), load_side(sim, "sim"), load_side(real, "real"))
        check_same(pair.sim.logs[0], pair.real.logs[0])
        if out:
            first, log = out[0].sim.logs[0], pair.sim.logs[0]
            if (log.meta.robot, log.meta.joints) != (first.meta.robot, first.meta.joints):
                raise ReportError(f"log is of robot {log.meta.robot}, {first.path} of "
                                  f"{first.meta.robot}: one report compares one robot",
                                  where=str(log.path))
        out.append(pair)
    return out
