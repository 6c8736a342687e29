"""The CLI never hides an error: stderr stays live, internal errors are one line plus a file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from s2r import cli
from s2r.cli import INTERNAL_ERROR, main

ROOT = Path(__file__).resolve().parents[2]


def run_s2r(*args: str, code: str | None = None, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """``python -m s2r ARGS`` (or ``python -c CODE``) with this checkout first on the path."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "s2r", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=environ,
                          cwd=ROOT)


def test_stderr_stays_live_after_main(capfd):
    assert main(["robots"]) == 0
    assert main(["rollout", "episodes=0"]) == 2
    err = capfd.readouterr().err
    assert "s2r rollout: error: <overrides>: episodes: must be >= 1, got 0" in err
    print("still here", file=sys.stderr)
    os.write(2, b"and at the fd level\n")
    err = capfd.readouterr().err
    assert "still here" in err and "and at the fd level" in err


def test_console_script_reports_a_failing_command_on_stderr():
    proc = run_s2r("rollout", "task=pendulum_swingup", "episodes=0")
    assert proc.returncode == 2
    assert proc.stderr == "s2r rollout: error: <overrides>: episodes: must be >= 1, got 0\n"
    assert proc.stdout == ""


def test_console_script_output_is_clean_on_success(tmp_path):
    proc = run_s2r("rollout", "task=pendulum_swingup", "episodes=1", "max_steps=3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and "episode 0" in proc.stdout


def _boom(args):
    raise ZeroDivisionError("division by zero in the planner")


def test_internal_error_is_one_line_with_a_saved_traceback(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    help_text, _, add_args = cli.COMMANDS["robots"]
    monkeypatch.setitem(cli.COMMANDS, "robots", (help_text, _boom, add_args))
    assert main(["robots"]) == INTERNAL_ERROR
    err = capfd.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    match = re.fullmatch(r"s2r robots: internal error: ZeroDivisionError: division by zero in "
                         r"the planner \(traceback: (.+)\)", lines[0])
    assert match, lines[0]
    saved = Path(match.group(1))
    assert saved.parent == tmp_path / "cache" / "s2r"
    text = saved.read_text()
    assert "Traceback (most recent call last)" in text and "_boom" in text
    assert "s2r robots" in text
    # and the next error still reaches stderr
    assert main(["rollout", "episodes=-1"]) == 2
    assert "episodes" in capfd.readouterr().err


def test_traceback_falls_back_to_the_temp_dir(monkeypatch, tmp_path):
    blocked = tmp_path / "not_a_dir"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)
    try:
        raise RuntimeError("x")
    except RuntimeError as err:
        path = cli.save_traceback("demo", ["demo"], err)
    assert path.parent == tmp_path / "tmp" and "RuntimeError: x" in path.read_text()


def test_internal_error_in_a_subprocess(tmp_path):
    code = ("import sys\n"
            "from s2r import cli, commands\n"
            "def broken(args):\n"
            "    import struct; struct.pack('<H', 70000)\n"
            "h, _, a = cli.COMMANDS['robots']\n"
            "cli.COMMANDS['robots'] = (h, broken, a)\n"
            "sys.exit(cli.main(['robots']))\n")
    proc = run_s2r(code=code, env={"XDG_CACHE_HOME": str(tmp_path)})
    assert proc.returncode == INTERNAL_ERROR
    line = proc.stderr.strip()
    assert line.startswith("s2r robots: internal error: error: ") and "\n" not in line
    path = Path(line.rsplit("(traceback: ", 1)[1].rstrip(")"))
    assert path.is_file() and "in broken" in path.read_text()


def test_exit_codes_are_documented():
    proc = run_s2r("--help")
    assert proc.returncode == 0
    assert f"{INTERNAL_ERROR} internal error" in proc.stdout.replace("\n", " ")


@pytest.mark.parametrize("argv", [["nonsense"], ["rollout", "--no-such-flag"]])
def test_argument_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_internal_error_without_a_message(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def silent(args):
        raise RuntimeError

    help_text, _, add_args = cli.COMMANDS["robots"]
    monkeypatch.setitem(cli.COMMANDS, "robots", (help_text, silent, add_args))
    assert main(["robots"]) == INTERNAL_ERROR
    assert capfd.readouterr().err.startswith("s2r robots: internal error: RuntimeError "
                                             f"(traceback: {tmp_path / 's2r'}")


def test_an_unwritable_path_is_a_user_error(tmp_path, capfd):
    out = tmp_path / "no_such_dir" / "r.s2r.csv"
    assert main(["rollout", "task=pendulum_swingup", "episodes=1", "max_steps=2",
                 f"out={out}"]) == 2
    assert capfd.readouterr().err == f"s2r rollout: error: {out}: No such file or directory\n"


def test_an_oserror_without_a_path_is_an_internal_error(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def fail(args):
        raise OSError(5, "Input/output error")

    help_text, _, add_args = cli.COMMANDS["robots"]
    monkeypatch.setitem(cli.COMMANDS, "robots", (help_text, fail, add_args))
    assert main(["robots"]) == INTERNAL_ERROR
    assert "internal error: OSError: [Errno 5] Input/output error" in capfd.readouterr().err
