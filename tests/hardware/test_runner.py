"""The fixed-rate runner: logging, and disable + close on every exit path."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import numpy as np
import pytest

from hardware.emulator import Emulator, EmulatorConfig
from hardware.serial_robot import SerialRobot
from s2r.errors import DeviceError, SafetyStop, TimingError
from s2r.logs import LogWriter, read_log
from s2r.robot import SafetyLimits
from s2r.rollout import log_meta
from s2r.runner import EXTRA_COLUMNS, Pacer, StopSignal, end_reason, run_signal, run_task
from s2r.safety import GuardedRobot, SafetyGuard
from s2r.tasks import FurutaSwingup


@pytest.fixture
def emu():
    with Emulator(EmulatorConfig(robot="furuta", truth="bench", mode="lockstep", seed=0)) as e:
        yield e


@pytest.fixture
def robot(emu):
    serial = SerialRobot("furuta", emu.port)
    yield GuardedRobot(serial)
    serial.close()


def writer(tmp_path: Path, robot, extra=EXTRA_COLUMNS) -> LogWriter:
    return LogWriter(tmp_path / "run.s2r.csv", log_meta(robot.spec, "emulator"), extra)


def assert_stopped(emu: Emulator, robot: GuardedRobot) -> None:
    assert not robot.link.is_open  # port closed
    assert not emu.firmware.enabled  # actuators off (DISABLE or ESTOP reached the device)


def sine(t: float, obs) -> np.ndarray:
    return np.array([2.0 * np.sin(2 * np.pi * t)])


def test_run_signal_logs_every_tick_then_disables_and_closes(emu, robot, tmp_path):
    with writer(tmp_path, robot) as log:
        res = run_signal(robot, sine, steps=50, rate=None, writer=log, episode_meta={"seed": 1})
    assert res.reason == "completed" and res.steps == 50
    assert_stopped(emu, robot)
    ep = read_log(tmp_path / "run.s2r.csv").episode(0)
    assert len(ep) == 50 and ep.end["reason"] == "completed" and ep.meta["seed"] == 1
    assert np.allclose(np.diff(ep.t), 0.01)  # device time, one lockstep period per tick
    assert (ep.frame["rtt"] > 0).all() and ep.frame["t_host"].is_monotonic_increasing
    # u is the command actually sent: the signal at the nominal tick times
    np.testing.assert_allclose(ep.u[:, 0], [sine(k / 100, None)[0] for k in range(50)],
                               atol=1e-6)
    assert emu.stats["commands_applied"] == 50
    assert res.timing["ticks"] == 50 and res.timing["rtt_p50"] > 0


def test_paced_run_records_timing(emu, robot):
    res = run_signal(robot, sine, steps=20, rate=200.0)
    t = res.timing
    assert t["ticks"] == 20 and t["rate"] > 0 and t["period_error_max"] >= 0
    assert_stopped(emu, robot)


def test_exception_in_the_controller_ends_the_episode_and_stops(emu, robot, tmp_path):
    def boom(t, obs):
        if t >= 0.1:
            raise RuntimeError("controller bug")
        return np.zeros(1)

    with writer(tmp_path, robot) as log, pytest.raises(RuntimeError):
        run_signal(robot, boom, steps=50, rate=None, writer=log)
    assert_stopped(emu, robot)
    ep = read_log(tmp_path / "run.s2r.csv").episode(0)
    assert len(ep) == 10 and ep.end["reason"] == "error: RuntimeError: controller bug"


def test_ctrl_c_from_a_policy_still_disables_and_closes(emu, robot, tmp_path):
    env = FurutaSwingup(robot, max_steps=100)
    calls = []

    def policy(obs):
        calls.append(1)
        if len(calls) == 30:
            raise KeyboardInterrupt
        return np.array([0.3])

    with writer(tmp_path, robot, ("reward", *EXTRA_COLUMNS)) as log, \
            pytest.raises(KeyboardInterrupt):
        run_task(env, policy, episodes=3, rate=None, writer=log)
    assert_stopped(emu, robot)
    ep = read_log(tmp_path / "run.s2r.csv").episode(0)
    assert len(ep) == 29 and ep.end["reason"] == "interrupted: KeyboardInterrupt"


def test_guard_trip_in_a_task_sends_estop_and_logs_the_reason(emu, tmp_path):
    serial = SerialRobot("furuta", emu.port)
    tight = SafetyLimits(position={"arm": (-0.2, 0.2)}, max_action_delta=2.0)
    robot = GuardedRobot(serial, SafetyGuard(serial.spec, tight))
    env = FurutaSwingup(robot, max_steps=500)
    with writer(tmp_path, robot, ("reward", *EXTRA_COLUMNS)) as log, \
            pytest.raises(SafetyStop, match="joint arm position"):
        run_task(env, lambda obs: np.ones(1), episodes=1, rate=None, writer=log)
    assert_stopped(emu, robot)
    assert emu.stats["estops"] == 1
    end = read_log(tmp_path / "run.s2r.csv").episode(0).end
    assert end["reason"].startswith("safety_stop: safety guard: joint arm position")


def test_silent_device_mid_run_is_a_device_error_in_the_log(tmp_path):
    cfg = EmulatorConfig(robot="furuta", mode="lockstep", silent_after=1.0)  # after handshake
    with Emulator(cfg) as emu:
        robot = GuardedRobot(SerialRobot("furuta", emu.port))
        with writer(tmp_path, robot) as log, pytest.raises(DeviceError):
            run_signal(robot, sine, steps=1_000_000, rate=None, writer=log)
        assert not robot.link.is_open
    end = read_log(tmp_path / "run.s2r.csv").episode(0).end
    assert end["reason"].startswith("device_error:") and "silent" in end["reason"]


def test_run_task_episodes_with_reset_between(emu, robot, tmp_path):
    env = FurutaSwingup(robot, max_steps=25)
    seen = []
    with writer(tmp_path, robot, ("reward", *EXTRA_COLUMNS)) as log:
        results = run_task(env, lambda obs: np.array([0.5]), episodes=2, seed=3, rate=None,
                           writer=log, settle=0.01, on_episode=seen.append)
    assert [r.steps for r in results] == [25, 25] and seen == results
    assert all(r.reason == "truncated" for r in results)
    assert_stopped(emu, robot)
    log = read_log(tmp_path / "run.s2r.csv")
    assert [ep.meta["seed"] for ep in log.episodes] == [3, 4]
    assert log.episode(1).end["ret"] == pytest.approx(log.episode(1).frame["reward"].sum())
    assert emu.stats["resets"] == 2


def test_close_false_leaves_the_robot_open(emu, robot):
    run_signal(robot, sine, steps=3, rate=None, close=False)
    assert robot.link.is_open


def test_pacer_counts_overruns_and_skips_missed_deadlines():
    pacer = Pacer(1000.0)
    pacer.start()
    for k in range(6):
        pacer.wait()
        if k == 2:
            time.sleep(0.01)  # ten periods of work in one tick
    s = pacer.stats
    assert len(s.ticks) == 6 and s.overruns >= 1 and s.missed >= 5
    unpaced = Pacer(None)
    unpaced.start()
    unpaced.wait()
    assert unpaced.stats.summary()["ticks"] == 1


def test_end_reasons():
    assert end_reason(SafetyStop("x")) == "safety_stop: x"
    assert end_reason(DeviceError("y", where="/dev/x")) == "device_error: /dev/x: y"
    assert end_reason(KeyboardInterrupt()) == "interrupted: KeyboardInterrupt"
    assert end_reason(StopSignal(signal.SIGHUP)) == "interrupted: SIGHUP"
    assert end_reason(TimingError("too late")) == "timing: too late"


def test_sim_and_emulated_hardware_apply_identical_commands(emu, robot):
    """The same actions through the same task give the same commands in sim and on the
    device: one safety layer (clipping, 2 V/step rate limit) in both."""
    actions = [1.0, -1.0, 1.0, 0.9, -0.2, -1.0, 0.0, 1.0, 1.0, -0.7] * 3

    def applied(env) -> list[float]:
        env.reset(seed=0)
        return [float(env.step(np.array([a]))[4]["applied_action"][0]) for a in actions]

    sim_env = FurutaSwingup(max_steps=100)
    hw_env = FurutaSwingup(robot, max_steps=100)
    assert hw_env.guard is robot.guard  # the task filters with the robot's own guard
    sim, hw = applied(sim_env), applied(hw_env)
    sim_env.close()
    assert sim == pytest.approx(hw, abs=1e-6)  # the device's float32 round trip
    assert np.abs(np.diff([0.0, *sim])).max() == pytest.approx(2.0)
    assert robot.guard.rate_limited > 0
