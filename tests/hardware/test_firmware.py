"""The reference firmware builds for the ATmega328P, fits it, and its protocol code
matches the Python codec byte for byte (``make host-test`` on the shared vectors)."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import conformance
import pytest

from hardware import messages as m
from hardware.codec import FrameDecoder

FIRMWARE = Path(__file__).resolve().parents[2] / "hardware" / "firmware"
FLASH_LIMIT = 32 * 1024 - 512  # 32 KiB minus the Optiboot bootloader of an Uno
RAM_LIMIT = 2048 - 256  # 2 KiB, keeping at least 256 bytes for the stack


def load_vectors_tool() -> ModuleType:
    path = FIRMWARE / "tools" / "vectors.py"
    spec = importlib.util.spec_from_file_location("s2r_fw_vectors", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def require(tool: str, package: str) -> None:
    """Skip without the tool, but fail in CI (CI set), where it must be installed."""
    if shutil.which(tool):
        return
    reason = f"{tool} not found: apt-get install -y --no-install-recommends {package}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error)")
    pytest.skip(reason)


def make(target: str, build: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}
    return subprocess.run(
        ["make", "-C", str(FIRMWARE), target, f"BUILD={build}", f"PYTHON={sys.executable}"],
        capture_output=True, text=True, timeout=300, env=env, check=False)


def test_hex_builds_and_fits(tmp_path: Path) -> None:
    require("make", "make")
    require("avr-gcc", "gcc-avr avr-libc")
    require("avr-size", "binutils-avr")
    result = make("hex", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    hex_file = tmp_path / "s2r-fw.hex"
    lines = hex_file.read_text().split()
    assert len(lines) > 10 and all(line.startswith(":") for line in lines)
    assert lines[-1] == ":00000001FF"  # Intel HEX end-of-file record
    program = int(re.search(r"Program:\s+(\d+) bytes", result.stdout).group(1))  # type: ignore[union-attr]
    data = int(re.search(r"Data:\s+(\d+) bytes", result.stdout).group(1))  # type: ignore[union-attr]
    assert 0 < program <= FLASH_LIMIT, f"flash: {program} bytes"
    assert 0 < data <= RAM_LIMIT, f"RAM: {data} bytes of static data"


def test_host_test_matches_python_vectors(tmp_path: Path) -> None:
    require("make", "make")
    require("cc", "gcc")
    result = make("host-test", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"host-test: (\d+) checks passed", result.stdout)
    assert match, result.stdout
    assert int(match.group(1)) > 1000  # the bit-flip sweep alone is thousands of checks


# ------------------------------------------------------------------ the firmware in simavr
class SimDevice:
    """The compiled firmware running in simavr, its UART on a pty (see sim/simavr_harness.c)."""

    def __init__(self, build: Path) -> None:
        import serial  # pyserial

        self.proc = subprocess.Popen(
            [str(build / "simavr_harness"), str(build / "s2r-fw.elf")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        assert self.proc.stdout is not None
        line = ""
        while not line.startswith("PTY "):
            line = self.proc.stdout.readline()
            assert line, "simavr harness exited before opening its pty"
        self.port = serial.Serial(line.split()[1], timeout=0.002)
        self.decoder = FrameDecoder()
        self.seq = 0

    def harness(self, command: str) -> str:
        """Send a harness command; for ``pwm`` return its answer line."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(command + "\n")
        if command != "pwm":
            return ""
        line = ""
        while not line.startswith("PWM "):  # skip anything simavr itself prints
            line = self.proc.stdout.readline()
            assert line, "simavr harness exited"
        return line.strip()

    def request(self, msg: m.Message, timeout: float = 5.0) -> m.Message:
        self.seq = (self.seq + 1) % 256
        self.port.write(b"\x00" + m.to_wire(msg, self.seq))  # delimiter first (PROTOCOL.md §2)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for frame in self.decoder.feed(self.port.read(max(1, self.port.in_waiting))):
                if frame.seq == self.seq:
                    return m.parse(frame)
        raise TimeoutError(f"no reply to {msg}")

    def wait_for(self, done: Callable[[m.State], bool], what: str,
                 timeout: float = 30.0) -> m.State:
        """Poll STATE until ``done(state)``: simavr runs slower than real time under load."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            state = self.request(m.StateRequest())
            assert isinstance(state, m.State)
            if done(state):
                return state
            time.sleep(0.005)
        raise TimeoutError(f"{what}: not within {timeout} s")

    def wait_state(self, flag: m.StatusFlags, timeout: float = 30.0) -> m.State:
        return self.wait_for(lambda state: flag in state.flags, f"{flag!r} set", timeout)

    def close(self) -> None:
        self.port.close()
        assert self.proc.stdin
        self.proc.stdin.close()  # the harness exits on EOF
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimDevice]:
    require("avr-gcc", "gcc-avr avr-libc")
    if not Path("/usr/include/simavr/sim_avr.h").exists():
        reason = ("simavr not installed: apt-get install -y --no-install-recommends "
                  "libsimavr-dev libsimavrparts1")
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is an error)")
        pytest.skip(reason)
    build = tmp_path_factory.mktemp("fw-sim")
    result = make("sim", build)
    assert result.returncode == 0, result.stdout + result.stderr
    device = SimDevice(build)
    assert isinstance(device.request(m.Hello()), m.DeviceInfo)
    assert device.request(m.SetWatchdog(2000)) == m.Ack(m.MsgType.SET_WATCHDOG)  # slow CI
    yield device
    device.close()


def pwm(sim: SimDevice) -> dict[str, int]:
    fields = sim.harness("pwm").split()[1:]  # PWM ocr1a=.. com1a1=.. dir=.. sleep=..
    return {k: int(v) for k, v in (f.split("=") for f in fields)}


def test_sim_handshake_is_the_furuta(sim: SimDevice) -> None:
    info = sim.request(m.Hello(client="pytest"))
    assert isinstance(info, m.DeviceInfo)
    # DEVICE_INFO reports the current watchdog timeout, set to 2000 ms by the fixture
    assert info == replace(load_vectors_tool().FURUTA_INFO, watchdog_ms=2000)


def test_sim_commands_drive_the_pwm(sim: SimDevice) -> None:
    assert sim.request(m.Reset()) == m.Ack(m.MsgType.RESET)
    assert sim.request(m.Enable()) == m.Ack(m.MsgType.ENABLE)
    state = sim.request(m.Command((1.5,)))
    assert isinstance(state, m.State) and state.cmd_seq == sim.seq
    assert state.flags == m.StatusFlags.ENABLED | m.StatusFlags.CMD_VALID
    assert pwm(sim) == {"ocr1a": 99, "com1a1": 1, "dir": 0, "sleep": 1}  # 1.5/12*800 - 1
    sim.request(m.Command((-5.0,)))
    assert pwm(sim) == {"ocr1a": 332, "com1a1": 1, "dir": 1, "sleep": 1}
    state = sim.request(m.Command((9.0,)))
    assert m.StatusFlags.SATURATED in state.flags  # type: ignore[union-attr]
    assert pwm(sim)["ocr1a"] == 332
    sim.request(m.Command((0.0,)))
    assert pwm(sim)["com1a1"] == 0
    assert sim.request(m.Disable()) == m.Ack(m.MsgType.DISABLE)
    assert pwm(sim)["sleep"] == 0


def test_sim_watchdog_trips(sim: SimDevice) -> None:
    assert sim.request(m.SetWatchdog(20)) == m.Ack(m.MsgType.SET_WATCHDOG)
    assert sim.request(m.Enable()) == m.Ack(m.MsgType.ENABLE)
    sim.request(m.Command((2.0,)))
    state = sim.wait_state(m.StatusFlags.WATCHDOG_TRIPPED)
    assert m.StatusFlags.ENABLED not in state.flags
    out = pwm(sim)
    assert (out["com1a1"], out["sleep"]) == (0, 0)  # PWM pin low, driver asleep
    assert sim.request(m.SetWatchdog(2000)) == m.Ack(m.MsgType.SET_WATCHDOG)


def test_sim_encoders_and_reset(sim: SimDevice) -> None:
    assert sim.request(m.Reset()) == m.Ack(m.MsgType.RESET)
    sim.harness("arm 256")
    sim.harness("pend -1024")
    expected = pytest.approx((math.pi / 4, -math.pi), rel=1e-6)
    sim.wait_for(lambda state: state.positions == expected, "encoders counted")
    sim.harness("arm 1792")  # 2048 counts = 2 pi rad, beyond the arm's 2.5 rad limit
    full_turn = pytest.approx(2 * math.pi, rel=1e-6)  # every edge counted, none still coming
    sim.wait_for(lambda state: state.positions[0] == full_turn, "arm turned beyond its limit")
    nack = sim.request(m.Enable())
    assert isinstance(nack, m.Nack) and nack.code == m.ErrorCode.LIMIT_ACTIVE
    assert sim.request(m.Reset()) == m.Ack(m.MsgType.RESET)
    state = sim.request(m.StateRequest())
    assert state.positions == (0.0, 0.0)  # type: ignore[union-attr]


def test_sim_estop_input_latches(sim: SimDevice) -> None:
    assert sim.request(m.Enable()) == m.Ack(m.MsgType.ENABLE)
    sim.harness("estop 1")
    state = sim.wait_state(m.StatusFlags.ESTOP)
    assert m.StatusFlags.ENABLED not in state.flags
    nack = sim.request(m.Enable())
    assert isinstance(nack, m.Nack) and nack.code == m.ErrorCode.ESTOP_ACTIVE
    sim.harness("estop 0")
    time.sleep(0.05)
    assert m.StatusFlags.ESTOP in sim.request(m.StateRequest()).flags  # type: ignore[union-attr]
    assert sim.request(m.Enable()) == m.Ack(m.MsgType.ENABLE)
    assert sim.request(m.Disable()) == m.Ack(m.MsgType.DISABLE)


def test_sim_survives_garbage_and_reports_it(sim: SimDevice) -> None:
    garbage = bytes(range(1, 256)) * 3 + b"\x00" + b"\x07\x01\x02\x00"
    for i in range(0, len(garbage), 200):  # simavr's uart_pty wedges on writes > ~511 bytes
        sim.port.write(garbage[i : i + 200])
        time.sleep(0.01)
    reply = sim.request(m.StateRequest())
    assert isinstance(reply, m.State) and m.StatusFlags.RX_ERROR in reply.flags
    again = sim.request(m.StateRequest())
    assert m.StatusFlags.RX_ERROR not in again.flags  # type: ignore[union-attr]
    assert again.t_us > reply.t_us  # type: ignore[union-attr]
    err = sim.request(m.ErrorMsg(0, ""))  # a device-to-host type sent to the device
    assert err == m.ErrorMsg(m.ErrorCode.UNKNOWN_TYPE, "unknown type 0x85")


def test_sim_delimits_every_frame_and_line_noise_costs_nothing(sim: SimDevice) -> None:
    sim.port.write(b"\x13\x37")  # noise on the idle line, then a delimited request
    sim.seq = (sim.seq + 1) % 256
    sim.port.write(b"\x00" + m.to_wire(m.StateRequest(), sim.seq))
    sim.port.timeout = 5.0
    data = sim.port.read_until(b"\x00")
    assert data == b"\x00"  # the firmware's delimiter before its reply
    data = sim.port.read_until(b"\x00")
    sim.port.timeout = 0.002
    frames = FrameDecoder().feed(data)
    assert [f.seq for f in frames] == [sim.seq]  # the request survived the noise
    reply = m.parse(frames[0])
    assert isinstance(reply, m.State) and m.StatusFlags.RX_ERROR in reply.flags  # noise seen


def test_sim_answers_the_conformance_table(sim: SimDevice) -> None:
    device = conformance.PortDevice(sim.port)
    device.seq = sim.seq
    assert conformance.run(device) == []
    sim.seq = device.seq
    sim.decoder = device.decoder


def test_sim_answers_a_resent_command_without_applying_it(sim: SimDevice) -> None:
    assert sim.request(m.Reset()) == m.Ack(m.MsgType.RESET)
    assert sim.request(m.Enable()) == m.Ack(m.MsgType.ENABLE)
    first = sim.request(m.Command((1.5,)))
    assert pwm(sim)["ocr1a"] == 99  # 1.5 V
    sim.seq -= 1  # resend under the same seq, with another value: must not be applied
    again = sim.request(m.Command((3.0,)))
    assert isinstance(again, m.State) and again.cmd_seq == first.cmd_seq == sim.seq  # type: ignore[union-attr]
    assert pwm(sim)["ocr1a"] == 99
    sim.request(m.Command((3.0,)))  # a new seq is applied
    assert pwm(sim)["ocr1a"] == 199  # 3/12*800 - 1
    assert sim.request(m.Disable()) == m.Ack(m.MsgType.DISABLE)


def test_serial_robot_sets_and_reads_back_the_firmware_watchdog(sim: SimDevice) -> None:
    from hardware.serial_robot import SerialRobot

    with SerialRobot("furuta", sim.port.port, watchdog_ms=1500, reply_timeout=0.5,
                     handshake_timeout=5.0) as robot:  # simavr is slow: a generous watchdog
        assert robot.device_info.watchdog_ms == 1500
    info = sim.request(m.Hello())
    assert isinstance(info, m.DeviceInfo) and info.watchdog_ms == 1500
    assert sim.request(m.SetWatchdog(2000)) == m.Ack(m.MsgType.SET_WATCHDOG)
