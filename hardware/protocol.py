"""Constants, enums, exceptions and payload helpers shared by the protocol modules.

See PROTOCOL.md §4-5. Users import these names from :mod:`hardware.messages`.

>>> StatusFlags(0x81)
<StatusFlags.ENABLED|CMD_VALID: 129>
>>> Reader("HELLO", b"\\x01\\x00").take("<H", "protocol_version")
(1,)
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from enum import IntEnum, IntFlag
from functools import lru_cache
from typing import Any

from s2r.errors import ProtocolError

PROTOCOL_VERSION = 1
MAX_TEXT = 64  # bytes of NACK/ERROR text


class MsgType(IntEnum):
    """Message type byte; bit 7 set = device to host."""

    HELLO = 0x01
    COMMAND = 0x02
    STATE_REQUEST = 0x03
    RESET = 0x04
    ENABLE = 0x05
    DISABLE = 0x06
    ESTOP = 0x07
    SET_WATCHDOG = 0x08
    DEVICE_INFO = 0x81
    STATE = 0x82
    ACK = 0x83
    NACK = 0x84
    ERROR = 0x85


class StatusFlags(IntFlag):
    """STATE status bits; WATCHDOG_TRIPPED, ESTOP, LIMIT_HIT and FAULT are latched."""

    ENABLED = 0x0001
    WATCHDOG_TRIPPED = 0x0002
    ESTOP = 0x0004
    LIMIT_HIT = 0x0008
    FAULT = 0x0010
    SATURATED = 0x0020
    RX_ERROR = 0x0040
    CMD_VALID = 0x0080


class ErrorCode(IntEnum):
    """Codes of NACK and ERROR."""

    UNKNOWN_TYPE = 1
    BAD_LENGTH = 2
    BAD_VALUE = 3
    UNSUPPORTED = 4
    NO_HANDSHAKE = 5
    ESTOP_ACTIVE = 6
    FAULT_ACTIVE = 7
    LIMIT_ACTIVE = 8


class Unit(IntEnum):
    """Unit of an action or sensor; NONE marks a passive joint."""

    NONE = 0
    VOLT = 1
    AMPERE = 2
    NEWTON = 3
    NEWTON_METRE = 4
    DUTY = 5


class JointKind(IntEnum):
    REVOLUTE = 0
    PRISMATIC = 1


class ResetMode(IntEnum):
    HOME = 0
    STATE = 1


class MessageError(ProtocolError):
    """A payload does not match the layout of its message type."""


class HandshakeError(ProtocolError):
    """DEVICE_INFO does not describe the robot the host expects."""


def fail(name: str, what: str) -> MessageError:
    return MessageError(f"{name} {what}")


def expect_len(name: str, payload: bytes, n: int, why: str = "") -> None:
    if len(payload) != n:
        raise fail(name, f"payload is {len(payload)} bytes, expected {n}{why}")


@lru_cache(maxsize=64)
def floats(n: int) -> struct.Struct:
    return struct.Struct(f"<{n}f")


def check_finite(name: str, values: Sequence[float]) -> None:
    if not all(math.isfinite(v) for v in values):
        raise fail(name, f"contains a non-finite value: {tuple(values)}")


def text_bytes(text: str) -> bytes:
    """UTF-8 of ``text`` cut to MAX_TEXT bytes at a character boundary."""
    return text.encode("utf-8")[:MAX_TEXT].decode("utf-8", "ignore").encode("utf-8")


class Reader:
    """Sequential little-endian reader that reports short payloads by message name."""

    def __init__(self, name: str, payload: bytes) -> None:
        self.name, self.buf, self.pos = name, payload, 0

    def take(self, fmt: str, what: str) -> tuple[Any, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise fail(self.name, f"payload is {len(self.buf)} bytes, too short for {what} "
                                   f"at offset {self.pos}")
        out = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return out

    def str8(self, what: str) -> str:
        (n,) = self.take("<B", f"the length of {what}")
        raw: bytes = self.take(f"<{n}s", what)[0]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise fail(self.name, f"{what} is not UTF-8: {raw!r}") from err

    def end(self) -> None:
        if self.pos != len(self.buf):
            raise fail(self.name, f"payload is {len(self.buf)} bytes, {len(self.buf) - self.pos}"
                                   f" unexpected trailing bytes after offset {self.pos}")


def str8(name: str, text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 255:
        raise fail(name, f"string {text[:20]!r}... longer than 255 bytes")
    return bytes((len(raw),)) + raw


@lru_cache(maxsize=1024)
def status_flags(bits: int) -> StatusFlags:
    """``StatusFlags(bits)``, cached: IntFlag construction is slow and few values recur."""
    return StatusFlags(bits)


def unwrap_us(raw: int, previous: int | None = None) -> int:
    """Extend a wrapping u32 device time (µs) given the previous unwrapped value.

    >>> unwrap_us(5, previous=2**32 - 10)
    4294967301
    """
    if previous is None:
        return raw
    return previous + ((raw - previous) & 0xFFFFFFFF)
