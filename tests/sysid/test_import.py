"""``s2r import``: a CSV with other conventions (flipped sign, upright zero, degrees,
encoder counts, ms, no velocities, spaces after commas) back to the s2r log it came from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from s2r.cli import main
from s2r.errors import ConfigError, LogFormatError
from s2r.log_import import import_mapped, load_import_map
from s2r.logs import read_log

MAP = """\
time: {column: t_ms, scale: 0.001}
signals:
  u.arm: {column: volts}
  q.arm: {column: arm_counts, unit: counts, cpr: 2048, sign: -1}
  q.pendulum: {column: pend_deg, unit: deg, zero: upright, wrap: unwrapped}
  current.arm: {column: amps}
velocity: savgol
action_units: {arm: V}
"""


def _theirs(log_path, csv_path):
    ep = read_log(log_path).episode(0)
    counts = np.round(-ep.q[:, 0] * 2048 / (2 * math.pi)).astype(int)
    pend = np.degrees(ep.q[:, 1] - math.pi)  # 0 at upright, wrapped to [-180, 180)
    pend = (pend + 180.0) % 360.0 - 180.0
    lines = ["t_ms, volts, arm_counts, pend_deg, amps"]
    lines += [f"{t * 1000:.6f}, {u!r}, {c}, {p!r}, {a!r}"
              for t, u, c, p, a in zip(ep.t.tolist(), ep.u[:, 0].tolist(), counts.tolist(),
                                       pend.tolist(), ep.sensors[:, 0].tolist(), strict=True)]
    csv_path.write_text("\n".join(lines) + "\n")
    return ep


def test_import_undoes_the_other_conventions(furuta_log, tmp_path):
    src = tmp_path / "theirs.csv"
    ep = _theirs(furuta_log, src)
    (tmp_path / "map.yaml").write_text(MAP)
    assert main(["import", f"csv=[{src}]", f"map={tmp_path / 'map.yaml'}", "robot=furuta",
                 f"out={tmp_path / 'imp'}"]) == 0
    log = read_log(tmp_path / "imp" / "theirs.s2r.csv")
    got = log.episode(0)
    np.testing.assert_allclose(got.t, ep.t, atol=1e-6)
    np.testing.assert_allclose(got.u, ep.u, atol=0)
    assert np.abs(got.q[:, 0] - ep.q[:, 0]).max() <= math.pi / 2048 + 1e-12  # half a count
    np.testing.assert_allclose(got.q[:, 1], ep.q[:, 1], atol=1e-9)  # unwrapped again
    assert log.meta.extra["velocity_estimate"] == {"arm": "savgol(window=7, order=2)",
                                                   "pendulum": "savgol(window=7, order=2)"}
    inner = slice(5, -5)
    err = np.abs(got.qd[inner, 1] - ep.qd[inner, 1])
    assert np.median(err) < 0.05 * np.abs(ep.qd[inner, 1]).max()
    assert log.meta.source == "import" and log.meta.units["u.arm"] == "V"
    assert main(["import", f"csv=[{src}]", f"map={tmp_path / 'map.yaml'}", "robot=furuta",
                 f"out={tmp_path / 'imp'}"]) == 2  # never overwrites


def test_uneven_sampling_falls_back_to_differences_and_says_so(tmp_path):
    t = np.cumsum(np.r_[0.0, np.where(np.arange(99) % 3, 0.002, 0.003)])  # 333-500 Hz
    rows = [f"{a:.6f},{0.0},{math.sin(a)},{0.0},{0.0}" for a in t]
    src = tmp_path / "jitter.csv"
    src.write_text("t,u,qa,qp,i\n" + "\n".join(rows) + "\n")
    path = tmp_path / "map.yaml"
    path.write_text("time: {column: t}\nsignals:\n  u.arm: {column: u}\n  q.arm: {column: qa}\n"
                    "  q.pendulum: {column: qp}\n  current.arm: {column: i}\n")
    log = import_mapped(src, tmp_path / "j.s2r.csv", load_import_map(path), "furuta")
    assert log.meta.extra["velocity_estimate"]["arm"] == "difference (uneven sampling)"
    np.testing.assert_allclose(log.episode(0).qd[1:-1, 0], np.cos(t[1:-1]), atol=1e-4)
    assert log.meta.extra["sampling"]["max_dt"] == pytest.approx(0.003)


def test_import_errors_name_file_row_and_key(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("rate: 100\nsignals:\n  u.arm: {column: u}\n  q.arm: {column: qa, "
                    "unit: counts}\n  q.pendulum: {column: qp}\n  current.arm: {column: i}\n")
    with pytest.raises(ConfigError, match="q.arm: unit counts needs cpr"):
        load_import_map(path)
    path.write_text("rate: 100\nsignals:\n  u.arm: {column: u}\n  q.arm: {column: qa}\n"
                    "  q.pendulum: {column: qp}\n  current.arm: {column: i}\n")
    src = tmp_path / "bad.csv"
    src.write_text("u, qa, qp, i\n0, 0.1, 0, 0\n0, oops, 0, 0\n")
    with pytest.raises(LogFormatError, match=r"bad.csv:3: column qa is not a finite number"):
        import_mapped(src, tmp_path / "b.s2r.csv", load_import_map(path), "furuta")
    src.write_text("u, qa, i\n0, 0.1, 0\n")
    with pytest.raises(LogFormatError, match=r"bad.csv: source column 'qp' .* is missing"):
        import_mapped(src, tmp_path / "c.s2r.csv", load_import_map(path), "furuta")
