"""Tests of importing foreign CSV logs into the s2r log format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from s2r.errors import LogFormatError
from s2r.log_import import derive_velocity, import_csv
from s2r.logs import read_log

OMEGA = 2 * np.pi * 0.5  # rad/s of the test signal q = sin(OMEGA t)
H = 0.01  # s, 100 Hz logger


def foreign_csv(path: Path, episodes: int = 2, n: int = 300) -> pd.DataFrame:
    """A CSV as another lab's logger writes it: time in ms restarting each episode, other
    names, an unused column, no velocities."""
    t_ms = np.tile(np.arange(n) * H * 1000, episodes)  # exact multiples of 10 ms
    t = t_ms / 1000
    df = pd.DataFrame({"time_ms": t_ms, "cmd_volts": np.cos(t), "enc_arm": np.sin(OMEGA * t),
                       "enc_pole": 0.5 * t ** 2, "amps": 0.1 * t, "rew": 1.0, "junk": "x"})
    df.to_csv(path, index=False, float_format="%.17g")
    return df


MAP = {"t": "time_ms", "u.arm": "cmd_volts", "q.arm": "enc_arm", "q.pendulum": "enc_pole",
       "current.arm": "amps", "reward": "rew"}
ROBOT: dict[str, Any] = dict(robot="furuta", joints=["arm", "pendulum"], actuators=["arm"],
             sensors=["current.arm"])


def test_import_scales_time_splits_episodes_and_derives_velocities(tmp_path: Path) -> None:
    src = tmp_path / "theirs.csv"
    df = foreign_csv(src)
    log = import_csv(src, tmp_path / "run.s2r.csv", column_map=MAP, time_scale=1e-3,
                     derive_velocities=True, action_units={"arm": "V"}, **ROBOT)
    assert log.meta.source == "import" and log.meta.units["u.arm"] == "V"
    assert log.meta.control_rate == pytest.approx(100.0)
    assert log.meta.extra["derived_velocities"] == ["qd.arm", "qd.pendulum"]
    assert log.meta.extra["column_map"] == MAP and log.meta.extra["time_scale"] == 1e-3
    assert list(log.frame.columns)[-1] == "reward"
    assert [ep.index for ep in log.episodes] == [0, 1]  # split where time went backwards
    assert log.episode(1).meta["source_first_line"] == 302
    for ep in log.episodes:
        t = ep.t
        assert len(ep) == 300 and t[0] == 0.0 and t[-1] == pytest.approx(2.99)
        np.testing.assert_allclose(ep.u[:, 0], np.cos(df["time_ms"][:300] / 1000), rtol=0,
                                   atol=1e-15)
        # q = sin(w t): the central-difference error is h^2/6 |q'''| <= h^2 w^3 / 6 = 5.2e-4
        # inside and h^2/3 w^3 = 1.0e-3 at the second-order one-sided end points.
        err = np.abs(ep.qd[:, 0] - OMEGA * np.cos(OMEGA * t))
        assert err[1:-1].max() <= H**2 * OMEGA**3 / 6
        assert err[[0, -1]].max() <= H**2 * OMEGA**3 / 3
        assert err[1:-1].max() > H**2 * OMEGA**3 / 60  # really estimated, not copied
        # q = t^2 / 2 has q''' = 0: second-order differences are exact up to rounding
        np.testing.assert_allclose(ep.qd[:, 1], t, rtol=0, atol=1e-11)


def test_given_velocities_are_kept_and_an_episode_column_splits(tmp_path: Path) -> None:
    src = tmp_path / "theirs.csv"
    pd.DataFrame({"run": [7, 7, 7, 9, 9], "t": [0.0, 0.1, 0.2, 0.0, 0.5], "u": 1.0,
                  "p": [0.0, 1.0, 2.0, 3.0, 4.0], "v": [5.0, 6.0, 7.0, 8.0, 9.0],
                  "flags": [0, 0, 4, 0, 0]}).to_csv(src, index=False)
    log = import_csv(src, tmp_path / "run.s2r.csv", robot="pendulum", joints=["hinge"],
                     actuators=["hinge"], episode_column="run", control_rate=50.0,
                     column_map={"t": "t", "u.hinge": "u", "q.hinge": "p", "qd.hinge": "v",
                                 "status": "flags"})
    assert log.meta.control_rate == 50.0 and log.meta.extra["derived_velocities"] == []
    assert [e.meta["source_episode"] for e in log.episodes] == [7, 9]
    assert log.episode(0).qd[:, 0].tolist() == [5.0, 6.0, 7.0]
    assert log.frame["status"].tolist() == [0, 0, 4, 0, 0]
    assert read_log(tmp_path / "run.s2r.csv").frame.equals(log.frame)


def test_derive_velocity_is_exact_for_quadratics_on_an_uneven_grid() -> None:
    t = np.array([0.0, 0.1, 0.25, 0.3, 0.7])
    np.testing.assert_allclose(derive_velocity(t, 3 * t**2 - t), 6 * t - 1, atol=1e-12)
    assert derive_velocity(t[:2], t[:2] * 4).tolist() == [4.0, 4.0]


def make_src(tmp_path: Path, text: str) -> Path:
    src = tmp_path / "theirs.csv"
    src.write_text(text)
    return src


PEND: dict[str, Any] = dict(robot="pendulum", joints=["hinge"], actuators=["hinge"])
PMAP = {"t": "ms", "u.hinge": "volts", "q.hinge": "angle"}
GOOD = "ms,volts,angle\n0,1,0\n10,1,0.1\n20,1,0.2\n"


def test_missing_source_column_names_column_and_file(tmp_path: Path) -> None:
    src = make_src(tmp_path, GOOD.replace("angle", "theta"))
    with pytest.raises(LogFormatError, match=re.escape(f"{src}: source column 'angle' "
                                                       "(for q.hinge) is missing")):
        import_csv(src, tmp_path / "o.s2r.csv", column_map=PMAP, derive_velocities=True, **PEND)
    assert not (tmp_path / "o.s2r.csv").exists()


def test_unmapped_velocity_needs_derive(tmp_path: Path) -> None:
    src = make_src(tmp_path, GOOD)
    with pytest.raises(LogFormatError, match=r"no source column for qd.hinge \(or pass derive"):
        import_csv(src, tmp_path / "o.s2r.csv", column_map=PMAP, **PEND)


@pytest.mark.parametrize(("text", "message"), [
    ("ms,volts,angle\n0,1,0\n10,one,0.1\n", ":3: column volts is not a finite number: 'one'"),
    ("ms,volts,angle\n0,1,0\n10,1,\n", ":3: column angle is empty"),
    ("ms,volts,angle\n0,1,0\n10,1,0.1\n10,1,0.2\n", ":4: time does not increase (ms repeats"),
    ("ms,volts,angle\n0,1,0\n10,1,inf\n", ":3: column angle is not a finite number: 'inf'"),
])
def test_bad_source_values_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    src = make_src(tmp_path, text)
    with pytest.raises(LogFormatError, match="^" + re.escape(f"{src}{message}")):
        import_csv(src, tmp_path / "o.s2r.csv", column_map=PMAP, derive_velocities=True, **PEND)
