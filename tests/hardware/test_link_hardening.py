"""Link hardening against the emulator on a real pty: delimiters, error counters, watchdog
handshake, resent COMMANDs, baud-rate hints."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import conformance
import pytest
import serial

from hardware.codec import FrameDecoder, encode_frame
from hardware.emulator import Emulator, EmulatorConfig
from hardware.emulator.ptyport import PtyPort
from hardware.exchange import Exchanger
from hardware.messages import Hello, State, StateRequest, parse, to_wire
from hardware.messages import StatusFlags as F
from hardware.serial_link import LinkStats, SerialLink
from hardware.serial_robot import SerialRobot
from s2r.commands.hardware import _link
from s2r.errors import DeviceError

ROOT = Path(__file__).resolve().parents[2]


def lockstep(**kw: object) -> Emulator:
    return Emulator(EmulatorConfig(**{"robot": "furuta", "mode": "lockstep", **kw}))  # type: ignore[arg-type]


def read_frame_bytes(port: serial.Serial, timeout: float = 5.0) -> bytes:
    """Raw bytes up to and including the first frame's closing delimiter."""
    port.timeout = timeout
    data = port.read_until(b"\x00")
    if data == b"\x00":  # the leading delimiter: read the frame itself
        data += port.read_until(b"\x00")
    return data


# ------------------------------------------------------------------ delimiter before every frame
def test_the_emulator_sends_a_delimiter_before_every_frame() -> None:
    with lockstep() as emu:
        port = serial.serial_for_url(emu.port, timeout=5.0)
        try:
            for seq in (1, 2):
                port.write(to_wire(Hello(), seq) if seq == 1 else to_wire(StateRequest(), seq))
                data = read_frame_bytes(port)
                assert data[0] == 0 and data[-1] == 0 and b"\x00" not in data[1:-1]
                frames = FrameDecoder().feed(data)
                assert [f.seq for f in frames] == [seq]
            assert isinstance(parse(frames[0]), State)
        finally:
            port.close()


def test_line_noise_before_a_command_costs_no_retry() -> None:
    with lockstep() as emu, SerialRobot("furuta", emu.port) as robot:
        robot.reset([0.0, 0.0], [0.0, 0.0])
        robot.link.port.write(b"\x13\x37")  # noise on the idle line
        robot.act([1.0])
        assert robot.stats.retries == 0 and robot.stats.timeouts == 0
        assert emu.stats["framing_errors"] == 1 and emu.stats["commands_applied"] == 1


# ------------------------------------------------------------------ counters in the summary
def test_link_summary_prints_crc_and_framing_errors_separately() -> None:
    line = _link(LinkStats(frames_sent=9, frames_received=8, crc_errors=2, framing_errors=3))
    assert "2 CRC errors, 3 framing errors" in line


def test_garbage_is_counted_as_framing_not_crc_errors() -> None:
    with lockstep(garbage_rate=1.0) as emu, SerialRobot("furuta", emu.port) as robot:
        robot.reset([0.0, 0.0], [0.0, 0.0])
        for _ in range(5):
            robot.act([0.5])
        s = robot.stats
        assert s.framing_errors > 0 and s.retries == 0
        assert s.framing_errors + s.crc_errors == emu.stats["garbage"]  # one per junk burst


# ------------------------------------------------------------------ the watchdog in the handshake
def test_the_handshake_lowers_a_long_device_watchdog_and_reads_it_back() -> None:
    with lockstep(watchdog_ms=60000) as emu, SerialRobot("furuta", emu.port) as robot:
        assert robot.device_info.watchdog_ms == emu.firmware.watchdog_ms == 100
        assert emu.stats["hellos"] == 2  # the second HELLO read the watchdog back


@pytest.mark.parametrize("fault,match", [
    ("ignore", "device keeps a 60000 ms watchdog after SET_WATCHDOG 100 ms, the host "
               "requires at most 100 ms"),
    ("refuse", r"device refused SET_WATCHDOG 100 ms \(UNSUPPORTED: .*\); it keeps 60000 ms"),
])
def test_a_device_that_keeps_a_longer_watchdog_is_refused(fault: str, match: str) -> None:
    with lockstep(watchdog_ms=60000, set_watchdog=fault) as emu:
        with pytest.raises(DeviceError, match=match) as err:
            SerialRobot("furuta", emu.port)
        assert str(err.value).startswith(emu.port)
        assert not emu.firmware.enabled


HOST = """
import sys
from hardware.serial_robot import SerialRobot
from s2r.errors import SafetyStop
robot = SerialRobot("furuta", sys.argv[1], reply_timeout=0.5)
robot.reset([0.0, 0.0], [0.0, 0.0])
print("READY", flush=True)
while True:  # drive 0.3 V until killed (a busy machine may trip the watchdog: re-arm)
    try:
        robot.act([0.3])
    except SafetyStop:
        robot.reset([0.0, 0.0], [0.0, 0.0])
"""


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_killed_host_leaves_the_device_stopped_by_its_watchdog(tmp_path: Path) -> None:
    emu = Emulator(EmulatorConfig(robot="furuta", truth="nominal", mode="realtime",
                                  watchdog_ms=60000))
    with emu:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        host = subprocess.Popen([sys.executable, "-c", HOST, emu.port], env=env,
                                stdout=subprocess.PIPE, text=True)
        try:
            assert host.stdout is not None and host.stdout.readline().strip() == "READY"
            assert wait_for(lambda: emu.firmware.output == (pytest.approx(0.3),))
            assert emu.firmware.watchdog_ms == 100  # the host lowered the 60 s watchdog
            host.kill()  # no DISABLE, no close: the host is simply gone
            host.wait(timeout=30)
            assert wait_for(lambda: emu.firmware.output == (0.0,) and not emu.firmware.enabled)
            assert F.WATCHDOG_TRIPPED in emu.firmware.flags
        finally:
            if host.poll() is None:
                host.kill()
                host.wait(timeout=30)


# ------------------------------------------------------------------ a lost COMMAND is resent
def test_a_lost_command_is_resent_even_when_the_next_reply_is_corrupted() -> None:
    with lockstep() as emu, SerialRobot("furuta", emu.port, reply_timeout=0.5) as robot:
        robot.reset([0.0, 0.0], [0.0, 0.0])
        robot.act([0.5])
        n = emu.stats["frames_in"]  # index of the next frame the device receives
        emu.faults.lose.add(n)  # the COMMAND is lost on the line
        emu.faults.corrupt.add(n + 1)  # the reply to its first resend is corrupted
        robot.act([1.0])
        assert emu.firmware.output == (1.0,) and robot.observe().t == pytest.approx(0.02)
        assert robot.stats.retries == 2 and robot.stats.crc_errors == 1
        s = emu.stats
        assert (s["lost"], s["corrupted"], s["commands_applied"], s["commands_resent"]) == (
            1, 1, 2, 1)  # applied once (by the first resend), the second resend only answered


# ------------------------------------------------------------------ conformance table
@pytest.mark.parametrize("mode", ["lockstep", "realtime"])
def test_the_emulator_answers_the_conformance_table(mode: str) -> None:
    with Emulator(EmulatorConfig(robot="furuta", truth="nominal", mode=mode)) as emu:
        port = serial.serial_for_url(emu.port, timeout=0.01)
        try:
            assert conformance.run(conformance.PortDevice(port)) == []
        finally:
            port.close()


def test_the_conformance_check_reports_a_wrong_reply() -> None:
    wrong = (conformance.Row("RESET without payload, NACK expected", 0x04, b"",
                             conformance.nack(conformance.E.BAD_LENGTH)),)
    with lockstep() as emu:
        port = serial.serial_for_url(emu.port, timeout=0.01)
        try:
            assert conformance.run(conformance.PortDevice(port), wrong) == [
                "RESET without payload, NACK expected: expected NACK 0x2, got ERROR 0x2"]
        finally:
            port.close()


# ------------------------------------------------------------------ baud rate mismatch
@pytest.mark.parametrize("host_baud", [115200, 9600])
def test_bytes_without_a_valid_frame_get_the_baud_hint(host_baud: int) -> None:
    with lockstep(host_baud=host_baud) as emu:
        with pytest.raises(DeviceError, match=r"no reply to HELLO within 1 s \(\d+ bytes received "
                                              r"but no valid frame .*baud rate mismatch\? the "
                                              r"host uses 1000000 baud") as err:
            SerialRobot("furuta", emu.port, handshake_timeout=1.0)
        assert "nothing received" not in str(err.value)
        assert emu.stats["hellos"] >= 1  # the device answered: only the replies were garbled


def test_a_silent_device_is_not_a_baud_problem() -> None:
    with lockstep(silent_after=0.0) as emu:
        with pytest.raises(DeviceError, match="nothing received: wrong port") as err:
            SerialRobot("furuta", emu.port, handshake_timeout=0.5)
        assert "baud" not in str(err.value)


def test_an_exchange_that_only_gets_noise_says_so() -> None:
    with PtyPort() as pty:
        link = SerialLink.open(pty.path)
        try:
            ex = Exchanger(link, reply_timeout=0.05)
            os.write(pty.master, b"\x13\x37" * 5)  # bytes, never a delimiter
            with pytest.raises(DeviceError, match="no valid reply to STATE_REQUEST after 3 "
                                                  "attempts .*: 10 bytes but no valid frame"):
                ex.request(StateRequest())
        finally:
            link.close()


def test_valid_frames_that_answer_nothing_are_not_a_baud_problem() -> None:
    stop = threading.Event()

    def chatter(fd: int) -> None:  # another program's frames: valid, never our seq
        while not stop.wait(0.02):
            os.write(fd, b"\x00" + encode_frame(0x83, 200, b"\x01"))

    with PtyPort() as pty:
        thread = threading.Thread(target=chatter, args=(pty.master,), daemon=True)
        thread.start()
        try:
            with pytest.raises(DeviceError, match=r"\d+ valid frames received, none answering "
                                                  "HELLO") as err:
                SerialRobot("furuta", pty.path, handshake_timeout=0.5)
            assert "baud" not in str(err.value)
        finally:
            stop.set()
            thread.join(timeout=10)


def test_a_new_command_never_takes_the_seq_of_the_command_in_effect() -> None:
    with SerialLink.open("loop://") as link:
        assert [link.send(StateRequest()) for _ in range(4)] == [1, 2, 3, 4]
        assert link.send(StateRequest(), avoid=5) == 6
        assert link.send(StateRequest(), 6) == 6 and link.send(StateRequest()) == 7  # resend
    with lockstep() as emu, SerialRobot("furuta", emu.port) as robot:
        robot.reset([0.0, 0.0], [0.0, 0.0])
        robot.act([0.5])
        assert robot.observe().status & F.CMD_VALID
        in_effect = emu.firmware.cmd_seq
        robot.link._seq = (in_effect - 1) & 0xFF  # the counter wrapped round to it
        robot.act([1.0])  # must not be taken for a resend of the command in effect
        assert emu.firmware.output == (1.0,) and emu.firmware.cmd_seq == (in_effect + 1) & 0xFF
        assert emu.stats["commands_applied"] == 2 and emu.stats["commands_resent"] == 0


def test_the_handshake_is_patient_with_round_trips_longer_than_the_reply_timeout() -> None:
    # 50 ms each way: every round trip (>= 100 ms) outlasts 3 control-loop attempts (60 ms)
    cfg = EmulatorConfig(robot="furuta", mode="realtime", comm_latency=0.05, comm_jitter=0.0)
    with Emulator(cfg) as emu, SerialRobot("furuta", emu.port) as robot:
        assert robot.ex.reply_timeout == pytest.approx(0.02)
        assert robot.device_info.watchdog_ms == emu.firmware.watchdog_ms == 100
