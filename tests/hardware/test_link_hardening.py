"""Link hardening against the emulator on a real pty: delimiters, error counters, watchdog
handshake, resent COMMANDs, baud-rate hints."""

from __future__ import annotations

import serial

from hardware.codec import FrameDecoder
from hardware.emulator import Emulator, EmulatorConfig
from hardware.messages import Hello, State, StateRequest, parse, to_wire
from hardware.serial_link import LinkStats
from hardware.serial_robot import SerialRobot
from s2r.commands.hardware import _link


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
