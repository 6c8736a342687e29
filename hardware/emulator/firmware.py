"""The device side of PROTOCOL.md as pure logic: no I/O, the clock is passed in.

:class:`Firmware` is the state machine of the reference firmware
(``hardware/firmware/device.c``) in Python: handshake, COMMAND with clipping
and SATURATED, STATE, RESET, ENABLE/DISABLE, latched ESTOP, watchdog and
limits, NACK/ERROR for bad input, and counters. The platform (the emulator's
server) keeps the inputs current (:meth:`Firmware.measure`), calls
:meth:`Firmware.handle` for each valid frame and :meth:`Firmware.tick` at a
fixed rate, and applies :attr:`Firmware.output` (zero unless enabled).

>>> from hardware.codec import Frame
>>> from hardware.messages import JointInfo, Unit
>>> info = DeviceInfo("fw", "demo", (JointInfo("arm", action_limits=(-5.0, 5.0),
...                                              action_unit=Unit.VOLT),))
>>> fw = Firmware(info)
>>> fw.handle(Frame(MsgType.ENABLE, 1, b""), now_us=0).code == ErrorCode.NO_HANDSHAKE
True
>>> _ = fw.handle(Frame(MsgType.HELLO, 2, b"\\x01\\x00"), now_us=0)
>>> fw.handle(Frame(MsgType.ENABLE, 3, b""), now_us=0)
Ack(request=5)
>>> state = fw.handle(Frame(MsgType.COMMAND, 4, struct.pack("<f", 9.0)), now_us=1000)
>>> fw.output, state.cmd_seq, StatusFlags.SATURATED in state.flags
((5.0,), 4, True)
>>> fw.tick(now_us=200_000)          # no COMMAND for 199 ms > 100 ms
>>> fw.output, StatusFlags.WATCHDOG_TRIPPED in fw.flags
((0.0,), True)
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from hardware.codec import Frame
from hardware.messages import (
    Ack,
    DeviceInfo,
    ErrorCode,
    ErrorMsg,
    JointInfo,
    Message,
    MsgType,
    Nack,
    State,
    StatusFlags,
)

MAX_WATCHDOG_MS = 60000
LATCHED = (StatusFlags.WATCHDOG_TRIPPED | StatusFlags.ESTOP | StatusFlags.LIMIT_HIT
           | StatusFlags.FAULT)
_EMPTY = (MsgType.STATE_REQUEST, MsgType.ENABLE, MsgType.DISABLE, MsgType.ESTOP)
_U32 = 0xFFFFFFFF

HomeFn = Callable[[], None]
SetStateFn = Callable[[tuple[float, ...], tuple[float, ...]], None]


class Firmware:
    """The protocol state machine of one device (see the module docstring).

    Args:
        info: what the device reports in DEVICE_INFO (joints, limits, watchdog).
        home: RESET HOME: bring the plant to its home state (None: nothing to do).
        set_state: RESET STATE: set the joint state exactly (None: NACK UNSUPPORTED).
    """

    def __init__(self, info: DeviceInfo, *, home: HomeFn | None = None,
                 set_state: SetStateFn | None = None) -> None:
        self.info = info
        self._home, self._set_state = home, set_state
        self._limits = [(j.position_limits, j.velocity_limit) for j in info.joints]
        self._actuated: list[JointInfo] = [j for j in info.joints if j.actuated]
        n = len(info.joints)
        #: inputs, kept current by the platform
        self.pos: tuple[float, ...] = (0.0,) * n
        self.vel: tuple[float, ...] = (0.0,) * n
        self.sensors: tuple[float, ...] = (0.0,) * len(info.sensors)
        self.estop_input = False  # e-stop switch pressed
        self.fault_input = False  # driver reports a fault
        #: output: the action to apply now, zero unless ENABLED
        self.output: tuple[float, ...] = (0.0,) * len(self._actuated)
        self.flags = StatusFlags(0)
        self.cmd_seq = 0
        self.handshaken = False
        self.watchdog_ms = info.watchdog_ms
        #: SET_WATCHDOG handling: "obey"; faults for host tests: "ignore" (ACK, keep the
        #: old timeout), "refuse" (NACK UNSUPPORTED)
        self.set_watchdog = "obey"
        self.last_feed_us = 0
        self.feeds = 0  # ENABLEs and applied COMMANDs: the watchdog was fed
        self.resent = False  # the last COMMAND was a resend of the one in effect
        self.counters: Counter[str] = Counter()
        self._rx_error = False

    @property
    def enabled(self) -> bool:
        return StatusFlags.ENABLED in self.flags

    # ------------------------------------------------------------------ inputs
    def measure(self, pos: Sequence[float], vel: Sequence[float],
                sensors: Sequence[float] = ()) -> None:
        """Update the measured joint state; a non-finite value is a sensor FAULT (sent as 0)."""
        values = [*pos, *vel, *sensors]
        if not all(math.isfinite(v) for v in values):
            self._latch(StatusFlags.FAULT, "faults")
            values = [v if math.isfinite(v) else 0.0 for v in values]
        n = len(self.pos)
        self.pos, self.vel = tuple(values[:n]), tuple(values[n:2 * n])
        self.sensors = tuple(values[2 * n:])

    def rx_error(self) -> None:
        """The receiver dropped a frame: reported once as RX_ERROR in the next STATE."""
        self._rx_error = True

    # ------------------------------------------------------------------ safety
    def tick(self, now_us: int) -> None:
        """Safety checks at a fixed rate: e-stop and fault inputs, watchdog, limits."""
        if self.estop_input:
            self._latch(StatusFlags.ESTOP, "estops")
        if self.fault_input:
            self._latch(StatusFlags.FAULT, "faults")
        if not self.enabled:
            return
        if now_us - self.last_feed_us > self.watchdog_ms * 1000:
            self.trip_watchdog()
        elif self.outside_limits():
            self._latch(StatusFlags.LIMIT_HIT, "limit_trips")

    def trip_watchdog(self) -> None:
        """Disable and latch WATCHDOG_TRIPPED (if enabled); also used by a wall-clock watchdog."""
        if self.enabled:
            self._latch(StatusFlags.WATCHDOG_TRIPPED, "watchdog_trips")

    def outside_limits(self) -> bool:
        """A joint is outside its position limits or faster than its velocity limit."""
        for ((lo, hi), vmax), q, qd in zip(self._limits, self.pos, self.vel):
            if not (lo <= q <= hi and abs(qd) <= vmax):
                return True
        return False

    def _latch(self, flag: StatusFlags, counter: str) -> None:
        if self.enabled or flag not in self.flags:
            self.counters[counter] += 1
        self.flags |= flag
        self._disable()

    def _disable(self) -> None:
        self.flags &= ~StatusFlags.ENABLED
        self.output = (0.0,) * len(self._actuated)

    # ---------------------------------------------------------------- requests
    def handle(self, frame: Frame, now_us: int) -> Message:
        """Handle one valid frame received at ``now_us``; return the one reply."""
        t, p = frame.msg_type, frame.payload
        if t == MsgType.COMMAND:
            return self._command(frame, now_us)
        if t == MsgType.HELLO:
            if len(p) < 2:
                return self._error(ErrorCode.BAD_LENGTH, "HELLO needs a protocol version")
            self.counters["hellos"] += 1
            self._disable()
            self.flags &= ~StatusFlags.CMD_VALID
            self.handshaken = True
            return replace(self.info, watchdog_ms=self.watchdog_ms)
        if t == MsgType.RESET:
            return self._reset(p)
        if t == MsgType.SET_WATCHDOG:
            if len(p) != 2:
                return self._error(ErrorCode.BAD_LENGTH, "SET_WATCHDOG needs 2 bytes")
            (ms,) = struct.unpack("<H", p)
            if not 1 <= ms <= MAX_WATCHDOG_MS:
                return self._nack(t, ErrorCode.BAD_VALUE, "watchdog must be 1..60000 ms")
            if self.set_watchdog == "refuse":
                return self._nack(t, ErrorCode.UNSUPPORTED, "the watchdog timeout is fixed")
            if self.set_watchdog == "obey":
                self.watchdog_ms = ms
            return Ack(int(t))  # "ignore": a faulty device that ACKs and keeps its own
        if t in _EMPTY:
            if p:
                return self._error(ErrorCode.BAD_LENGTH, "payload must be empty")
            if t == MsgType.STATE_REQUEST:
                self.counters["state_requests"] += 1
                return self.state(now_us)
            if t == MsgType.ENABLE:
                return self._enable(now_us)
            self._disable()
            if t == MsgType.ESTOP:
                self._latch(StatusFlags.ESTOP, "estops")
            return Ack(int(t))
        return self._error(ErrorCode.UNKNOWN_TYPE, f"unknown type 0x{t:02x}")

    def state(self, now_us: int) -> State:
        """STATE from the current inputs; RX_ERROR is reported once."""
        flags = self.flags | (StatusFlags.RX_ERROR if self._rx_error else 0)
        self._rx_error = False
        return State(now_us & _U32, self.cmd_seq, StatusFlags(flags), self.pos, self.vel,
                     self.sensors)

    def resample(self, reply: State, now_us: int) -> State:
        """``reply`` sampled again at ``now_us`` (lockstep: after the control period ran)."""
        flags = self.flags | (reply.flags & StatusFlags.RX_ERROR)
        return State(now_us & _U32, self.cmd_seq, StatusFlags(flags), self.pos, self.vel,
                     self.sensors)

    def _command(self, frame: Frame, now_us: int) -> Message:
        a = len(self._actuated)
        if len(frame.payload) != 4 * a:
            return self._error(ErrorCode.BAD_LENGTH, f"COMMAND needs {4 * a} bytes ({a} f32)")
        actions = struct.unpack(f"<{a}f", frame.payload)
        if not all(math.isfinite(u) for u in actions):
            self.output = (0.0,) * a
            return self._error(ErrorCode.BAD_VALUE, "COMMAND value not finite")
        self.resent = StatusFlags.CMD_VALID in self.flags and frame.seq == self.cmd_seq
        if self.resent:  # the host resent the command in effect: answer, do not apply again
            self.counters["commands_resent"] += 1
            return self.state(now_us)
        self.counters["commands"] += 1
        if self.enabled:
            clipped = tuple(min(max(u, j.action_limits[0]), j.action_limits[1])
                            for u, j in zip(actions, self._actuated))
            saturated = clipped != actions
            self.counters["saturated"] += saturated
            self.counters["commands_applied"] += 1
            self.output = clipped
            self.flags = (self.flags & ~StatusFlags.SATURATED) | StatusFlags.CMD_VALID
            if saturated:
                self.flags |= StatusFlags.SATURATED
            self.cmd_seq = frame.seq
            self._feed(now_us)
        return self.state(now_us)

    def _feed(self, now_us: int) -> None:
        self.last_feed_us = now_us
        self.feeds += 1

    def _enable(self, now_us: int) -> Message:
        t = MsgType.ENABLE
        if not self.handshaken:
            return self._nack(t, ErrorCode.NO_HANDSHAKE, "send HELLO first")
        if self.estop_input:
            return self._nack(t, ErrorCode.ESTOP_ACTIVE, "e-stop input asserted")
        if self.fault_input:
            return self._nack(t, ErrorCode.FAULT_ACTIVE, "motor driver fault")
        if self.outside_limits():
            return self._nack(t, ErrorCode.LIMIT_ACTIVE, "a joint is outside its limits")
        self._disable()  # zero output
        self.flags = (self.flags & ~LATCHED) | StatusFlags.ENABLED
        self.counters["enables"] += 1
        self._feed(now_us)
        return Ack(int(t))

    def _reset(self, p: bytes) -> Message:
        t, n = MsgType.RESET, len(self.pos)
        if not p:  # undecodable requests get ERROR, refused ones NACK (PROTOCOL.md §5)
            return self._error(ErrorCode.BAD_LENGTH, "RESET needs a mode byte")
        if p[0] not in (0, 1):
            return self._error(ErrorCode.BAD_VALUE, "RESET mode must be 0 or 1")
        if len(p) != (1 if p[0] == 0 else 1 + 8 * n):
            return self._error(ErrorCode.BAD_LENGTH, f"RESET mode {p[0]} needs "
                               f"{1 if p[0] == 0 else 1 + 8 * n} bytes")
        if p[0] == 1:
            values = struct.unpack(f"<{2 * n}f", p[1:])
            if not all(math.isfinite(v) for v in values):
                return self._error(ErrorCode.BAD_VALUE, "RESET state not finite")
            if self._set_state is None:
                return self._nack(t, ErrorCode.UNSUPPORTED, "this device cannot set a state")
            self._disable()
            self._set_state(values[:n], values[n:])
        else:
            self._disable()
            if self._home is not None:
                self._home()
        self.counters["resets"] += 1
        self.flags &= ~(StatusFlags.WATCHDOG_TRIPPED | StatusFlags.LIMIT_HIT
                        | StatusFlags.SATURATED | StatusFlags.CMD_VALID)
        if not self.estop_input:
            self.flags &= ~StatusFlags.ESTOP
        if not self.fault_input:
            self.flags &= ~StatusFlags.FAULT
        return Ack(int(t))

    def _nack(self, request: int, code: ErrorCode, text: str) -> Nack:
        self.counters["nacks"] += 1
        return Nack(int(request), int(code), text)

    def _error(self, code: ErrorCode, text: str) -> ErrorMsg:
        self.counters["errors"] += 1
        return ErrorMsg(int(code), text)
