"""Import logs from someone else's logger (a CSV file) into the s2r log format.

A ``column_map`` maps s2r column names (``t``, ``u.<actuator>``, ``q.<joint>``,
``qd.<joint>``, sensor names, optionally ``status`` and any extra float column such as
``reward``) to the source's column names. Times are multiplied by ``time_scale`` (``1e-3`` for
milliseconds). Rows are split into episodes where ``episode_column`` changes value or, without
one, wherever time goes backwards. Missing joint velocities can be derived from positions by
finite differences (:func:`derive_velocity`). The result is written with
:class:`~s2r.logs.LogWriter`, so it is a valid, validated s2r log.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from s2r.errors import LogFormatError
from s2r.logs import Log, LogMeta, LogWriter, read_log

__all__ = ["derive_velocity", "import_csv"]

Pathish = str | os.PathLike[str]


def derive_velocity(t: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Time derivative of ``q`` (rows at times ``t``) by second-order finite differences.

    Interior points use central differences, which on a uniform grid of spacing ``h`` are
    ``(q[i+1] - q[i-1]) / (2h)`` (error about ``h**2/6 * |q'''|``) and on a non-uniform grid
    the second-order weighted form of :func:`numpy.gradient`; the two end points use
    second-order one-sided differences (error about ``h**2/3 * |q'''|``). Two rows give the
    plain difference quotient.

    >>> derive_velocity(np.array([0.0, 0.1, 0.2, 0.3]), np.array([0.0, 0.01, 0.04, 0.09]))
    array([0. , 0.2, 0.4, 0.6])
    """
    t, q = np.asarray(t, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if len(t) < 2:
        raise LogFormatError("need at least two rows to derive a velocity")
    return np.gradient(q, t, axis=0, edge_order=2 if len(t) >= 3 else 1)


def _numbers(df: pd.DataFrame, col: str, where: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        # line numbers count the header as line 1 (exact when the source has no blank lines)
        v = df[col].iloc[bad[0]]
        what = "empty" if pd.isna(v) else f"not a finite number: {str(v)!r}"
        raise LogFormatError(f"column {col} is {what}", where=f"{where}:{bad[0] + 2}")
    return values


def import_csv(src: Pathish, out: Pathish, *, column_map: Mapping[str, str], robot: str,
               joints: Sequence[str], actuators: Sequence[str], sensors: Sequence[str] = (),
               time_scale: float = 1.0, episode_column: str | None = None,
               derive_velocities: bool = False, read_csv_kwargs: Mapping[str, Any] | None = None,
               **meta: Any) -> Log:
    """Convert the CSV ``src`` into the s2r log ``out`` and return ``read_log(out)``.

    ``meta`` goes to :class:`~s2r.logs.LogMeta` (``action_units``, ``params``, ``policy``,
    ...); ``control_rate`` defaults to 1 / the median time step. The source, column map and
    time scale are recorded in ``meta.extra``. Raises LogFormatError naming the file (and
    line) for a missing mapped column, a non-numeric value or time that does not increase.

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "theirs.csv").write_text("ms,volts,angle\\n0,1.0,0.0\\n10,1.0,0.5\\n20,1.0,1.0\\n")
    >>> log = import_csv(d / "theirs.csv", d / "run.s2r.csv", robot="pendulum",
    ...                  joints=["hinge"], actuators=["hinge"], time_scale=1e-3,
    ...                  column_map={"t": "ms", "u.hinge": "volts", "q.hinge": "angle"},
    ...                  derive_velocities=True)
    >>> log.episode(0).t.tolist(), log.episode(0).qd[:, 0].tolist(), log.meta.control_rate
    ([0.0, 0.01, 0.02], [50.0, 50.0, 50.0], 100.0)
    """
    where = str(src)
    probe = LogMeta(robot=robot, joints=list(joints), actuators=list(actuators),
                    sensors=list(sensors))
    layout = probe.columns[2:-1]
    if {"episode", "step"} & column_map.keys():
        raise LogFormatError("column_map may not map episode or step; use episode_column")
    vel = {f"qd.{j}" for j in probe.joints}
    missing = [c for c in layout if c not in column_map and not (derive_velocities and c in vel)]
    if missing:
        hint = " (or pass derive_velocities=True)" if set(missing) & vel else ""
        raise LogFormatError(f"column_map has no source column for {', '.join(missing)}{hint}",
                             where=where)
    extras = [c for c in column_map if c not in layout and c != "status"]
    try:
        df = pd.read_csv(src, **(read_csv_kwargs or {}))
    except (OSError, ValueError) as err:
        raise LogFormatError(f"cannot read CSV: {err}", where=where) from None
    for name, col in [*column_map.items(), ("episode", episode_column)]:
        if col is not None and col not in df.columns:
            raise LogFormatError(f"source column {col!r} (for {name}) is missing; the file has "
                                 f"{', '.join(map(str, df.columns))}", where=where)
    cols = {name: _numbers(df, col, where) for name, col in column_map.items()}
    t = cols["t"] * float(time_scale)
    if episode_column is not None:
        key = df[episode_column]
        if key.isna().any():
            row = int(np.flatnonzero(key.isna().to_numpy())[0])
            raise LogFormatError(f"column {episode_column} is empty", where=f"{where}:{row + 2}")
        starts = np.flatnonzero((key != key.shift()).to_numpy())
    else:
        starts = np.flatnonzero(np.concatenate(([True], t[1:] < t[:-1])))
    bounds = list(zip(starts.tolist(), [*starts[1:].tolist(), len(t)]))
    for lo, hi in bounds:
        flat = np.flatnonzero(np.diff(t[lo:hi]) <= 0)
        if len(flat):
            raise LogFormatError(f"time does not increase ({column_map['t']} repeats a value)",
                                 where=f"{where}:{lo + flat[0] + 3}")
    derived = sorted(c for c in vel if c not in column_map)
    for lo, hi in bounds if derived else ():
        if hi - lo < 2:
            raise LogFormatError("an episode of one row has no velocity to derive",
                                 where=f"{where}:{lo + 2}")
    for c in derived:
        pos = cols["q." + c[3:]]
        cols[c] = np.concatenate([derive_velocity(t[lo:hi], pos[lo:hi]) for lo, hi in bounds])
    dts = np.concatenate([np.diff(t[lo:hi]) for lo, hi in bounds] or [np.empty(0)])
    meta.setdefault("control_rate", 1.0 / float(np.median(dts)) if len(dts) else None)
    meta.setdefault("source", "import")
    meta["extra"] = {"imported_from": where, "column_map": dict(column_map),
                     "time_scale": time_scale, "derived_velocities": derived,
                     **meta.get("extra", {})}
    lm = LogMeta(robot=robot, joints=list(joints), actuators=list(actuators),
                 sensors=list(sensors), **meta)
    status = cols.get("status", np.zeros(len(t))).astype(np.int64).tolist()

    def block(prefix: str, names: Sequence[str]) -> list[list[float]]:
        return np.column_stack([cols[prefix + n] for n in names] or [np.empty((len(t), 0))]
                               ).tolist()

    u, q, qd = block("u.", lm.actuators), block("q.", lm.joints), block("qd.", lm.joints)
    sen, ext = block("", lm.sensors), block("", extras)
    with LogWriter(out, lm, extra_columns=extras) as writer:
        for lo, hi in bounds:
            info = {"source_first_line": lo + 2}
            if episode_column is not None:
                info["source_episode"] = df[episode_column].iloc[lo]
            writer.begin_episode(**info)
            for i in range(lo, hi):
                writer.write(t[i], u[i], q[i], qd[i], sen[i], status[i],
                             **dict(zip(extras, ext[i])))
            writer.end_episode("imported")
    return read_log(out)

