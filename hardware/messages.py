"""Typed messages of the s2r serial protocol (PROTOCOL.md §5), one import for all of it.

Every message is a frozen dataclass with ``encode() -> payload`` and a ``decode(payload)``
classmethod; :func:`to_wire` and :func:`parse` add and remove the framing.

>>> wire = to_wire(State(123456, 7, StatusFlags.ENABLED, (0.5, -3.0), (1.25, 0.0), (0.125,)), 7)
>>> len(wire)
35
>>> msg = parse(FrameDecoder().feed(wire)[0])
>>> msg.positions, msg.flags
((0.5, -3.0), <StatusFlags.ENABLED: 1>)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from hardware.codec import MAX_PAYLOAD, Frame, FrameDecoder, encode_frame
from hardware.device_info import (
    DeviceInfo,
    ExpectedJoint,
    JointInfo,
    SensorInfo,
    check_device_info,
    expected_from_spec,
)
from hardware.protocol import (
    MAX_TEXT,
    PROTOCOL_VERSION,
    ErrorCode,
    HandshakeError,
    JointKind,
    MessageError,
    MsgType,
    Reader,
    ResetMode,
    StatusFlags,
    Unit,
    check_finite,
    expect_len,
    fail,
    floats,
    status_flags,
    text_bytes,
    unwrap_us,
)

__all__ = [
    "MAX_TEXT", "MESSAGES", "PROTOCOL_VERSION", "Ack", "Command", "DeviceInfo", "Disable", "EStop",
    "Enable", "ErrorCode", "ErrorMsg", "ExpectedJoint", "FrameDecoder", "HandshakeError", "Hello",
    "JointInfo", "JointKind", "Message", "MessageError", "MsgType", "Nack", "Reset", "ResetMode",
    "SensorInfo", "SetWatchdog", "State", "StateRequest", "StatusFlags", "Unit",
    "check_device_info", "expected_from_spec", "parse", "to_wire", "unwrap_us",
]


_E = TypeVar("_E", bound="_Empty")


class _Empty:
    """Base of messages without payload (STATE_REQUEST, ENABLE, DISABLE, ESTOP)."""

    TYPE: ClassVar[MsgType]

    def encode(self) -> bytes:
        return b""

    @classmethod
    def decode(cls: type[_E], payload: bytes) -> _E:
        expect_len(cls.TYPE.name, payload, 0)
        return cls()


@dataclass(frozen=True)
class Hello:
    """Start a session: ``Hello().encode() == b'\\x01\\x00'``."""

    TYPE: ClassVar[MsgType] = MsgType.HELLO
    protocol_version: int = PROTOCOL_VERSION
    client: str = ""

    def encode(self) -> bytes:
        return struct.pack("<H", self.protocol_version) + self.client.encode("utf-8")

    @classmethod
    def decode(cls, payload: bytes) -> Hello:
        r = Reader("HELLO", payload)
        (version,) = r.take("<H", "protocol_version")
        return cls(version, payload[2:].decode("utf-8", "replace"))


@dataclass(frozen=True)
class Command:
    """One action per actuated joint: ``Command((1.5,)).encode() == b'\\x00\\x00\\xc0?'``."""

    TYPE: ClassVar[MsgType] = MsgType.COMMAND
    actions: tuple[float, ...]

    def encode(self) -> bytes:
        return floats(len(self.actions)).pack(*self.actions)

    @classmethod
    def decode(cls, payload: bytes, n_actions: int | None = None) -> Command:
        """Decode; with ``n_actions`` the length must match it."""
        if n_actions is not None:
            expect_len("COMMAND", payload, 4 * n_actions, f" (4 per action, {n_actions} actions)")
        elif len(payload) % 4:
            raise fail("COMMAND", f"payload is {len(payload)} bytes, not a multiple of 4")
        actions = floats(len(payload) // 4).unpack(payload)
        check_finite("COMMAND", actions)
        return cls(actions)


@dataclass(frozen=True)
class StateRequest(_Empty):
    TYPE: ClassVar[MsgType] = MsgType.STATE_REQUEST


_STATE_HEAD = struct.Struct("<IBHBB")



@dataclass(frozen=True)
class State:
    """Measurement: device time (µs, wraps), last applied seq, flags, q, qd, sensors."""

    TYPE: ClassVar[MsgType] = MsgType.STATE
    t_us: int
    cmd_seq: int
    flags: StatusFlags
    positions: tuple[float, ...]
    velocities: tuple[float, ...]
    sensors: tuple[float, ...] = ()

    def encode(self) -> bytes:
        n, m = len(self.positions), len(self.sensors)
        if len(self.velocities) != n:
            raise fail("STATE", f"has {n} positions but {len(self.velocities)} velocities")
        head = _STATE_HEAD.pack(self.t_us, self.cmd_seq, int(self.flags), n, m)
        return head + floats(2 * n + m).pack(*self.positions, *self.velocities, *self.sensors)

    @classmethod
    def decode(cls, payload: bytes, n: int | None = None, m: int | None = None) -> State:
        """Decode; with ``n``/``m`` the joint and sensor counts must match them."""
        if len(payload) < 9:
            raise fail("STATE", f"payload is {len(payload)} bytes, shorter than its 9-byte header")
        t_us, seq, flags, pn, pm = _STATE_HEAD.unpack_from(payload)
        if (n is not None and pn != n) or (m is not None and pm != m):
            raise fail("STATE", f"is for {pn} joints and {pm} sensors, expected {n} and {m}")
        expect_len("STATE", payload, 9 + 8 * pn + 4 * pm,
                    f" (9+8*n+4*m for {pn} joints and {pm} sensors)")
        vals = floats(2 * pn + pm).unpack_from(payload, 9)
        check_finite("STATE", vals)
        return cls(t_us, seq, status_flags(flags), vals[:pn], vals[pn : 2 * pn], vals[2 * pn :])


@dataclass(frozen=True)
class Reset:
    """Go home (``Reset()``) or to a joint state (``Reset(ResetMode.STATE, q, qd)``)."""

    TYPE: ClassVar[MsgType] = MsgType.RESET
    mode: ResetMode = ResetMode.HOME
    positions: tuple[float, ...] = ()
    velocities: tuple[float, ...] = ()

    def encode(self) -> bytes:
        vals = (*self.positions, *self.velocities)
        return bytes((int(self.mode),)) + floats(len(vals)).pack(*vals)

    @classmethod
    def decode(cls, payload: bytes) -> Reset:
        if not payload or payload[0] not in (0, 1):
            raise fail("RESET", f"mode must be 0 (HOME) or 1 (STATE), got {payload[:1].hex()!r}")
        if payload[0] == ResetMode.HOME:
            expect_len("RESET", payload, 1, " for mode HOME")
            return cls()
        if (len(payload) - 1) % 8:
            raise fail("RESET", f"payload is {len(payload)} bytes, expected 1+8*n for mode STATE")
        n = (len(payload) - 1) // 8
        vals = floats(2 * n).unpack_from(payload, 1)
        check_finite("RESET", vals)
        return cls(ResetMode.STATE, vals[:n], vals[n:])


@dataclass(frozen=True)
class Enable(_Empty):
    TYPE: ClassVar[MsgType] = MsgType.ENABLE


@dataclass(frozen=True)
class Disable(_Empty):
    TYPE: ClassVar[MsgType] = MsgType.DISABLE


@dataclass(frozen=True)
class EStop(_Empty):
    TYPE: ClassVar[MsgType] = MsgType.ESTOP


@dataclass(frozen=True)
class SetWatchdog:
    """Set the device watchdog timeout, 1..60000 ms."""

    TYPE: ClassVar[MsgType] = MsgType.SET_WATCHDOG
    timeout_ms: int

    def encode(self) -> bytes:
        return struct.pack("<H", self.timeout_ms)

    @classmethod
    def decode(cls, payload: bytes) -> SetWatchdog:
        expect_len("SET_WATCHDOG", payload, 2)
        return cls(struct.unpack("<H", payload)[0])


@dataclass(frozen=True)
class Ack:
    """Acknowledges a configuration request of type ``request``."""

    TYPE: ClassVar[MsgType] = MsgType.ACK
    request: int

    def encode(self) -> bytes:
        return bytes((self.request,))

    @classmethod
    def decode(cls, payload: bytes) -> Ack:
        expect_len("ACK", payload, 1)
        return cls(payload[0])


@dataclass(frozen=True)
class Nack:
    """Refuses a well-formed request: ``Nack(MsgType.ENABLE, ErrorCode.ESTOP_ACTIVE, "...")``."""

    TYPE: ClassVar[MsgType] = MsgType.NACK
    request: int
    code: int
    text: str = ""

    def encode(self) -> bytes:
        return struct.pack("<BH", self.request, self.code) + text_bytes(self.text)

    @classmethod
    def decode(cls, payload: bytes) -> Nack:
        request, code = Reader("NACK", payload).take("<BH", "request type and code")
        return cls(request, code, payload[3:].decode("utf-8", "replace"))


@dataclass(frozen=True)
class ErrorMsg:
    """The device could not interpret a request: ``ErrorMsg(ErrorCode.UNKNOWN_TYPE, "...")``."""

    TYPE: ClassVar[MsgType] = MsgType.ERROR
    code: int
    text: str = ""

    def encode(self) -> bytes:
        return struct.pack("<H", self.code) + text_bytes(self.text)

    @classmethod
    def decode(cls, payload: bytes) -> ErrorMsg:
        (code,) = Reader("ERROR", payload).take("<H", "code")
        return cls(code, payload[2:].decode("utf-8", "replace"))


Message = (
    Hello | DeviceInfo | Command | StateRequest | State | Reset | Enable | Disable | EStop
    | SetWatchdog | Ack | Nack | ErrorMsg
)
MESSAGES: dict[int, type[Any]] = {
    cls.TYPE: cls
    for cls in (Hello, DeviceInfo, Command, StateRequest, State, Reset, Enable, Disable, EStop,
                SetWatchdog, Ack, Nack, ErrorMsg)
}


def parse(frame: Frame) -> Message:
    """Decode a frame's payload into its message; unknown types raise MessageError.

    >>> parse(Frame(0x83, 4, b"\\x05"))
    Ack(request=5)
    """
    cls = MESSAGES.get(frame.msg_type)
    if cls is None:
        raise MessageError(f"unknown message type 0x{frame.msg_type:02x} (seq {frame.seq})")
    msg: Message = cls.decode(frame.payload)
    return msg


def to_wire(msg: Message, seq: int) -> bytes:
    """Encode a message into the bytes of one frame, delimiter included.

    >>> to_wire(Enable(), 1).hex()
    '050501dbf200'
    """
    payload = msg.encode()
    if len(payload) > MAX_PAYLOAD:
        raise MessageError(f"{MsgType(msg.TYPE).name} payload is {len(payload)} bytes, more than "
                           f"a frame holds ({MAX_PAYLOAD}): shorten names or split the robot")
    return encode_frame(msg.TYPE, seq, payload)

