"""One request → reply table of PROTOCOL.md §5, run against every device implementation.

Each row is a raw request (type byte and payload bytes, so malformed requests can be
sent) and the replies allowed for it, as ``(reply type, code)``: the NACK/ERROR code,
the acknowledged request type for ACK, the ENABLED and CMD_VALID flags for STATE, 0 for
DEVICE_INFO. The rows run in order on one device (the furuta: one action, two joints),
each answering with exactly one frame carrying the request's ``seq``.
``tests/hardware/test_link_hardening.py`` runs the table against the emulator over its
pty, ``tests/hardware/test_firmware.py`` against the reference firmware in simavr.

>>> [row.what for row in TABLE[:3]]
['HELLO without payload', 'HELLO with 1 byte', 'HELLO']
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

import serial

from hardware.codec import Frame, FrameDecoder, encode_frame
from hardware.messages import ErrorCode as E
from hardware.messages import MsgType as T
from hardware.messages import StatusFlags

STATE_FLAGS = StatusFlags.ENABLED | StatusFlags.CMD_VALID  # the flags a row checks
NAN, INF = struct.pack("<f", float("nan")), struct.pack("<f", float("inf"))
ONE, TWO = struct.pack("<f", 1.0), struct.pack("<f", 2.0)
ZEROS = bytes(16)  # positions and velocities of the furuta's two joints


@dataclass(frozen=True)
class Row:
    what: str
    type: int
    payload: bytes
    replies: tuple[tuple[int, int], ...]  # allowed (reply type, code)
    resend: bool = False  # reuse the previous row's seq (a resent request)


def ack(t: T) -> tuple[tuple[int, int]]:
    return ((T.ACK, t),)


def err(code: E) -> tuple[tuple[int, int]]:
    return ((T.ERROR, code),)


def nack(code: E) -> tuple[tuple[int, int]]:
    return ((T.NACK, code),)


def state(flags: int) -> tuple[tuple[int, int]]:
    return ((T.STATE, flags),)


TABLE: tuple[Row, ...] = (
    Row("HELLO without payload", T.HELLO, b"", err(E.BAD_LENGTH)),
    Row("HELLO with 1 byte", T.HELLO, b"\x01", err(E.BAD_LENGTH)),
    Row("HELLO", T.HELLO, b"\x01\x00conformance", ((T.DEVICE_INFO, 0),)),
    Row("SET_WATCHDOG without payload", T.SET_WATCHDOG, b"", err(E.BAD_LENGTH)),
    Row("SET_WATCHDOG with 3 bytes", T.SET_WATCHDOG, b"\x10\x00\x00", err(E.BAD_LENGTH)),
    Row("SET_WATCHDOG 0 ms", T.SET_WATCHDOG, struct.pack("<H", 0), nack(E.BAD_VALUE)),
    Row("SET_WATCHDOG 60001 ms", T.SET_WATCHDOG, struct.pack("<H", 60001), nack(E.BAD_VALUE)),
    Row("SET_WATCHDOG 2000 ms", T.SET_WATCHDOG, struct.pack("<H", 2000), ack(T.SET_WATCHDOG)),
    Row("COMMAND without payload", T.COMMAND, b"", err(E.BAD_LENGTH)),
    Row("COMMAND with 3 bytes", T.COMMAND, b"\x00\x00\x80", err(E.BAD_LENGTH)),
    Row("COMMAND with 2 actions", T.COMMAND, ONE + ONE, err(E.BAD_LENGTH)),
    Row("COMMAND NaN", T.COMMAND, NAN, err(E.BAD_VALUE)),
    Row("COMMAND inf", T.COMMAND, INF, err(E.BAD_VALUE)),
    Row("COMMAND while disabled", T.COMMAND, ONE, state(0)),
    Row("STATE_REQUEST", T.STATE_REQUEST, b"", state(0)),
    Row("STATE_REQUEST with payload", T.STATE_REQUEST, b"\x00", err(E.BAD_LENGTH)),
    Row("RESET without payload", T.RESET, b"", err(E.BAD_LENGTH)),
    Row("RESET mode 2", T.RESET, b"\x02", err(E.BAD_VALUE)),
    Row("RESET mode 255", T.RESET, b"\xff", err(E.BAD_VALUE)),
    Row("RESET HOME with 2 bytes", T.RESET, b"\x00\x00", err(E.BAD_LENGTH)),
    Row("RESET STATE for 1 joint", T.RESET, b"\x01" + bytes(8), err(E.BAD_LENGTH)),
    Row("RESET STATE with NaN", T.RESET, b"\x01" + bytes(4) + NAN + bytes(8),
        err(E.BAD_VALUE)),
    Row("RESET STATE", T.RESET, b"\x01" + ZEROS, ack(T.RESET) + nack(E.UNSUPPORTED)),
    Row("RESET HOME", T.RESET, b"\x00", ack(T.RESET)),
    Row("ENABLE with payload", T.ENABLE, b"\x00", err(E.BAD_LENGTH)),
    Row("DISABLE with payload", T.DISABLE, b"\x00", err(E.BAD_LENGTH)),
    Row("ESTOP with payload", T.ESTOP, b"\x00", err(E.BAD_LENGTH)),
    Row("ENABLE", T.ENABLE, b"", ack(T.ENABLE)),
    Row("COMMAND while enabled", T.COMMAND, ONE, state(STATE_FLAGS)),
    Row("COMMAND resent under its seq", T.COMMAND, TWO, state(STATE_FLAGS), resend=True),
    Row("DISABLE", T.DISABLE, b"", ack(T.DISABLE)),
    Row("COMMAND after DISABLE", T.COMMAND, ONE, state(StatusFlags.CMD_VALID)),
    Row("ESTOP", T.ESTOP, b"", ack(T.ESTOP)),
    Row("ENABLE clears ESTOP", T.ENABLE, b"", ack(T.ENABLE)),
    Row("DISABLE again", T.DISABLE, b"", ack(T.DISABLE)),
    Row("type 0x00", 0x00, b"", err(E.UNKNOWN_TYPE)),
    Row("type 0x09", 0x09, b"", err(E.UNKNOWN_TYPE)),
    Row("type 0x7f", 0x7F, b"", err(E.UNKNOWN_TYPE)),
    Row("type 0x81 (DEVICE_INFO, device to host)", 0x81, b"", err(E.UNKNOWN_TYPE)),
    Row("type 0x85 (ERROR, device to host)", 0x85, b"\x01\x00", err(E.UNKNOWN_TYPE)),
)


def reply_key(frame: Frame) -> tuple[int, int]:
    """``(reply type, code)`` of a reply frame, as the table states it."""
    t, p = frame.msg_type, frame.payload
    if t == T.ACK and len(p) == 1:
        return t, p[0]
    if t == T.NACK and len(p) >= 3:
        return t, p[1] | p[2] << 8
    if t == T.ERROR and len(p) >= 2:
        return t, p[0] | p[1] << 8
    if t == T.STATE and len(p) >= 7:
        return t, (p[5] | p[6] << 8) & STATE_FLAGS
    return t, 0


class PortDevice:
    """Send raw requests to a device on an open pyserial port, one at a time."""

    def __init__(self, port: serial.SerialBase, timeout: float = 5.0) -> None:
        self.port, self.timeout = port, timeout
        self.decoder = FrameDecoder()
        self.seq = 0

    def exchange(self, msg_type: int, payload: bytes, seq: int) -> list[Frame]:
        """Send one request; return the frames received until its reply (inclusive)."""
        self.port.write(b"\x00" + encode_frame(msg_type, seq, payload))
        got: list[Frame] = []
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            got += self.decoder.feed(self.port.read(max(1, self.port.in_waiting)))
            if any(f.seq == seq for f in got):
                return got
        return got


def run(device: PortDevice, table: tuple[Row, ...] = TABLE) -> list[str]:
    """Run the table in order; one line per row the device answered wrongly."""
    problems, seq = [], device.seq
    for row in table:
        if not row.resend:
            seq = (seq + 1) & 0xFF
        frames = device.exchange(row.type, row.payload, seq)
        keys = [reply_key(f) for f in frames if f.seq == seq]
        if len(frames) != 1 or len(keys) != 1:
            problems.append(f"{row.what}: expected one reply, got {frames}")
        elif keys[0] not in row.replies:
            problems.append(f"{row.what}: expected {_show(row.replies)}, got {_show(keys)}")
    device.seq = seq
    return problems


def _show(keys: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> str:
    return " or ".join(f"{T(t).name if t in T._value2member_map_ else hex(t)} {c:#x}"
                       for t, c in keys)
