"""Import logs from someone else's logger (a CSV file) into the s2r log format.

A ``column_map`` maps s2r column names (``t``, ``u.<actuator>``, ``q.<joint>``,
``qd.<joint>``, sensor names, optionally ``status`` and any extra float column such as
``reward``) to the source's column names. Times are multiplied by ``time_scale`` (``1e-3`` for
milliseconds). Rows are split into episodes where ``episode_column`` changes value or, without
one, wherever time goes backwards. Missing joint velocities can be derived from positions by
finite differences (:func:`derive_velocity`). The result is written with
:class:`~s2r.logs.LogWriter`, so it is a valid, validated s2r log.

``s2r import`` uses a column map YAML instead (:class:`ImportMap`,
:func:`import_mapped`): per signal the source column with scale, sign, offset and unit
(rad, deg, encoder counts), angle zero and wrapping; time from a column or a fixed rate;
missing velocities estimated by Savitzky-Golay or differences, said in the metadata.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from s2r.errors import ConfigError, LogFormatError
from s2r.logs import Log, LogMeta, LogWriter, read_log
from s2r.settings import setting

__all__ = ["Column", "ImportMap", "derive_velocity", "import_csv", "import_mapped",
           "load_import_map"]

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



# ----------------------------------------------------------------- column maps (s2r import)
UNITS = {"rad": 1.0, "deg": math.pi / 180.0, "m": 1.0, "mm": 1e-3, "-": 1.0}


@dataclass
class Column:
    """Where one s2r signal comes from and how to convert it.

    ``value = sign * scale * unit_factor * raw + offset``; ``unit`` ``rad``, ``deg``,
    ``counts`` (with ``cpr``: counts per revolution), ``m``, ``mm``, ``normalised``
    (commands in [-1, 1]: times the actuator's command limit) or ``-`` (as is; volts,
    N*m, A). Angles: ``zero: upright`` for a source reading 0 at upright on a robot whose
    0 hangs (adds pi); ``wrap: wrapped`` puts them in [-pi, pi), ``unwrapped`` removes
    jumps of 2*pi.
    """

    column: str = setting("???", "source column (spaces around it are ignored)")
    scale: float = setting(1.0, "factor on the raw value")
    sign: float = setting(1.0, "+1 or -1 (a flipped encoder)", choices=(1.0, -1.0))
    offset: float = setting(0.0, "added after scaling, in s2r units")
    unit: str = setting("-", "unit of the raw value",
                        choices=("rad", "deg", "counts", "m", "mm", "normalised", "-"))
    cpr: float | None = setting(None, "encoder counts per revolution (unit: counts)", gt=0)
    zero: str = setting("hanging", "angle 0 of the source", choices=("hanging", "upright"))
    wrap: str = setting("as_is", "angle wrapping", choices=("as_is", "wrapped", "unwrapped"))


@dataclass
class ImportMap:
    """A column map for ``s2r import``: time (a column or a fixed ``rate``), signals by s2r
    column name (``u.<actuator>``, ``q.<joint>``, optional ``qd.<joint>``, sensors) and how
    missing velocities are estimated."""

    time: Column | None = setting(None, "time column (scale 1e-3 for ms); null: use rate")
    rate: float | None = setting(None, "Hz, for a source without a time column", gt=0)
    signals: dict[str, Column] = setting(factory=dict, help="s2r column -> source column")
    velocity: str = setting("savgol", "estimate of missing velocities",
                            choices=("savgol", "difference"))
    savgol_window: int = setting(7, "samples in the Savitzky-Golay window (odd)", ge=3)
    action_units: dict[str, str] = setting(factory=dict, help="unit per actuator (V, N*m)")


def load_import_map(path: Pathish) -> ImportMap:
    """Read and check a column map YAML (errors name the file and key)."""
    from s2r.config import load_structured

    imap = load_structured(ImportMap, path)
    if (imap.time is None) == (imap.rate is None):
        raise ConfigError("give either time: {column: ...} or rate: HZ", where=str(path))
    if imap.savgol_window % 2 == 0:
        raise ConfigError(f"savgol_window: must be odd, got {imap.savgol_window}",
                          where=str(path))
    for name, col in imap.signals.items():
        if col.unit == "counts" and col.cpr is None:
            raise ConfigError(f"signals.{name}: unit counts needs cpr (counts per revolution)",
                              where=str(path))
    return imap


def _convert(raw: np.ndarray, col: Column, limit: float) -> np.ndarray:
    factor = {"counts": 2.0 * math.pi / (col.cpr or 1.0), "normalised": limit}.get(
        col.unit, UNITS.get(col.unit, 1.0))
    value = col.sign * col.scale * factor * raw + col.offset
    if col.zero == "upright":
        value = value + math.pi
    if col.wrap == "wrapped":
        value = (value + math.pi) % (2.0 * math.pi) - math.pi
    elif col.wrap == "unwrapped":
        value = np.unwrap(value)
    return value


def _velocity(t: np.ndarray, q: np.ndarray, how: str, window: int) -> tuple[np.ndarray, str]:
    dt = np.diff(t)
    even = len(dt) > 0 and float(np.ptp(dt)) <= 0.01 * float(np.median(dt))
    if how == "savgol" and even and len(t) >= window:
        from scipy.signal import savgol_filter

        return (savgol_filter(q, window, 2, deriv=1, delta=float(np.median(dt)), mode="interp"),
                f"savgol(window={window}, order=2)")
    why = "" if how == "difference" else (" (uneven sampling)" if not even else " (too short)")
    return derive_velocity(t, q), "difference" + why


def import_mapped(src: Pathish, out: Pathish, imap: ImportMap, robot: str) -> Log:
    """Convert ``src`` with the column map ``imap`` into the s2r log ``out`` for ``robot``.

    Every problem is a :class:`LogFormatError` naming the file (and line). The log's
    ``meta.extra`` records the map, the sampling (each file keeps its own time grid) and
    how each missing velocity was estimated.
    """
    from s2r.description import load_robot_description, spec_from_description

    spec = spec_from_description(load_robot_description(robot))
    where = str(src)
    try:
        df = pd.read_csv(src, skipinitialspace=True)
    except (OSError, ValueError) as err:
        raise LogFormatError(f"cannot read CSV: {err}", where=where) from None
    df.columns = [str(c).strip() for c in df.columns]
    joints, acts, sensors = spec.joint_names, spec.actuator_names, list(spec.sensors)
    need = [*(f"u.{a}" for a in acts), *(f"q.{j}" for j in joints), *sensors]
    known = set(need) | {f"qd.{j}" for j in joints}
    for name in imap.signals:
        if name not in known:
            raise ConfigError(f"signals: unknown s2r column '{name}' (the robot {spec.name} "
                              f"has {', '.join(sorted(known))})", where=f"map: {name}")
    missing = [c for c in need if c not in imap.signals]
    if missing:
        raise ConfigError(f"signals: no source column for {', '.join(missing)}", where="map")

    def column(col: Column, name: str) -> np.ndarray:
        if col.column not in df.columns:
            raise LogFormatError(f"source column {col.column!r} (for {name}) is missing; the "
                                 f"file has {', '.join(map(str, df.columns))}", where=where)
        return _numbers(df, col.column, where)

    n = len(df)
    if imap.time is not None:
        t = _convert(column(imap.time, "t"), imap.time, 1.0)
        bad = np.flatnonzero(np.diff(t) <= 0)
        if len(bad):
            raise LogFormatError(f"time does not increase ({imap.time.column})",
                                 where=f"{where}:{bad[0] + 3}")
    else:
        t = np.arange(n) / float(imap.rate or 1.0)
    limits = {f"u.{a.name}": max(abs(a.low), abs(a.high)) for a in spec.actuators}
    cols = {name: _convert(column(c, name), c, limits.get(name, 1.0))
            for name, c in imap.signals.items()}
    estimated = {}
    for j in joints:
        if f"qd.{j}" not in cols:
            cols[f"qd.{j}"], estimated[j] = _velocity(t, cols[f"q.{j}"], imap.velocity,
                                                      imap.savgol_window)
    dt = np.diff(t)
    meta = LogMeta(robot=spec.name, joints=joints, actuators=acts, sensors=sensors,
                   source="import", action_units=dict(imap.action_units),
                   control_rate=1.0 / float(np.median(dt)) if len(dt) else None,
                   extra={"imported_from": where, "column_map": asdict(imap),
                          "velocity_estimate": estimated,
                          "sampling": {"median_dt": float(np.median(dt)) if len(dt) else None,
                                       "max_dt": float(dt.max()) if len(dt) else None,
                                       "min_dt": float(dt.min()) if len(dt) else None,
                                       "grid": "the file's own time stamps"}})
    with LogWriter(out, meta) as writer:
        writer.begin_episode(source_first_line=2)
        for i in range(n):
            writer.write(t[i], [cols[f"u.{a}"][i] for a in acts],
                         [cols[f"q.{j}"][i] for j in joints],
                         [cols[f"qd.{j}"][i] for j in joints], [cols[s][i] for s in sensors], 0)
        writer.end_episode("imported")
    return read_log(out)
