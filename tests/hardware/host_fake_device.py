"""A minimal scripted device on a pseudo terminal, for the host-side tests.

Unlike the emulator it injects faults at exact frames (drop the reply to the 5th
request, ignore the 7th, go silent after 10, hang up after 12), so retry logic can be
tested deterministically. Physics is a toy (the arm velocity integrates the command);
time advances by one control period per applied COMMAND (lockstep).
"""

from __future__ import annotations

import dataclasses
import math
import os
import select
import threading
import time
import tty
from dataclasses import dataclass, field

from hardware import messages as m
from hardware.codec import FrameDecoder, encode_frame

F = m.StatusFlags
LATCHED = F.WATCHDOG_TRIPPED | F.ESTOP | F.LIMIT_HIT | F.FAULT

FURUTA = m.DeviceInfo(
    firmware="fake-device 0", robot="furuta", rate_hint_hz=100, watchdog_ms=1000,
    joints=(m.JointInfo("arm", m.JointKind.REVOLUTE, (-2.5, 2.5), 40.0, (-5.0, 5.0),
                        m.Unit.VOLT, 2048),
            m.JointInfo("pendulum", m.JointKind.REVOLUTE, (-math.inf, math.inf), 80.0,
                        (0.0, 0.0), m.Unit.NONE, 2048)),
    sensors=(m.SensorInfo("current.arm", m.Unit.AMPERE),))


@dataclass
class Faults:
    """Indices count the valid frames the device received, from 0."""

    drop_reply: set[int] = field(default_factory=set)  # handled, reply not sent
    corrupt_reply: set[int] = field(default_factory=set)  # handled, reply sent with bad CRC
    ignore: set[int] = field(default_factory=set)  # as if the request had a bad CRC
    silent_after: int | None = None  # frames >= this index get no reply and are not handled
    hang_up_after: int | None = None  # close the pty when this frame arrives
    estop_input: bool = False
    state_reset: bool = True  # RESET mode STATE supported


class FakeDevice:
    """Serve the protocol on a pty in a thread; ``port`` is the slave's path."""

    def __init__(self, info: m.DeviceInfo = FURUTA, faults: Faults | None = None,
                 period: float = 0.01) -> None:
        self.info, self.faults, self.period = info, faults or Faults(), period
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self.received: list[str] = []  # names of the messages handled, in order
        self.applied: list[tuple[float, ...]] = []  # commands applied
        self.n = len(self.info.joints)
        self.q, self.qd = [0.0] * self.n, [0.0] * self.n
        self.t_us, self.cmd_seq, self.flags = 0, 0, F(0)
        self.handshaken, self.last_cmd = False, 0.0
        self.watchdog_ms = self.info.watchdog_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._count = 0

    def __enter__(self) -> FakeDevice:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def hang_up(self) -> None:
        """Close the pty as if the USB cable was pulled."""
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self._slave = -1

    # ------------------------------------------------------------------ serving
    def _serve(self) -> None:
        dec = FrameDecoder()
        while not self._stop.is_set() and self.master >= 0:
            self._watchdog()
            try:
                ready, _, _ = select.select([self.master], [], [], 0.002)
                data = os.read(self.master, 4096) if ready else b""
            except OSError:
                return
            for frame in dec.feed(data):
                i, self._count = self._count, self._count + 1
                fl = self.faults
                if fl.hang_up_after is not None and i >= fl.hang_up_after:
                    self.hang_up()
                    return
                if i in fl.ignore or (fl.silent_after is not None and i >= fl.silent_after):
                    continue
                reply = self._handle(frame)
                if i in fl.drop_reply or reply is None:
                    continue
                wire = bytearray(encode_frame(reply.TYPE, frame.seq, reply.encode()))
                if i in fl.corrupt_reply:
                    wire[3] ^= 0x01 if wire[3] != 0x01 else 0x02  # keep it non-zero
                try:
                    os.write(self.master, bytes(wire))
                except OSError:
                    return

    def _watchdog(self) -> None:
        if self.flags & F.ENABLED and time.perf_counter() - self.last_cmd > self.watchdog_ms / 1e3:
            self.flags = (self.flags & ~F.ENABLED) | F.WATCHDOG_TRIPPED

    def _state(self) -> m.State:
        current = self.applied[-1][0] / 8.4 if self.applied and self.flags & F.ENABLED else 0.0
        return m.State(self.t_us & 0xFFFFFFFF, self.cmd_seq, self.flags, tuple(self.q),
                       tuple(self.qd), (current,) * len(self.info.sensors))

    def _handle(self, frame: object) -> m.Message | None:
        msg = m.parse(frame)  # type: ignore[arg-type]
        name = type(msg).__name__
        self.received.append(name)
        if isinstance(msg, m.Hello):
            self.handshaken, self.flags = True, F(0)
            return dataclasses.replace(self.info, watchdog_ms=self.watchdog_ms)
        if isinstance(msg, m.Command):
            if self.flags & F.CMD_VALID and frame.seq == self.cmd_seq:  # type: ignore[attr-defined]
                return self._state()  # a resend of the command in effect: not applied again
            if self.flags & F.ENABLED:
                self.applied.append(msg.actions)
                self.cmd_seq = frame.seq  # type: ignore[attr-defined]
                self.flags |= F.CMD_VALID
                self.last_cmd = time.perf_counter()
                self.qd[0] += msg.actions[0] * self.period
                self.q = [q + v * self.period for q, v in zip(self.q, self.qd)]
                self.t_us += int(self.period * 1e6)
                lo, hi = self.info.joints[0].position_limits
                if not lo <= self.q[0] <= hi:
                    self.flags = (self.flags & ~F.ENABLED) | F.LIMIT_HIT
            return self._state()
        if isinstance(msg, m.StateRequest):
            return self._state()
        if isinstance(msg, m.Reset):
            if msg.mode == m.ResetMode.STATE and not self.faults.state_reset:
                return m.Nack(m.MsgType.RESET, m.ErrorCode.UNSUPPORTED, "no state reset")
            if msg.mode == m.ResetMode.STATE:
                self.q, self.qd = list(msg.positions), list(msg.velocities)
            else:
                self.q, self.qd = [0.0] * self.n, [0.0] * self.n
            keep = F.ESTOP if self.faults.estop_input else F(0)
            self.flags = self.flags & keep
            return m.Ack(m.MsgType.RESET)
        if isinstance(msg, m.Enable):
            if not self.handshaken:
                return m.Nack(m.MsgType.ENABLE, m.ErrorCode.NO_HANDSHAKE, "no HELLO")
            if self.faults.estop_input:
                return m.Nack(m.MsgType.ENABLE, m.ErrorCode.ESTOP_ACTIVE, "e-stop asserted")
            self.flags = (self.flags & ~LATCHED) | F.ENABLED
            self.last_cmd = time.perf_counter()
            return m.Ack(m.MsgType.ENABLE)
        if isinstance(msg, m.Disable):
            self.flags &= ~F.ENABLED
            return m.Ack(m.MsgType.DISABLE)
        if isinstance(msg, m.EStop):
            self.flags = (self.flags & ~F.ENABLED) | F.ESTOP
            return m.Ack(m.MsgType.ESTOP)
        if isinstance(msg, m.SetWatchdog):
            if not 1 <= msg.timeout_ms <= 60000:
                return m.Nack(m.MsgType.SET_WATCHDOG, m.ErrorCode.BAD_VALUE, "range")
            self.watchdog_ms = msg.timeout_ms
            return m.Ack(m.MsgType.SET_WATCHDOG)
        return m.ErrorMsg(m.ErrorCode.UNKNOWN_TYPE, name)
