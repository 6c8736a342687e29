"""``s2r record`` and ``s2r deploy`` against the emulator: logs, errors, exit codes, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from hardware.emulator import Emulator, EmulatorConfig
from s2r.cli import main
from s2r.logs import TruncatedLogWarning, read_log

REPO = Path(__file__).resolve().parents[2]
FURUTA_URDF = REPO / "configs" / "robots" / "furuta.urdf"


@pytest.fixture
def emulator():
    started: list[Emulator] = []

    def start(**kw) -> Emulator:
        cfg = EmulatorConfig(**{"robot": "furuta", "mode": "lockstep", "seed": 0, **kw})
        started.append(Emulator(cfg).__enter__())
        return started[-1]

    yield start
    for emu in started:
        emu.__exit__(None, None, None)


def s2r(*args: str) -> int:
    return main(list(args))


@pytest.mark.parametrize("excitation", ["chirp", "prbs", "multisine"])
def test_record_writes_a_log_within_the_limits(emulator, tmp_path, capsys, excitation):
    emu = emulator()
    out = tmp_path / "rec.s2r.csv"
    assert s2r("record", "robot=furuta", f"port={emu.port}", f"excitation={excitation}",
               "duration=1.5", "amplitude=4", "f0=0.5", "f1=5", f"out={out}",
               "paced=false") == 0
    text = capsys.readouterr().out
    assert "timing:" in text and "link:" in text and str(out) in text
    log = read_log(out)
    assert log.meta.source == "emulator" and log.meta.firmware_version.startswith("s2r-emu")
    assert log.meta.protocol_version == 1 and log.meta.extra["port"] == emu.port
    ep = log.episode(0)
    assert len(ep) == 150 and ep.end["reason"] == "completed"
    u = ep.u[:, 0]
    # within the action limits (5 V) and the rate limit (2 V per step) even with the
    # centring feedback (kp=2 V/rad by default) added to the 4 V signal
    assert np.abs(u).max() <= 5.0 and np.abs(np.diff(u)).max() <= 2.0 + 1e-6
    assert np.ptp(u) > 4.0  # it really excites
    assert np.abs(ep.q[:, 0]).max() < 2.3  # and the arm stayed within its limits
    assert {"t_host", "rtt"} <= set(ep.frame.columns)


def test_record_policy_excitation_and_deploy_scripted(emulator, tmp_path, capsys):
    emu = emulator()
    rec = tmp_path / "rec.s2r.csv"
    assert s2r("record", f"port={emu.port}", "excitation=policy", "policy=scripted:sine",
               "duration=0.3", f"out={rec}", "paced=false") == 0
    assert read_log(rec).meta.policy == "scripted:sine"
    dep = tmp_path / "deploy.s2r.csv"
    assert s2r("deploy", "policy=scripted:sine", "task=furuta_swingup", f"port={emu.port}",
               "episodes=2", "max_steps=20", f"out={dep}", "paced=false") == 0
    text = capsys.readouterr().out
    assert "episode 0: return" in text and "episode 1: return" in text and "timing:" in text
    log = read_log(dep)
    assert [len(ep) for ep in log.episodes] == [20, 20]
    assert log.meta.extra["task"] == "furuta_swingup"
    assert {"reward", "t_host", "rtt"} <= set(log.frame.columns)


def test_deploy_a_torch_policy_paced(emulator, tmp_path, capsys):
    import torch

    from s2r.policy import save_policy

    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1),
                              torch.nn.Tanh())
    path = tmp_path / "p.pt"
    save_policy(net, path, task="furuta_swingup", obs_dim=6, act_dim=1)
    emu = emulator()
    out = tmp_path / "deploy.s2r.csv"
    assert s2r("deploy", f"policy={path}", f"port={emu.port}", "max_steps=20",
               f"out={out}") == 0  # paced at 100 Hz: 0.2 s
    assert read_log(out).meta.policy == "p.pt"
    assert "(target 100)" in capsys.readouterr().out


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    return err


def test_bad_port_is_one_line_and_exit_3(tmp_path, capsys):
    assert s2r("record", f"port={tmp_path / 'ttyUSB7'}", f"out={tmp_path / 'r.csv'}") == 3
    assert "no such device" in one_line_error(capsys)
    assert not (tmp_path / "r.csv").exists()


def test_missing_port_and_bad_keys_are_config_errors(tmp_path, capsys):
    assert s2r("record", f"out={tmp_path / 'r.csv'}") == 2
    assert "port" in one_line_error(capsys)
    assert s2r("deploy", "port=/dev/null", "episode=2") == 2
    assert "did you mean 'episodes'" in one_line_error(capsys)
    assert s2r("record", "port=/dev/null", "excitation=square", f"out={tmp_path / 'r.csv'}") == 2
    assert "excitation: must be chirp, prbs" in one_line_error(capsys)
    (tmp_path / "old.csv").write_text("x")
    assert s2r("record", "port=/dev/null", f"out={tmp_path / 'old.csv'}") == 2
    assert "file exists" in one_line_error(capsys)


def test_handshake_mismatch_names_the_field(emulator, tmp_path, capsys):
    emu = emulator(robot="pendulum")
    assert s2r("record", "robot=furuta", f"port={emu.port}", f"out={tmp_path / 'r.csv'}") == 2
    err = one_line_error(capsys)
    assert "robot name: expected 'furuta', got 'pendulum'" in err and emu.port in err


def test_silent_device_mid_run_exit_3_and_log_readable(emulator, tmp_path, capsys):
    emu = emulator(silent_after=1.5)  # long after the handshake, even on a loaded machine
    out = tmp_path / "rec.s2r.csv"
    assert s2r("record", f"port={emu.port}", "duration=1000", f"out={out}",
               "paced=false") == 3
    assert "device silent or unplugged" in one_line_error(capsys)
    ep = read_log(out).episode(0)
    assert 0 < len(ep) <= emu.stats["commands_applied"]  # the answered ticks, logged
    assert ep.end["reason"].startswith("device_error:")


def test_safety_stop_exit_4_estop_sent_and_log_says_why(emulator, tmp_path, capsys):
    robot = tmp_path / "furuta_tight.yaml"  # the same robot, with a tight arm guard
    text = (REPO / "configs" / "robots" / "furuta.yaml").read_text()
    robot.write_text(text.replace("urdf: furuta.urdf", f"urdf: {FURUTA_URDF}")
                     .replace("position_limits: [-2.3, 2.3]", "position_limits: [-0.1, 0.1]"))
    emu = emulator()
    out = tmp_path / "rec.s2r.csv"
    assert s2r("record", f"robot={robot}", f"port={emu.port}", "excitation=chirp",
               "amplitude=5", "f0=0.2", "f1=0.3", "duration=20", f"out={out}",
               "paced=false") == 4
    assert "joint arm position" in one_line_error(capsys)
    assert emu.stats["estops"] == 1 and not emu.firmware.enabled
    end = read_log(out).episode(0).end
    assert end["reason"].startswith("safety_stop: safety guard: joint arm position")


def spawn(*args: str) -> subprocess.Popen:
    """``python -m s2r ARGS`` in a child that takes Ctrl-C as a terminal user's would: a
    test run in the background (``make test &``) ignores SIGINT, and children inherit that."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "s2r", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def spawn_record(port: str, out: Path, duration: float = 60.0) -> subprocess.Popen:
    return spawn("record", f"port={port}", f"duration={duration}", f"out={out}")


def wait_rows(child: subprocess.Popen, out: Path, rows: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count("\n") > rows + 3:
            return
        if child.poll() is not None:
            pytest.fail(f"record exited early: {child.communicate()}")
        time.sleep(0.05)
    child.kill()
    pytest.fail("record wrote no rows")


def test_sigkill_mid_recording_leaves_every_completed_row(emulator, tmp_path):
    emu = emulator()
    out = tmp_path / "killed.s2r.csv"
    child = spawn_record(emu.port, out)
    wait_rows(child, out, 50)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedLogWarning)  # a cut last line may warn
        log = read_log(out)
    ep = log.episode(0)
    assert len(ep) >= 50 and ep.end is None  # no '# end': killed
    assert np.allclose(np.diff(ep.t), 0.01)  # every completed tick, in order


def test_ctrl_c_mid_recording_disables_and_ends_the_log(emulator, tmp_path):
    emu = emulator()
    out = tmp_path / "interrupted.s2r.csv"
    child = spawn_record(emu.port, out)
    wait_rows(child, out, 20)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert read_log(out).episode(0).end["reason"] == "interrupted: KeyboardInterrupt"
    assert not emu.firmware.enabled


def test_unwritable_log_is_one_line_and_the_port_is_released(emulator, tmp_path, capsys):
    emu = emulator()
    out = tmp_path / "no" / "such" / "dir" / "rec.s2r.csv"
    assert s2r("record", f"port={emu.port}", f"out={out}", "duration=0.1") == 2
    assert "cannot write the log" in one_line_error(capsys)
    assert s2r("record", f"port={emu.port}", f"out={tmp_path / 'ok.csv'}", "duration=0.1",
               "paced=false") == 0  # the port is free again


@pytest.mark.parametrize("command, sig", [("record", signal.SIGTERM), ("deploy", signal.SIGTERM),
                                          ("record", signal.SIGHUP)])
def test_sigterm_and_sighup_stop_like_ctrl_c(emulator, tmp_path, command, sig):
    """Not the device watchdog: the actuators are disabled by the host (DISABLE acknowledged
    before the process exits), the log ends, and the exit code is 128 + the signal."""
    emu = emulator(watchdog_ms=60000)  # a missing DISABLE would leave the device enabled
    out = tmp_path / f"{command}.s2r.csv"
    args = (["record", "duration=60"] if command == "record" else
            ["deploy", "policy=scripted:zero", "episodes=100", "max_steps=10000"])
    child = spawn(*args, f"port={emu.port}", f"out={out}")
    try:
        wait_rows(child, out, 20)
        assert emu.firmware.enabled
        child.send_signal(sig)
        _, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    name = signal.Signals(sig).name
    assert child.returncode == 128 + sig, err
    assert f"interrupted by {name}" in err and "Traceback" not in err
    assert read_log(out).episode(0).end["reason"] == f"interrupted: {name}"
    assert not emu.firmware.enabled and emu.firmware.output == (0.0,)
    assert emu.stats["estops"] == 0 and emu.stats["watchdog_trips"] == 0


def test_poor_timing_warns_and_max_overrun_fraction_fails(emulator, tmp_path, capsys):
    emu = emulator()
    # 100 kHz is out of reach for any host (each exchange is a serial round trip); the
    # reply timeout (default: 2 periods, at least 5 ms) made generous for a loaded machine
    args = ("record", f"port={emu.port}", "rate=100000", "duration=0.002", "reply_timeout=2")
    assert s2r(*args, f"out={tmp_path / 'a.csv'}") == 0
    err = capsys.readouterr().err
    assert "warning: poor timing" in err and "control periods overran" in err
    timing = read_log(tmp_path / "a.csv").episode(0).end["timing"]
    assert {"overrun_fraction", "period_error_p50", "period_error_p99", "rate"} <= set(timing)

    out = tmp_path / "b.csv"
    assert s2r(*args, "max_overrun_fraction=0.05", f"out={out}") == 5
    assert "control periods overran" in one_line_error(capsys)
    ep = read_log(out).episode(0)
    assert len(ep) == 200 and ep.end["reason"].startswith("timing: ")
    assert not emu.firmware.enabled
    assert s2r(*args, "max_overrun_fraction=2", f"out={tmp_path / 'c.csv'}") == 2
    assert "max_overrun_fraction: must be 0..1, got 2.0" in one_line_error(capsys)
