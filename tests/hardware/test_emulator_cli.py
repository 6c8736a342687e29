"""``s2r emulate`` as a subprocess: prints a port pyserial can talk to, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.emulator import Probe
from hardware.messages import Enable

ROOT = Path(__file__).resolve().parents[2]


def emulate(*args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "s2r", "emulate", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, **kw)  # type: ignore[call-overload]


def stop(proc: subprocess.Popen[str], sig: int | None = signal.SIGTERM) -> tuple[str, str]:
    """Send ``sig`` (None: none, wait for the exit) and collect the output; never leaks."""
    if sig is not None and proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_emulate_prints_a_port_serves_it_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    port_file = tmp_path / "port"
    proc = emulate("robot=pendulum", "mode=realtime", f"port_file={port_file}")
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        assert port.startswith("/dev/") and port_file.read_text().strip() == port
        with Probe(port, timeout=2.0) as p:
            assert p.hello().robot == "pendulum"
            assert p.request(Enable()).request == Enable.TYPE
            assert p.command(0.5).cmd_seq == p.seq
    finally:
        out, err = stop(proc, sig)
    assert proc.returncode == 0, err
    assert "counters" in out and "commands_applied" in out and "hellos" in out
    assert "Traceback" not in err
    assert not port_file.exists()  # removed on exit


@pytest.mark.parametrize("args, message", [
    (["mode=fast"], "mode: must be realtime or lockstep"),
    (["truth=missing.yaml"], "no such truth file"),
    (["robot=nosuchrobot"], "unknown robot 'nosuchrobot'"),
    (["drop_rate=2"], "drop_rate: must be a probability"),
])
def test_emulate_config_errors_are_one_line(args: list[str], message: str) -> None:
    proc = emulate(*args)
    out, err = stop(proc, None)
    assert proc.returncode != 0 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
