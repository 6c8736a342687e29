"""A minimal blocking request/reply client of PROTOCOL.md, for tests and poking at a device.

This is not the host adapter (no safety logic, no fixed rate): it sends one
message, waits for the reply with the same seq and returns it parsed.

>>> from hardware.emulator import Emulator
>>> from hardware.messages import Enable
>>> with Emulator(robot="furuta", truth="nominal", mode="lockstep") as emu, Probe(emu.port) as p:
...     info = p.hello()
...     ack = p.request(Enable())
...     state = p.command(1.0)
>>> info.robot, state.cmd_seq == p.seq, state.t_us
('furuta', True, 10000)
"""

from __future__ import annotations

import time
from collections import deque
from types import TracebackType

import serial

from hardware.codec import FrameDecoder
from hardware.messages import Command, DeviceInfo, Hello, Message, State, parse, to_wire
from s2r.errors import DeviceError


class Probe:
    """Talk to a device on ``port`` (any pyserial URL) one request at a time."""

    def __init__(self, port: str, *, timeout: float = 2.0, baudrate: int = 1_000_000) -> None:
        self.serial = serial.serial_for_url(port, baudrate=baudrate, timeout=0.05)
        self.timeout = timeout
        self.decoder = FrameDecoder()
        self.seq = 0
        self._frames: deque[tuple[int, Message]] = deque()

    def send(self, msg: Message, seq: int | None = None) -> int:
        """Send one message (next seq unless given); return its seq."""
        self.seq = (self.seq + 1) % 256 if seq is None else seq
        self.serial.write(b"\x00" + to_wire(msg, self.seq))  # delimiter first (PROTOCOL.md §2)
        return self.seq

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (garbage, corrupted frames, ...)."""
        self.serial.write(data)

    def receive(self, timeout: float | None = None) -> tuple[int, Message] | None:
        """The next frame from the device as (seq, message), or None after ``timeout`` s."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self._frames:
            if time.monotonic() > deadline:
                return None
            data = self.serial.read(max(1, self.serial.in_waiting))
            self._frames.extend((f.seq, parse(f)) for f in self.decoder.feed(data))
        return self._frames.popleft()

    def request(self, msg: Message, timeout: float | None = None) -> Message:
        """Send ``msg`` and return the reply carrying its seq (older replies are skipped)."""
        seq = self.send(msg)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            got = self.receive(max(0.0, deadline - time.monotonic()))
            if got is None:
                raise DeviceError(f"no reply to {type(msg).__name__} seq {seq}",
                                  where=self.serial.port)
            if got[0] == seq:
                return got[1]

    def hello(self) -> DeviceInfo:
        """Handshake; return the device description."""
        reply = self.request(Hello(client="s2r probe"))
        if not isinstance(reply, DeviceInfo):
            raise DeviceError(f"HELLO answered with {reply}", where=self.serial.port)
        return reply

    def command(self, *actions: float) -> State:
        """One COMMAND; return its STATE."""
        reply = self.request(Command(tuple(actions)))
        if not isinstance(reply, State):
            raise DeviceError(f"COMMAND answered with {reply}", where=self.serial.port)
        return reply

    def close(self) -> None:
        self.serial.close()

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
