"""The one log format of s2r: an append-only, crash-safe writer and a validated reader.

A log is a UTF-8 ``.s2r.csv`` file holding one run of one or more episodes. Line 1 is
``# s2r-log {json}`` (run metadata, :class:`LogMeta`), line 2 the CSV header
``episode,step,t,u.<actuator>...,q.<joint>...,qd.<joint>...,<sensor>...,status[,extra...]``;
each episode's rows follow a ``# episode {json}`` line and may be closed by ``# end {json}``.
A row holds the observation time ``t`` (s), the joint positions and velocities measured at
``t``, the command ``u`` actually sent at that tick after safety limits (the hold value when
none was sent) and the device ``status`` flags (0 in sim). Floats are written with ``repr``, so
they read back bit-identical. Pandas reads the whole table in one line::

    pandas.read_csv(path, comment="#")
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from s2r.errors import LogFormatError, SafetyStop

__all__ = ["EpisodeLog", "Log", "LogMeta", "LogWriter", "TruncatedLogWarning", "read_log"]

FORMAT, VERSION = "s2r-log", 1
SOURCES = ("sim", "emulator", "hardware", "import")
INT_COLUMNS = ("episode", "step", "status")
_repr = float.__repr__
Vector = Sequence[float] | np.ndarray  # one value per actuator, joint or sensor


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


def _check_names(cols: Sequence[str]) -> None:
    if len(set(cols)) != len(cols) or any(not c or set(c) & set(',#"\r\n') for c in cols):
        raise LogFormatError(f"column names must be unique, without , # or quotes: {cols}")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class LogMeta:
    """Run metadata (line 1 of a log). ``units`` is completed from ``action_units`` (per
    actuator, default ``"-"``: unspecified), ``joint_units`` (``"rad"`` or ``"m"`` per joint,
    default ``"rad"``) and ``"-"`` for sensors; unknown keys read from a file go to ``other``.

    >>> meta = LogMeta(robot="furuta", joints=["arm"], actuators=["arm"], sensors=["current.arm"],
    ...                action_units={"arm": "V"})
    >>> meta.columns, meta.units["u.arm"], meta.units["qd.arm"]
    (('episode', 'step', 't', 'u.arm', 'q.arm', 'qd.arm', 'current.arm', 'status'), 'V', 'rad/s')
    """

    robot: str
    joints: list[str]
    actuators: list[str]
    sensors: list[str] = field(default_factory=list)
    source: str = "sim"
    units: dict[str, str] = field(default_factory=dict)
    action_units: dict[str, str] = field(default_factory=dict)
    joint_units: dict[str, str] = field(default_factory=dict)
    control_rate: float | None = None
    params: dict[str, float] | None = None
    protocol_version: int | str | None = None
    firmware_version: str | None = None
    policy: str | None = None
    created: str = field(default_factory=_now)
    extra: dict[str, Any] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.joints, self.actuators = list(self.joints), list(self.actuators)
        self.sensors = list(self.sensors)
        if self.source not in SOURCES:
            raise LogFormatError(f"source must be one of {SOURCES}, got {self.source!r}")
        _check_names(self.columns)
        units = {"t": "s", **{f"u.{a}": self.action_units.get(a, "-") for a in self.actuators}}
        for j in self.joints:
            units[f"q.{j}"] = self.joint_units.get(j, "rad")
            units[f"qd.{j}"] = units[f"q.{j}"] + "/s"
        self.units = {**units, **{s: "-" for s in self.sensors}, **self.units}

    @property
    def columns(self) -> tuple[str, ...]:
        """The required CSV columns, in file order."""
        return ("episode", "step", "t", *(f"u.{a}" for a in self.actuators),
                *(f"q.{j}" for j in self.joints), *(f"qd.{j}" for j in self.joints),
                *self.sensors, "status")

    def to_json(self) -> str:
        """The metadata as one line of JSON (``format`` and ``version`` first)."""
        d = asdict(self)
        return _dumps({"format": FORMAT, "version": VERSION, **d.pop("other"), **d})

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str | None = None) -> LogMeta:
        """Build from a decoded metadata line; refuses other formats and versions."""
        if d.get("format") != FORMAT or d.get("version") != VERSION:
            raise LogFormatError(f"format {d.get('format')!r} version {d.get('version')!r} is "
                                 f"not supported (this s2r reads {FORMAT} version {VERSION})",
                                 where=where)
        if not {"robot", "joints", "actuators"} <= d.keys():
            raise LogFormatError("metadata lacks robot, joints or actuators", where=where)
        known = {f.name for f in fields(cls)} - {"other"}
        other = {k: v for k, v in d.items() if k not in known | {"format", "version"}}
        return cls(**{k: v for k, v in d.items() if k in known}, other=other)


class TruncatedLogWarning(UserWarning):
    """The last line of a log was cut off (a crash mid-write) and was dropped."""


class LogWriter:
    """Append-only, crash-safe writer of one run.

    Each row is one complete line flushed to the OS at once, so a process killed at any
    instant leaves every completed row readable; episode ends and :meth:`close` ``fsync``.
    An existing non-empty file is refused unless ``append=True``: then its header must match
    and episode numbering continues (an incomplete last line left by a crash is cut off).
    Leaving the ``with`` block on an exception ends an open episode as ``interrupted``.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.s2r.csv"
    >>> meta = LogMeta(robot="pendulum", joints=["hinge"], actuators=["hinge"])
    >>> with LogWriter(path, meta, extra_columns=["reward"]) as log:
    ...     log.begin_episode(seed=0)
    ...     log.write(0.0, [0.5], [0.1], [0.0], reward=1.0)
    ...     log.write(0.01, [0.5], [0.1], [0.02], reward=1.0)
    ...     log.end_episode("truncated")
    0
    >>> path.read_text().splitlines()[-3]
    '0,0,0.0,0.5,0.1,0.0,0,1.0'
    """

    def __init__(self, path: str | os.PathLike[str], meta: LogMeta,
                 extra_columns: Sequence[str] = (), *, append: bool = False) -> None:
        self.path, self.meta, self.extra_columns = Path(path), meta, tuple(extra_columns)
        self._names, self._where = (*meta.columns, *self.extra_columns), str(path)
        _check_names(self._names)
        na, nj, ns = len(meta.actuators), len(meta.joints), len(meta.sensors)
        self._sizes = (na, nj, nj, ns, len(self.extra_columns))
        self._episode: int | None = None
        self._step, self._t, self._next = 0, -math.inf, 0
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists and not append:
            raise LogFormatError("file exists; pass append=True to add episodes", where=self._where)
        if exists:
            self._next = self._check_existing()
        self._file = open(self.path, "a", encoding="utf-8", newline="\n")
        if not exists:
            self._file.write(f"# s2r-log {meta.to_json()}\n{','.join(self._names)}\n")
            self._sync()

    def _check_existing(self) -> int:
        log = read_log(self.path)
        if tuple(log.frame.columns) != self._names or log.meta.robot != self.meta.robot:
            raise LogFormatError(f"cannot append: file has robot {log.meta.robot!r}, columns "
                                 f"{tuple(log.frame.columns)}; writer has {self.meta.robot!r}, "
                                 f"{self._names}", where=self._where)
        with open(self.path, "rb+") as f:
            f.truncate(f.read().rfind(b"\n") + 1)
        return log.episodes[-1].index + 1 if log.episodes else 0

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def begin_episode(self, **meta: Any) -> int:
        """Start an episode (``# episode`` line with ``meta``, e.g. seed); returns its index."""
        meta.pop("index", None)
        self._episode, self._step, self._t = self._next, 0, -math.inf
        self._next += 1
        self._file.write(f"# episode {_dumps({'index': self._episode, **meta})}\n")
        self._file.flush()
        return self._episode

    def write(self, t: float, u: Vector, q: Vector, qd: Vector, sensors: Vector = (),
              status: int = 0, **extra: float) -> None:
        """Append one row: command ``u`` sent at tick ``t``; ``q``, ``qd`` measured at ``t``."""
        if self._episode is None:
            raise LogFormatError("write() before begin_episode()", where=self._where)
        if (len(u), len(q), len(qd), len(sensors), len(extra)) != self._sizes:
            raise LogFormatError(f"row sizes u={len(u)} q={len(q)} qd={len(qd)} sensors="
                                 f"{len(sensors)} extra={sorted(extra)}, expected {self._sizes}"
                                 f" with extra columns {self.extra_columns}", where=self._where)
        t = float(t)
        u, q, qd, sensors = (v.tolist() if type(v) is np.ndarray else v  # faster than np items
                             for v in (u, q, qd, sensors))
        nums = ",".join(map(_repr, (t, *map(float, (*u, *q, *qd, *sensors)))))
        line = f"{self._episode},{self._step},{nums},{int(status)}"
        if extra:
            try:
                line += "".join("," + _repr(float(extra[k])) for k in self.extra_columns)
            except KeyError as err:
                raise LogFormatError(f"missing extra column {err}", where=self._where) from None
        if "n" in line:  # only 'nan' and 'inf' contain an n
            col = next(c for c, v in zip(self._names, line.split(",")) if "n" in v)
            raise LogFormatError(f"column {col} is not finite", where=self._where)
        if not t > self._t:
            raise LogFormatError(f"t={t!r} is not after the previous t={self._t!r}",
                                 where=self._where)
        self._file.write(line + "\n")
        self._file.flush()
        self._step, self._t = self._step + 1, t

    @property
    def episode_open(self) -> bool:
        """True between :meth:`begin_episode` and :meth:`end_episode`."""
        return self._episode is not None

    def end_episode(self, reason: str, **stats: Any) -> None:
        """Close the episode with a ``# end`` line (index, steps, reason, stats) and fsync."""
        if self._episode is None:
            raise LogFormatError("end_episode() without an open episode", where=self._where)
        end = {"index": self._episode, "steps": self._step, "reason": reason, **stats}
        self._file.write(f"# end {_dumps(end)}\n")
        self._sync()
        self._episode = None

    def close(self) -> None:
        """Flush, fsync and close the file (an open episode stays without ``# end``)."""
        if not self._file.closed:
            self._sync()
            self._file.close()

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None and self._episode is not None and not self._file.closed:
            stop = isinstance(exc, SafetyStop)
            self.end_episode(f"safety_stop: {exc}" if stop else f"interrupted: {kind.__name__}")
        self.close()


def _columns(prefix: str, attr: str, doc: str) -> Any:
    return property(lambda ep: ep.frame[[prefix + n for n in getattr(ep.log_meta, attr)]]
                    .to_numpy(np.float64), doc=doc)


@dataclass
class EpisodeLog:
    """One episode of a :class:`Log`: ``index``, ``# episode`` ``meta``, ``# end`` dict (or
    None), ``frame`` of rows and arrays ``t`` (n,), ``u`` (n, actuators), ``q`` and ``qd``
    (n, joints), ``sensors`` (n, sensors)."""

    index: int
    meta: dict[str, Any]
    end: dict[str, Any] | None
    frame: pd.DataFrame
    log_meta: LogMeta = field(repr=False)
    t = property(lambda ep: ep.frame["t"].to_numpy(np.float64), doc="Times of the rows (s).")
    u = _columns("u.", "actuators", "Commands sent, one column per actuator.")
    q = _columns("q.", "joints", "Joint positions, one column per joint.")
    qd = _columns("qd.", "joints", "Joint velocities, one column per joint.")
    sensors = _columns("", "sensors", "Other sensors, one column each.")

    def __len__(self) -> int:
        return len(self.frame)


@dataclass
class Log:
    """A validated log: run ``meta``, all rows as ``frame`` and the ``episodes``."""

    path: Path
    meta: LogMeta
    frame: pd.DataFrame
    episodes: list[EpisodeLog]

    def to_frame(self) -> pd.DataFrame:
        """All rows of all episodes (same as ``pandas.read_csv(path, comment="#")``)."""
        return self.frame

    def episode(self, index: int) -> EpisodeLog:
        """The episode with this index (KeyError if there is none)."""
        found = [ep for ep in self.episodes if ep.index == index]
        if not found:
            raise KeyError(f"{self.path}: no episode {index}")
        return found[0]


def _fields_error(text: str, names: Sequence[str]) -> str | None:
    """What is wrong with one data line on its own, or None."""
    vals = text.split(",")
    if len(vals) != len(names):
        return f"expected {len(names)} fields, found {len(vals)}"
    for name, v in zip(names, vals):
        try:
            x = float(v)
        except ValueError:
            return f"column {name} is {'empty' if not v.strip() else f'not a number: {v!r}'}"
        if not math.isfinite(x):
            return f"column {name} is {'NaN' if x != x else 'infinite'}"
        if name in INT_COLUMNS and x != int(x):
            return f"column {name} is not an integer: {v!r}"
    return None


def read_log(path: str | os.PathLike[str]) -> Log:
    """Read and validate a log; each error is a LogFormatError naming ``file:line``.

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "hand.s2r.csv"
    >>> _ = p.write_text('# s2r-log {"format": "s2r-log", "version": 1, "robot": "r", '
    ...     '"joints": ["j"], "actuators": ["j"]}\\nepisode,step,t,u.j,q.j,qd.j,status\\n'
    ...     '# episode {"index": 0, "seed": 3}\\n0,0,0.0,1.0,0.5,0.0,0\\n0,1,0.1,1.0,0.6,1.0,0\\n')
    >>> log = read_log(p)
    >>> log.episode(0).meta["seed"], log.episode(0).q.tolist(), log.frame.shape
    (3, [[0.5], [0.6]], (2, 7))
    """
    path, where = Path(path), str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise LogFormatError(f"cannot read: {err.strerror}", where=where) from None
    cut = raw.rfind(b"\n") + 1
    if cut < len(raw):
        n = raw.count(b"\n", 0, cut) + 1
        warnings.warn(f"{where}:{n}: incomplete last line dropped (crash mid-write?)",
                      TruncatedLogWarning, stacklevel=2)
        raw = raw[:cut]
    buf = np.frombuffer(raw, np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)

    def line(i: int) -> str:
        return raw[starts[i]:ends[i]].decode("utf-8", "replace").rstrip("\r")

    def fail(i: float, msg: str) -> LogFormatError:  # i: 0-based line index
        return LogFormatError(msg, where=f"{where}:{int(i) + 1}")

    if not len(ends) or not line(0).startswith(f"# {FORMAT} "):
        raise fail(0, f"missing the '# {FORMAT} {{json}}' metadata line")
    try:
        meta = LogMeta.from_dict(json.loads(line(0)[len(FORMAT) + 3:]), where=f"{where}:1")
    except (ValueError, TypeError, AttributeError) as err:
        raise fail(0, f"bad metadata: {err}") from None
    names, need = (line(1).split(",") if len(ends) > 1 else [""]), list(meta.columns)
    for c in need:
        if c not in names:
            raise fail(1, f"missing column {c}" + (" (no CSV header)" if c == "episode" else ""))
    if names[:len(need)] != need or len(set(names)) != len(names):
        raise fail(1, f"columns must start with {','.join(need)} and be unique")
    first = buf[starts]
    comment, blank = first == ord("#"), (first == 10) | (first == 13)
    comment[:2] = False
    rows = np.flatnonzero(~comment & ~blank)
    rows = rows[rows >= 2]

    eps: list[EpisodeLog] = []
    mark_line, mark_ep, late = [], [], (math.inf, "")  # late: first bad marker line
    for i in np.flatnonzero(comment).tolist():
        kind = line(i)[2:].split(" ", 1)[0]
        if kind not in ("episode", "end"):
            continue
        try:
            obj = json.loads(line(i)[len(kind) + 3:])
            idx, ok = obj.get("index", None if kind == "end" else -1), True
        except (ValueError, AttributeError):
            late, ok = min(late, (i, f"'# {kind}' line is not a JSON object")), False
        if ok and kind == "episode":
            if type(idx) is not int or idx < 0 or (eps and idx <= eps[-1].index):
                late = min(late, (i, f"episode index {idx!r} must be an integer above the "
                                     "previous one"))
            else:
                eps.append(EpisodeLog(idx, obj, None, pd.DataFrame(), meta))
        elif ok and (not eps or eps[-1].end is not None or idx not in (None, eps[-1].index)):
            late = min(late, (i, "'# end' line does not close the open episode"))
        elif ok:
            eps[-1].end = obj
        mark_line.append(i)
        mark_ep.append(float(idx) if kind == "episode" and eps and eps[-1].index == idx
                       else math.nan)

    def scan(fallback: str) -> LogFormatError:  # the first bad line, by slow line parsing
        for i in rows[rows < late[0]].tolist():
            if msg := _fields_error(line(i), names):
                return fail(i, msg)
        return fail(*late) if late[1] else fail(int(rows[0]) if len(rows) else 1, fallback)

    # every row must have exactly one field per column: pandas would take a first column
    # of rows that all have one field too many as an index, shifting every column
    commas = np.add.reduceat(buf == ord(","), starts, dtype=np.int64) if len(starts) else starts
    if len(rows) and (commas[rows] != len(names) - 1).any():
        raise scan("a row does not have one field per column")
    try:
        df = pd.read_csv(io.BytesIO(raw), comment="#", dtype=np.float64)
    except (ValueError, pd.errors.ParserError) as err:
        raise scan(f"cannot parse rows: {err}") from None
    if len(df) != len(rows) or list(df.columns) != names:
        raise scan("the table pandas reads does not match the lines of the file")
    a = df.to_numpy()
    ep, step, t = a[:, 0], a[:, 1], a[:, 2]
    pos = np.searchsorted(np.asarray(mark_line, dtype=np.int64), rows) - 1
    owner = np.asarray([*mark_ep, math.nan])[pos]  # pos -1 (no marker before) picks the NaN
    same = np.concatenate(([False], ep[1:] == ep[:-1]))
    prev_step = np.where(same, np.concatenate(([-1.0], step[:-1])), -1.0)
    prev_t = np.where(same, np.concatenate(([-math.inf], t[:-1])), -math.inf)
    ints = a[:, [names.index(c) for c in INT_COLUMNS]]
    bad = ~np.isfinite(a).all(axis=1) | (ints != np.round(ints)).any(axis=1)
    bad |= (ep != owner) | (step != prev_step + 1) | ~(t > prev_t)
    r = int(np.argmax(bad)) if bad.any() else -1
    if late[1] and (r < 0 or late[0] < rows[r]):
        raise fail(*late)
    if r >= 0:
        msg = _fields_error(line(int(rows[r])), names)
        if msg is None and ep[r] != owner[r]:
            msg = (f"row of episode {ep[r]:g} has no '# episode' line before it"
                   if pos[r] < 0 else f"row of episode {ep[r]:g} after its '# end' line"
                   if math.isnan(owner[r]) else
                   f"row of episode {ep[r]:g} follows the '# episode' line of {owner[r]:g}")
        elif msg is None and step[r] != prev_step[r] + 1:
            msg = f"step {step[r]:g} is not consecutive (expected {prev_step[r] + 1:g})"
        msg = msg or f"t={float(t[r])!r} is not after the previous row's t={float(prev_t[r])!r}"
        raise fail(int(rows[r]), msg)
    df = df.astype({c: np.int64 for c in INT_COLUMNS})
    for e in eps:
        lo, hi = np.searchsorted(ep, [e.index, e.index + 0.5])
        e.frame = df.iloc[lo:hi].reset_index(drop=True)
    return Log(path, meta, df, eps)
