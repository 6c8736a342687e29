"""The emulated device on a real pty, driven through pyserial like a host would."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from hardware.emulator import Emulator, EmulatorConfig, Probe
from hardware.messages import (
    Ack,
    Command,
    DeviceInfo,
    Disable,
    Enable,
    ErrorCode,
    ErrorMsg,
    EStop,
    Nack,
    Reset,
    ResetMode,
    SetWatchdog,
    State,
    StateRequest,
    StatusFlags,
    check_device_info,
    expected_from_spec,
    to_wire,
)
from s2r.sim import SimRobot

F = StatusFlags
IDEAL = dict(encoder_cpr=0, position_noise=0.0, velocity_noise=0.0, sensor_noise=0.0,
             action_jitter=0.0, comm_latency=0.0, comm_jitter=0.0, velocity_filter=0.0)
Make = Callable[..., tuple[Emulator, Probe]]


@pytest.fixture
def make() -> Iterator[Make]:
    """Start emulators (lockstep furuta unless told) with a Probe each; always closed."""
    opened: list[tuple[Emulator, Probe]] = []

    def start(**kw: object) -> tuple[Emulator, Probe]:
        emu = Emulator(EmulatorConfig(**{"robot": "furuta", "mode": "lockstep", **kw}))
        emu.start()
        try:
            probe = Probe(emu.port, timeout=1.0)
        except BaseException:
            emu.close()
            raise
        opened.append((emu, probe))
        return emu, probe

    yield start
    for emu, probe in opened:
        probe.close()
        emu.close()  # joins the thread; re-raises if it crashed


def ready(p: Probe) -> DeviceInfo:
    info = p.hello()
    assert p.request(Enable()) == Ack(Enable.TYPE)
    return info


def test_handshake_matches_the_robot_spec(make: Make) -> None:
    emu, p = make(robot="furuta", truth="bench", watchdog_ms=80)
    info = p.hello()
    with SimRobot("furuta") as robot:
        check_device_info(info, "furuta", expected_from_spec(robot.spec),
                          expected_sensors=robot.spec.sensors)
    assert info.firmware.startswith("s2r-emu") and info.watchdog_ms == 80
    assert info.rate_hint_hz == 100 and [j.counts_per_rev for j in info.joints] == [2048, 2048]
    assert emu.stats["hellos"] == 1 and emu.stats["frames_in"] == emu.stats["frames_out"] == 1


@pytest.mark.parametrize("robot", ["pendulum", "cartpole"])
def test_other_robots_handshake(make: Make, robot: str) -> None:
    _, p = make(robot=robot)
    info = ready(p)
    assert info.robot == robot and p.command(0.5).cmd_seq == p.seq


def test_lockstep_command_echoes_seq_and_advances_exactly_one_period(make: Make) -> None:
    emu, p = make()
    ready(p)
    t0 = p.request(StateRequest()).t_us
    times = []
    for u in voltages(300):  # seq wraps at 256
        state = p.command(u)
        assert state.cmd_seq == p.seq and F.ENABLED | F.CMD_VALID in state.flags
        times.append(state.t_us)
    assert np.all(np.diff(times) == 10_000) and times[-1] - t0 == 300 * 10_000
    assert p.request(StateRequest()).t_us == times[-1]  # reading does not advance time
    stats = emu.stats
    assert stats["commands"] == stats["commands_applied"] == 300 and stats["state_requests"] == 2


def test_realtime_device_time_follows_the_wall_clock(make: Make) -> None:
    # a watchdog far beyond any scheduling stall: on a loaded machine the 100 ms default
    # tripped between two commands, and a disabled device applies nothing (cmd_seq stays)
    emu, p = make(mode="realtime", watchdog_ms=10_000)
    ready(p)
    start = time.monotonic()
    times, sent, received = [], [], []
    for k in range(50):  # 100 Hz
        sent.append(time.monotonic())
        state = p.command(0.2)
        received.append(time.monotonic())
        assert state.cmd_seq == p.seq
        times.append(state.t_us)
        time.sleep(max(0.0, start + (k + 1) * 0.01 - time.monotonic()))
    assert np.all(np.diff(times) > 0)
    # causality, whatever the load: the device's clock moved by no more than the wall time
    # from the first send to the last reply, and no less than from the first reply to the
    # last send (give or take one 10 ms control period of device-time resolution)
    device = (times[-1] - times[0]) * 1e-6
    assert sent[-1] - received[0] - 0.01 <= device <= received[-1] - sent[0] + 0.01  # causal


def voltages(n: int = 150) -> list[float]:
    """An open-loop excitation that keeps the arm inside its +-2.3 rad limit."""
    return [float(np.float32(2.0 * math.sin(2 * math.pi * 2.0 * 0.01 * k))) for k in range(n)]


def emulated(p: Probe) -> np.ndarray:
    ready(p)
    rows = []
    for u in voltages():
        s = p.command(u)
        assert F.ENABLED in s.flags
        rows.append([*s.positions, *s.velocities])
    return np.array(rows)


def simulated() -> np.ndarray:
    with SimRobot("furuta") as robot:
        rows = []
        for u in voltages():
            robot.act([u])
            obs = robot.observe()
            rows.append([*obs.q, *obs.qd])
    return np.array(rows)


def test_nominal_truth_without_effects_is_the_nominal_simulation(make: Make) -> None:
    _, p = make(truth="nominal", **IDEAL)
    np.testing.assert_allclose(emulated(p), simulated(), atol=1e-5)  # float32 on the wire


def test_bench_truth_differs_from_the_nominal_model(make: Make) -> None:
    _, p = make(truth="bench", **IDEAL)
    gap = np.abs(emulated(p) - simulated()).max(axis=0)
    assert gap[0] > 0.1 and gap[1] > 0.1  # rad: arm and pendulum trajectories differ


def test_positions_are_quantized_to_encoder_counts(make: Make) -> None:
    _, p = make(truth="bench")
    ready(p)
    count = 2 * math.pi / 2048
    seen = set()
    for u in voltages(60):
        for q in p.command(u).positions:
            assert abs(q / count - round(q / count)) < 1e-3
            seen.add(round(q / count))
    assert len(seen) > 20


def test_same_seed_same_states(make: Make) -> None:
    runs = []
    for seed in (4, 4, 5):
        _, p = make(truth="bench", seed=seed)
        ready(p)
        runs.append([p.command(u) for u in voltages(30)])
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_reset_to_a_state_and_home(make: Make) -> None:
    _, p = make(truth="nominal")
    p.hello()
    assert p.request(Reset(ResetMode.STATE, (0.5, 3.0), (0.0, 1.0))) == Ack(Reset.TYPE)
    s = p.request(StateRequest())
    assert s.positions == pytest.approx((0.5, 3.0)) and s.velocities == pytest.approx((0, 1))
    assert not s.flags & (F.ENABLED | F.CMD_VALID)
    assert p.request(Reset()) == Ack(Reset.TYPE)
    assert p.request(StateRequest()).positions == (0.0, 0.0)
    bad = p.request(Reset(ResetMode.STATE, (0.5,), (0.0,)))
    assert isinstance(bad, ErrorMsg) and bad.code == ErrorCode.BAD_LENGTH  # undecodable


def test_lockstep_watchdog_trips_on_a_silent_host_and_the_arm_coasts(make: Make) -> None:
    # 500 ms: far longer than any pause between two commands on a busy machine
    emu, p = make(truth="nominal", lockstep_wall_timeout_ms=500)
    ready(p)
    for _ in range(8):
        driven = p.command(2.0)
    assert driven.sensors[0] > 0.1  # A: the motor is driven
    time.sleep(1.5)  # host silent for 3x the timeout (a sleep lasts at least that long)
    state = p.request(StateRequest())
    assert F.WATCHDOG_TRIPPED in state.flags and F.ENABLED not in state.flags
    after = p.command(2.0)  # refused: the watchdog latched
    assert after.cmd_seq == driven.cmd_seq and abs(after.sensors[0]) < 1e-3  # coasting
    assert abs(after.velocities[0]) > 1.0 and emu.stats["watchdog_trips"] == 1
    assert p.request(Enable()) == Ack(Enable.TYPE)
    assert not p.command(1.0).flags & F.WATCHDOG_TRIPPED


def test_lockstep_watchdog_counts_simulated_time(make: Make) -> None:
    _, p = make(truth="nominal")
    ready(p)
    assert p.request(SetWatchdog(5)) == Ack(SetWatchdog.TYPE)  # shorter than one period
    state = p.command(1.0)
    assert F.WATCHDOG_TRIPPED in state.flags and F.ENABLED not in state.flags


def test_realtime_watchdog(make: Make) -> None:
    # 500 ms: far longer than any pause between two commands on a busy machine
    _, p = make(mode="realtime", truth="nominal", watchdog_ms=500)
    ready(p)
    for _ in range(5):
        fed = p.command(0.1)  # gently: the arm must not reach its limit before the trip
        time.sleep(0.01)
    assert F.ENABLED in fed.flags
    time.sleep(1.5)  # silent for 3x the watchdog
    state = p.request(StateRequest())
    assert F.WATCHDOG_TRIPPED in state.flags and F.ENABLED not in state.flags
    assert state.t_us - fed.t_us > 500_000


def test_estop_latches_and_refuses_commands_until_enable_or_reset(make: Make) -> None:
    emu, p = make()
    ready(p)
    applied = p.command(2.0).cmd_seq
    assert p.request(EStop()) == Ack(EStop.TYPE)
    for _ in range(3):
        s = p.command(2.0)
        assert F.ESTOP in s.flags and F.ENABLED not in s.flags and s.cmd_seq == applied
    assert p.request(Enable()) == Ack(Enable.TYPE)
    assert F.ESTOP not in p.command(2.0).flags
    p.request(EStop())
    assert p.request(Reset()) == Ack(Reset.TYPE)
    assert not p.request(StateRequest()).flags & (F.ESTOP | F.ENABLED)
    emu.press_estop()  # the e-stop button is held: ENABLE is refused
    refused = p.request(Enable())
    assert isinstance(refused, Nack) and refused.code == ErrorCode.ESTOP_ACTIVE
    emu.press_estop(False)
    assert p.request(Enable()) == Ack(Enable.TYPE) and p.request(Disable()) == Ack(Disable.TYPE)


def test_limit_hit_disables_the_arm(make: Make) -> None:
    emu, p = make(truth="nominal")
    ready(p)
    for _ in range(200):
        s = p.command(5.0)
        if F.LIMIT_HIT in s.flags:
            break
    assert F.LIMIT_HIT in s.flags and F.ENABLED not in s.flags
    assert emu.stats["limit_trips"] == 1


def test_bad_requests_get_errors(make: Make) -> None:
    emu, p = make()
    p.hello()
    reply = p.request(Command((1.0, 2.0)))
    assert isinstance(reply, ErrorMsg) and reply.code == ErrorCode.BAD_LENGTH
    p.send_raw(bytes.fromhex("05422a") + b"\x00")  # too short to be a frame
    p.send(StateRequest(), seq=200)
    assert p.receive()[0] == 200  # type: ignore[index]
    assert emu.stats["errors"] == 1 and emu.stats["framing_errors"] == 1


def test_host_garbage_and_corrupted_frames_are_counted_and_survived(make: Make) -> None:
    emu, p = make()
    p.hello()
    rng = np.random.default_rng(0)
    for _ in range(20):  # line noise, zeros included
        p.send_raw(rng.integers(0, 256, size=int(rng.integers(1, 40)), dtype=np.uint8).tobytes())
    p.send_raw(b"\x00" + bytes(rng.integers(1, 256, 400, dtype=np.uint8)) + b"\x00")  # oversize
    bad = bytearray(to_wire(Command((1.0,)), 77))
    bad[-2] ^= 0x01  # a CRC bit
    p.send_raw(bytes(bad))
    state = p.request(StateRequest())  # the device is alive and answers in order
    assert isinstance(state, State) and F.RX_ERROR in state.flags
    assert F.RX_ERROR not in p.request(StateRequest()).flags  # reported once
    assert p.receive(0.1) is None  # and never answered the corrupted frame
    stats = emu.stats
    assert stats["crc_errors"] >= 1 and stats["oversize"] >= 1 and stats["framing_errors"] >= 1
    assert stats["commands"] == 0 and stats["frames_out"] == 3


def test_the_host_can_close_and_reopen_the_port(make: Make) -> None:
    emu, p = make()
    ready(p)
    p.command(1.0)
    p.close()
    with Probe(emu.port, timeout=1.0) as again:
        info = again.hello()
        assert info.robot == "furuta" and F.ENABLED not in again.request(StateRequest()).flags
    assert emu.stats["hellos"] == 2
