"""The host end of the serial link: opening a port, framing, sequence numbers, round trips.

:class:`SerialLink` sends messages of :mod:`hardware.messages` with a fresh ``seq`` each
(PROTOCOL.md §3), collects the device's replies and matches them to their request by
``seq``; :class:`LinkStats` counts frames, bytes, CRC errors, timeouts, retries and keeps
the round-trip latency of every answered request. Retry rules live one level up, in
:mod:`hardware.exchange`, which knows which requests are idempotent.

Any pyserial URL works (device paths, ``socket://``, ``rfc2217://``, ``spy://``,
``loop://``). On ``loop://`` the host hears its own frames, which is enough for a
doctest:

>>> from hardware.messages import Hello
>>> with SerialLink.open("loop://") as link:
...     seq = link.send(Hello(client="doc"))
...     frame, msg = link.wait_reply({seq}, timeout=0.5)
>>> msg, link.stats.frames_sent, link.stats.frames_received
(Hello(protocol_version=1, client='doc'), 1, 1)
"""

from __future__ import annotations

import errno
import select
import time
from array import array
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
import serial

from hardware.codec import Frame, FrameDecoder
from hardware.messages import Message, MessageError, parse, to_wire
from s2r.errors import DeviceError, ProtocolError

__all__ = ["LinkStats", "SerialLink", "open_port", "percentiles"]

_ZERO = b"\x00"
_PERMISSION_HINT = ("permission denied (add yourself to the 'dialout' group: "
                    "sudo usermod -aG dialout $USER, then log in again)")


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    if not len(samples):
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    a = np.asarray(samples)
    return {"p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max())}


@dataclass
class LinkStats:
    """Counters of one link; ``rtt`` holds the round trip (s) of every answered request.

    Dropped frames are counted by cause: ``crc_errors`` (CRC mismatch) and
    ``framing_errors`` (invalid COBS, shorter than 4 bytes, or oversize).
    """

    frames_sent: int = 0
    frames_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    crc_errors: int = 0
    framing_errors: int = 0
    timeouts: int = 0
    retries: int = 0
    late_replies: int = 0
    device_rx_errors: int = 0
    saturated: int = 0
    rtt: array[float] = field(default_factory=lambda: array("d"), repr=False)

    def summary(self) -> dict[str, Any]:
        """All counters plus ``rtt_p50``/``rtt_p99``/``rtt_max`` in seconds."""
        out: dict[str, Any] = {k: v for k, v in self.__dict__.items() if k != "rtt"}
        out.update({f"rtt_{k}": v for k, v in percentiles(self.rtt).items()})
        return out


def open_port(url: str, baudrate: int = 1_000_000, *, low_latency: bool = True,
              timeout: float = 0.001) -> tuple[serial.SerialBase, bool]:
    """Open a device path or pyserial URL exclusively; return it and whether low-latency
    mode is on (tolerated where unsupported: ptys, sockets). Errors are DeviceError."""
    try:
        port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout,
                                     write_timeout=1.0, exclusive=True)
    except ValueError as err:  # unknown URL scheme, bad baud rate
        raise DeviceError(f"cannot open: {err}", where=url) from None
    except serial.SerialException as err:
        code = getattr(err, "errno", None)
        text = str(err)
        if code == errno.EACCES or "Permission denied" in text:
            text = _PERMISSION_HINT
        elif code == errno.ENOENT or "No such file" in text:
            text = "no such device (is it plugged in? see `ls /dev/ttyUSB* /dev/ttyACM*`)"
        elif "exclusively lock" in text:
            text = "the port is in use by another program"
        raise DeviceError(f"cannot open: {text}", where=url) from None
    on = False
    if low_latency:
        try:
            port.set_low_latency_mode(True)
            on = True
        except (AttributeError, NotImplementedError, ValueError, OSError):
            pass  # not a real UART (pty, socket) or not supported by the driver
    return port, on


class SerialLink:
    """Numbered requests and seq-matched replies over one open port."""

    def __init__(self, port: serial.SerialBase, url: str, low_latency: bool = False) -> None:
        self.port, self.url, self.low_latency = port, url, low_latency
        self.stats = LinkStats()
        self._decoder = FrameDecoder()
        self._inbox: list[Frame] = []
        self._sent: dict[int, float] = {}
        self._seq = 0
        try:
            self._fd: int | None = port.fileno()
        except (AttributeError, NotImplementedError, OSError, ValueError):
            self._fd = None  # e.g. rfc2217://: poll with the port's own short timeout

    @classmethod
    def open(cls, url: str, baudrate: int = 1_000_000, *, low_latency: bool = True
             ) -> SerialLink:
        """Open ``url`` (see :func:`open_port`)."""
        port, on = open_port(url, baudrate, low_latency=low_latency)
        return cls(port, url, on)

    @property
    def is_open(self) -> bool:
        return bool(self.port.is_open)

    def _fail(self, err: Exception) -> DeviceError:
        return DeviceError(f"device disconnected ({err})", where=self.url)

    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as err:
            raise self._fail(err) from None

    def send(self, msg: Message, seq: int | None = None, *, avoid: int | None = None) -> int:
        """Send one message; return its ``seq``.

        ``seq=None`` takes the next sequence number (skipping ``avoid``, e.g. the
        ``cmd_seq`` of the command in effect, so a new COMMAND never looks like a resend
        of it); a given ``seq`` resends a request under its old number. Every frame goes
        out behind a 0x00, so line noise before it is cut off as a frame of its own
        (PROTOCOL.md §2).
        """
        if seq is None:
            self._seq = (self._seq + 1) & 0xFF
            if self._seq == avoid:
                self._seq = (self._seq + 1) & 0xFF
            seq = self._seq
        wire = _ZERO + to_wire(msg, seq)
        self._sent[seq] = time.perf_counter()
        self._write(wire)
        self.stats.frames_sent += 1
        self.stats.bytes_sent += len(wire)
        return seq

    def _read_some(self, timeout: float) -> bytes:
        try:
            if self._fd is not None:
                ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout))
                if not ready:
                    return b""
            data: bytes = self.port.read(max(1, self.port.in_waiting))
            return data
        except (serial.SerialException, OSError) as err:
            raise self._fail(err) from None

    def _pump(self, deadline: float) -> bool:
        """Read until a frame is decoded or dropped, or ``deadline``; True unless timed out."""
        while True:
            data = self._read_some(deadline - time.perf_counter())
            if data:
                self.stats.bytes_received += len(data)
                errors = self._decoder.errors
                frames = self._decoder.feed(data)
                self.stats.crc_errors = self._decoder.crc_errors
                self.stats.framing_errors = self._decoder.framing_errors + self._decoder.oversize
                self.stats.frames_received += len(frames)
                self._inbox.extend(frames)
                if frames or self._decoder.errors > errors:
                    return True
            if time.perf_counter() >= deadline:
                return False

    @property
    def dropped(self) -> int:
        """Frames the host dropped so far (CRC, framing, oversize)."""
        return self._decoder.errors

    def wait_reply(self, seqs: Collection[int], timeout: float, *, stop_on_drop: bool = False
                   ) -> tuple[Frame, Message] | None:
        """The first reply whose ``seq`` is in ``seqs`` within ``timeout`` s, or None.

        Replies to other ``seq`` (given up on earlier) are counted as late and dropped.
        With ``stop_on_drop`` a frame dropped for a bad CRC ends the wait at once (it was
        most likely the reply), so the caller can retry without waiting out the timeout.
        A reply that is valid on the wire but malformed raises ProtocolError.
        """
        deadline = time.perf_counter() + timeout
        dropped = self._decoder.errors
        while True:
            while self._inbox:
                frame = self._inbox.pop(0)
                if frame.seq not in seqs:
                    self.stats.late_replies += 1
                    continue
                sent = self._sent.pop(frame.seq, None)
                if sent is not None:
                    self.stats.rtt.append(time.perf_counter() - sent)
                try:
                    return frame, parse(frame)
                except MessageError as err:
                    raise ProtocolError(f"malformed reply: {err}", where=self.url) from None
            if stop_on_drop and self._decoder.errors > dropped:
                return None
            if not self._pump(deadline) and not self._inbox:
                return None

    def forget(self, seqs: Collection[int]) -> None:
        """Give up on requests: their replies, if they come, count as late."""
        for s in seqs:
            self._sent.pop(s, None)

    def close(self) -> None:
        """Close the port (idempotent, never raises)."""
        try:
            self.port.close()
        except Exception:  # a vanished device can fail even on close
            pass

    def __enter__(self) -> SerialLink:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
