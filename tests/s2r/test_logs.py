"""Tests of the s2r log format: round trip, crash safety, validation errors, appending."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s2r.errors import LogFormatError, SafetyStop
from s2r.logs import LogMeta, LogWriter, TruncatedLogWarning, read_log

REPO = Path(__file__).resolve().parents[2]


def furuta_meta(**kw: object) -> LogMeta:
    base: dict = dict(robot="furuta", joints=["arm", "pendulum"], actuators=["arm"],
                      sensors=["current.arm"], action_units={"arm": "V"}, control_rate=100.0,
                      params={"link.pole.mass": 0.024}, protocol_version=1,
                      firmware_version="0.3.1", policy="ppo-7", extra={"operator": "x"})
    return LogMeta(**{**base, **kw})


def write_run(path: Path, episodes: int = 2, rows: int = 5) -> Path:
    with LogWriter(path, furuta_meta(), extra_columns=["reward"]) as w:
        for e in range(episodes):
            w.begin_episode(seed=e)
            for i in range(rows):
                w.write(0.01 * i, [0.5 * i], [0.1 * i, -0.2], [1.0, 2.0 + i], [0.3],
                        status=0, reward=1.0)
            w.end_episode("truncated", total=float(rows))
    return path


def bits(a: object) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


# ---------------------------------------------------------------- round trip

finite = st.floats(allow_nan=False, allow_infinity=False)
row_strategy = st.tuples(finite, finite, finite, finite, finite, finite, finite)
episode_strategy = st.lists(st.tuples(finite, row_strategy), max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(episode_strategy, min_size=1, max_size=4))
def test_round_trip_is_bit_exact(episodes: list) -> None:
    meta = furuta_meta()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "run.s2r.csv"
        written = []
        with LogWriter(path, meta, extra_columns=["reward"]) as w:
            for e, rows in enumerate(episodes):
                times = sorted({t for t, _ in rows})  # strictly increasing times
                w.begin_episode(seed=e, reset={"q": [0.0, float(e)]})
                for k, t in enumerate(times):
                    u, q0, q1, v0, v1, s, r = rows[k][1]
                    w.write(t, [u], [q0, q1], (v0, v1), np.array([s]), status=k % 3, reward=r)
                    written.append((e, k, t, u, q0, q1, v0, v1, s, k % 3, r))
                w.end_episode("terminated", steps_seen=len(times))
        log = read_log(path)
        plain = pd.read_csv(path, comment="#")
    expect = np.array([row for row in written], dtype=np.float64).reshape(-1, 11)
    assert list(log.frame.columns) == [*meta.columns, "reward"]
    np.testing.assert_array_equal(bits(log.frame.to_numpy(np.float64)), bits(expect))
    np.testing.assert_array_equal(bits(plain.to_numpy(np.float64)), bits(expect))
    if len(written):
        pd.testing.assert_frame_equal(plain, log.frame, check_exact=True)
    assert log.meta == meta
    assert [ep.index for ep in log.episodes] == list(range(len(episodes)))
    for ep in log.episodes:
        assert ep.meta == {"index": ep.index, "seed": ep.index, "reset": {"q": [0.0, ep.index]}}
        assert ep.end == {"index": ep.index, "steps": len(ep), "reason": "terminated",
                          "steps_seen": len(ep)}
        rows = expect[expect[:, 0] == ep.index]
        assert ep.u.shape == (len(rows), 1) and ep.q.shape == (len(rows), 2)
        np.testing.assert_array_equal(bits(ep.t), bits(rows[:, 2]))
        np.testing.assert_array_equal(bits(ep.u), bits(rows[:, 3:4]))
        np.testing.assert_array_equal(bits(ep.q), bits(rows[:, 4:6]))
        np.testing.assert_array_equal(bits(ep.qd), bits(rows[:, 6:8]))
        np.testing.assert_array_equal(bits(ep.sensors), bits(rows[:, 8:9]))


def test_extreme_floats_round_trip(tmp_path: Path) -> None:
    values = [5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3, -0.0]
    meta = LogMeta(robot="r", joints=["j"], actuators=["j"])
    with LogWriter(tmp_path / "x.s2r.csv", meta) as w:
        w.begin_episode()
        for i, v in enumerate(values):
            w.write(float(i), [v], [v], [-v])
    ep = read_log(tmp_path / "x.s2r.csv").episode(0)
    np.testing.assert_array_equal(bits(ep.u[:, 0]), bits(values))
    np.testing.assert_array_equal(bits(ep.qd[:, 0]), bits([-v for v in values]))


def test_metadata_units_and_unknown_keys(tmp_path: Path) -> None:
    meta = furuta_meta(joint_units={"pendulum": "m"}, other={"lab": "B12"})
    assert meta.units["t"] == "s" and meta.units["u.arm"] == "V"
    assert meta.units["q.arm"] == "rad" and meta.units["qd.pendulum"] == "m/s"
    assert meta.units["current.arm"] == "-"
    path = tmp_path / "m.s2r.csv"
    LogWriter(path, meta).close()
    first = path.read_text().splitlines()[0]
    assert first.startswith('# s2r-log {"format": "s2r-log", "version": 1, "lab": "B12"')
    log = read_log(path)
    assert log.meta == meta and log.episodes == [] and len(log.frame) == 0
    assert log.to_frame() is log.frame
    with pytest.raises(KeyError, match="no episode 0"):
        log.episode(0)


# ---------------------------------------------------------------- crash safety

CHILD = textwrap.dedent("""
    import sys
    from s2r.logs import LogMeta, LogWriter
    meta = LogMeta(robot="furuta", joints=["arm", "pendulum"], actuators=["arm"])
    w = LogWriter(sys.argv[1], meta)
    i = 0
    while True:
        if i % 500 == 0:
            w.begin_episode(seed=i)
        w.write(0.001 * (i % 500), [i * 1e-3], [i * 0.5, -i / 7], [1 / (i + 1), i])
        i += 1
        print(i, flush=True)
""")


def test_sigkill_leaves_every_completed_row(tmp_path: Path) -> None:
    path = tmp_path / "killed.s2r.csv"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE,
                             text=True, env=env)
    assert child.stdout is not None
    reported = 0
    while reported < 1300:  # three episodes in, mid-episode
        reported = int(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedLogWarning)  # a cut line is allowed, not needed
        log = read_log(path)
    n = len(log.frame)
    assert n >= reported
    i = np.arange(n)
    np.testing.assert_array_equal(log.frame["q.arm"], i * 0.5)
    np.testing.assert_array_equal(log.frame["qd.pendulum"], i.astype(float))
    assert [ep.index for ep in log.episodes] == list(range(len(log.episodes)))
    assert len(log.episodes) in ((n - 1) // 500 + 1, n // 500 + 1)  # killed before/after begin
    assert all(ep.end is None for ep in log.episodes)


def test_truncated_last_line_warns_and_keeps_complete_rows(tmp_path: Path) -> None:
    path = tmp_path / "run.s2r.csv"
    with LogWriter(path, furuta_meta()) as w:
        w.begin_episode()
        for i in range(4):
            w.write(0.01 * i, [0.0], [0.1, 0.2], [0.3, 0.4], [0.5])
    path.write_bytes(path.read_bytes()[:-7])  # cut the last row mid-number, no newline
    with pytest.warns(TruncatedLogWarning, match=re.escape(f"{path}:7: incomplete last line")):
        log = read_log(path)
    assert len(log.frame) == 3 and log.episode(0).t.tolist() == [0.0, 0.01, 0.02]


def test_append_continues_numbering_after_a_crash(tmp_path: Path) -> None:
    path = write_run(tmp_path / "run.s2r.csv", episodes=2)
    with open(path, "a") as f:
        f.write('# episode {"index": 2}\n0,0,0.0,0.5')  # a crash mid-row
    with pytest.raises(LogFormatError, match="file exists; pass append=True"):
        LogWriter(path, furuta_meta(), extra_columns=["reward"])
    with pytest.raises(LogFormatError, match="cannot append"), pytest.warns(TruncatedLogWarning):
        LogWriter(path, furuta_meta(), append=True)  # no reward column
    with pytest.warns(TruncatedLogWarning):
        w = LogWriter(path, furuta_meta(), extra_columns=["reward"], append=True)
    with w:
        assert w.begin_episode() == 3
        w.write(0.0, [1.0], [0.0, 0.0], [0.0, 0.0], [0.0], reward=2.0)
    log = read_log(path)
    assert [ep.index for ep in log.episodes] == [0, 1, 2, 3]
    assert len(log.episode(2)) == 0 and log.episode(3).frame["reward"].tolist() == [2.0]


# ---------------------------------------------------------------- writer guards

def test_writer_refuses_bad_rows(tmp_path: Path) -> None:
    with LogWriter(tmp_path / "w.s2r.csv", furuta_meta()) as w:
        with pytest.raises(LogFormatError, match="before begin_episode"):
            w.write(0.0, [0.0], [0.0, 0.0], [0.0, 0.0], [0.0])
        w.begin_episode()
        with pytest.raises(LogFormatError, match="row sizes u=1 q=1"):
            w.write(0.0, [0.0], [0.0], [0.0, 0.0], [0.0])
        with pytest.raises(LogFormatError, match="column u.arm is not finite"):
            w.write(0.0, [float("nan")], [0.0, 0.0], [0.0, 0.0], [0.0])
        with pytest.raises(LogFormatError, match="column qd.pendulum is not finite"):
            w.write(0.0, [0.0], [0.0, 0.0], [0.0, -np.inf], [0.0])
        w.write(1.0, [0.0], [0.0, 0.0], [0.0, 0.0], [0.0])
        with pytest.raises(LogFormatError, match="t=1.0 is not after the previous t=1.0"):
            w.write(1.0, [0.0], [0.0, 0.0], [0.0, 0.0], [0.0])
    assert len(read_log(tmp_path / "w.s2r.csv").frame) == 1  # refused rows left no trace
    with pytest.raises(LogFormatError, match="column names must be unique"):
        LogWriter(tmp_path / "v.s2r.csv", furuta_meta(), extra_columns=["t"])
    with pytest.raises(LogFormatError, match="column names must be unique, without ,"):
        LogWriter(tmp_path / "v.s2r.csv", furuta_meta(), extra_columns=["a,b"])
    with pytest.raises(LogFormatError, match="source must be one of"):
        furuta_meta(source="robot")


@pytest.mark.parametrize(("exc", "reason"), [(RuntimeError("boom"), "interrupted: RuntimeError"),
                                             (SafetyStop("pendulum speed 40 rad/s"),
                                              "safety_stop: pendulum speed 40 rad/s")])
def test_exception_in_with_block_ends_the_episode(tmp_path: Path, exc: Exception,
                                                  reason: str) -> None:
    path = tmp_path / "x.s2r.csv"
    with pytest.raises(type(exc)), LogWriter(path, furuta_meta()) as w:
        w.begin_episode()
        w.write(0.0, [0.0], [0.0, 0.0], [0.0, 0.0], [0.0])
        raise exc
    assert read_log(path).episode(0).end == {"index": 0, "steps": 1, "reason": reason}


# ---------------------------------------------------------------- validation errors

def broken(tmp_path: Path, edit: Callable[[list[str]], object]) -> Path:
    """A valid two-episode log with ``edit(lines)`` applied to its list of lines."""
    path = write_run(tmp_path / "bad.s2r.csv")
    lines = path.read_text().split("\n")
    edit(lines)
    path.write_text("\n".join(lines))
    return path


def set_field(lines: list[str], line: int, column: str, value: str) -> None:
    fields = lines[line - 1].split(",")
    fields[lines[1].split(",").index(column)] = value
    lines[line - 1] = ",".join(fields)


# Layout of write_run: 1 meta, 2 header, 3 '# episode 0', 4-8 rows, 9 '# end',
# 10 '# episode 1', 11-15 rows, 16 '# end'.
CASES = [
    ("nan", lambda ls: set_field(ls, 12, "q.arm", "nan"), 12, "column q.arm is NaN"),
    ("inf", lambda ls: set_field(ls, 5, "qd.pendulum", "-inf"), 5,
     "column qd.pendulum is infinite"),
    ("empty", lambda ls: set_field(ls, 13, "u.arm", ""), 13, "column u.arm is empty"),
    ("text", lambda ls: set_field(ls, 14, "current.arm", "12V"), 14,
     "column current.arm is not a number: '12V'"),
    ("too many", lambda ls: ls.__setitem__(6, ls[6] + ",1.0"), 7, "expected 11 fields, found 12"),
    ("too few", lambda ls: ls.__setitem__(11, ls[11].rsplit(",", 1)[0]), 12,
     "expected 11 fields, found 10"),
    ("time back", lambda ls: set_field(ls, 14, "t", "0.005"), 14,
     "t=0.005 is not after the previous row's t=0.02"),
    ("time equal", lambda ls: set_field(ls, 5, "t", "0.0"), 5, "t=0.0 is not after"),
    ("step gap", lambda ls: set_field(ls, 6, "step", "3"), 6,
     "step 3 is not consecutive (expected 2)"),
    ("step float", lambda ls: set_field(ls, 6, "step", "2.5"), 6,
     "column step is not an integer: '2.5'"),
    ("first step", lambda ls: set_field(ls, 11, "step", "1"), 11, "step 1 is not consecutive"),
    ("no episode line", lambda ls: ls.pop(2), 3, "row of episode 0 has no '# episode' line"),
    ("row after end", lambda ls: ls.insert(9, ls[7].replace("0,4,0.04", "0,5,0.05")), 10,
     "row of episode 0 after its '# end' line"),
    ("wrong episode", lambda ls: set_field(ls, 15, "episode", "0"), 15,
     "row of episode 0 follows the '# episode' line of 1"),
    ("episode json", lambda ls: ls.__setitem__(9, "# episode {index: 1"), 10,
     "'# episode' line is not a JSON object"),
    ("episode order", lambda ls: ls.__setitem__(9, '# episode {"index": 0}'), 10,
     "episode index 0 must be an integer above the previous one"),
    ("missing column", lambda ls: ls.__setitem__(1, ls[1].replace("qd.pendulum", "qd.pole")), 2,
     "missing column qd.pendulum"),
    ("no header", lambda ls: ls.pop(1), 2, "missing column episode (no CSV header)"),
    ("column order", lambda ls: ls.__setitem__(1, ls[1].replace("q.arm,q.pendulum",
                                                                "q.pendulum,q.arm")), 2,
     "columns must start with episode,step,t,u.arm,q.arm,q.pendulum"),
    ("no metadata", lambda ls: ls.pop(0), 1, "missing the '# s2r-log {json}' metadata line"),
    ("version", lambda ls: ls.__setitem__(0, ls[0].replace('"version": 1', '"version": 2')), 1,
     "format 's2r-log' version 2 is not supported (this s2r reads s2r-log version 1)"),
    ("meta json", lambda ls: ls.__setitem__(0, ls[0][:40]), 1, "bad metadata"),
]


@pytest.mark.parametrize(("edit", "line", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_validation_errors_name_file_line_and_problem(
        tmp_path: Path, edit: Callable[[list[str]], object], line: int, message: str) -> None:
    path = broken(tmp_path, edit)
    with pytest.raises(LogFormatError, match="^" + re.escape(f"{path}:{line}: {message}")):
        read_log(path)


def test_missing_file_is_a_log_format_error(tmp_path: Path) -> None:
    with pytest.raises(LogFormatError, match="nope.s2r.csv: cannot read"):
        read_log(tmp_path / "nope.s2r.csv")


def test_error_line_numbers_in_a_large_file(tmp_path: Path) -> None:
    path = write_run(tmp_path / "big.s2r.csv", episodes=30, rows=200)
    lines = path.read_text().split("\n")
    target = 3 + 17 * 202 + 1 + 150  # episode 17, row 150 (an episode: 200 rows + 2 comments)
    assert lines[target - 1].startswith("17,150,")
    set_field(lines, target, "q.pendulum", "nan")
    path.write_text("\n".join(lines))
    with pytest.raises(LogFormatError, match=re.escape(f"{path}:{target}: column q.pendulum")):
        read_log(path)


def every_row(edit: Callable[[str], str]) -> Callable[[list[str]], None]:
    def apply(lines: list[str]) -> None:
        for i, text in enumerate(lines):
            if text and text[0].isdigit():
                lines[i] = edit(text)
    return apply


def one_more(text: str) -> str:
    return text + ",1.0"


def one_less(text: str) -> str:
    return text.rsplit(",", 1)[0]


# before: when every row had one field too many (e.g. a one-row log), pandas took the first
# column as an index and the log was accepted with every column shifted
@pytest.mark.parametrize(("rows", "edit", "message"), [
    (1, every_row(one_more), "expected 11 fields, found 12"),
    (3, every_row(one_more), "expected 11 fields, found 12"),
    (1, every_row(one_less), "expected 11 fields, found 10"),
    (3, every_row(one_less), "expected 11 fields, found 10"),
], ids=["one row, one more", "all rows, one more", "one row, one less", "all rows, one less"])
def test_a_wrong_field_count_is_an_error_even_on_every_row(
        tmp_path: Path, rows: int, edit: Callable[[list[str]], None], message: str) -> None:
    path = write_run(tmp_path / "run.s2r.csv", episodes=1, rows=rows)
    lines = path.read_text().split("\n")
    edit(lines)
    path.write_text("\n".join(lines))
    with pytest.raises(LogFormatError, match="^" + re.escape(f"{path}:4: {message}")):
        read_log(path)


def test_a_log_killed_mid_row_still_reads_every_complete_row(tmp_path: Path) -> None:
    path = write_run(tmp_path / "run.s2r.csv", episodes=1, rows=3)
    text = path.read_text()
    path.write_text(text[:text.rindex("# end")] + "0,3,0.03,1.5,0.3")  # killed mid-row
    with pytest.warns(TruncatedLogWarning, match=re.escape(f"{path}:7: incomplete last line")):
        log = read_log(path)
    assert log.episode(0).t.tolist() == [0.0, 0.01, 0.02] and log.episode(0).end is None
