"""Request/reply exchanges with retries within a budget (PROTOCOL.md §3, §6).

:class:`Exchanger` sits on a :class:`~hardware.serial_link.SerialLink` and turns "send a
request, get its reply" into one call with the host's retry rules:

- each attempt waits ``reply_timeout`` s, or less when a corrupted frame arrives
  meanwhile (it was most likely the reply);
- idempotent requests (HELLO, RESET, ENABLE, DISABLE, ESTOP, SET_WATCHDOG,
  STATE_REQUEST) are simply sent again; a reply to any attempt is accepted (a COMMAND
  is resent under its own ``seq``, see :meth:`SerialRobot.act
  <hardware.serial_robot.SerialRobot.act>`);
- at most ``max_retries`` retries per exchange and ``retry_budget`` in the last
  ``retry_window`` exchanges, else a :class:`~s2r.errors.DeviceError` that says whether
  the device was silent or the replies were corrupted;
- an ERROR reply raises :class:`~s2r.errors.ProtocolError`, a NACK to a request that
  needs an ACK raises DeviceError or :class:`~s2r.errors.SafetyStop` (e-stop, limits).

>>> from hardware.messages import Hello
>>> from hardware.serial_link import SerialLink
>>> ex = Exchanger(SerialLink.open("loop://"), reply_timeout=0.05)
>>> ex.request(Hello())     # on a loopback the request answers itself
Hello(protocol_version=1, client='')
>>> ex.link.close()
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from hardware.messages import Ack, ErrorCode, ErrorMsg, Message, Nack
from hardware.serial_link import SerialLink
from s2r.errors import DeviceError, ProtocolError, SafetyStop

__all__ = ["Exchanger", "Pipeline", "code_name"]

_NACK = {ErrorCode.ESTOP_ACTIVE: (SafetyStop, "the e-stop input is asserted (release it)"),
         ErrorCode.LIMIT_ACTIVE: (SafetyStop, "a joint is outside its limits (move it back)"),
         ErrorCode.FAULT_ACTIVE: (DeviceError, "the device reports a driver or sensor fault"),
         ErrorCode.NO_HANDSHAKE: (DeviceError, "the device lost the session (did it reboot?)")}


def code_name(code: int) -> str:
    """``ErrorCode`` name of a NACK/ERROR code (``code N`` when unknown)."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"code {code}"


class Exchanger:
    """Retry policy and budget for the requests of one session (see module doc)."""

    def __init__(self, link: SerialLink, *, reply_timeout: float = 0.02, max_retries: int = 2,
                 retry_window: int = 100, retry_budget: int = 10, rate: float | None = None
                 ) -> None:
        self.link, self.reply_timeout = link, reply_timeout
        self.max_retries, self.retry_budget = max_retries, retry_budget
        self.rate = rate  # control rate, only to express timeouts in control periods
        self._recent: deque[int] = deque(maxlen=max(1, retry_window))
        self._bytes_at_begin = 0

    @property
    def where(self) -> str:
        return self.link.url

    def begin(self) -> int:
        """Start one exchange (for the budget); returns the link's dropped-frame count."""
        self._recent.append(0)
        self._bytes_at_begin = self.link.stats.bytes_received
        return self.link.dropped

    def retry(self) -> None:
        """Count one retry of the current exchange; DeviceError when over the budget."""
        stats = self.link.stats
        stats.retries += 1
        if not self._recent:
            self._recent.append(0)
        self._recent[-1] += 1
        if sum(self._recent) > self.retry_budget:
            raise DeviceError(f"link unreliable: {sum(self._recent)} retries in the last "
                              f"{len(self._recent)} exchanges (CRC errors {stats.crc_errors}, "
                              f"framing errors {stats.framing_errors}, "
                              f"timeouts {stats.timeouts}); check the cable, the baud rate "
                              "and the USB latency", where=self.where)

    def lost(self, what: str, dropped_before: int) -> DeviceError:
        """The error of an exchange whose every attempt went unanswered."""
        attempts = self.max_retries + 1
        dropped = self.link.dropped - dropped_before
        ms = attempts * self.reply_timeout * 1e3
        periods = f" = {ms * self.rate / 1e3:.1f} control periods" if self.rate else ""
        got = self.link.stats.bytes_received - self._bytes_at_begin
        why = (f"{dropped} corrupted replies" if dropped else
               f"{got} bytes but no valid frame: noise or a baud rate mismatch" if got else
               "device silent or unplugged")
        return DeviceError(f"no valid reply to {what} after {attempts} attempts in {ms:.0f} ms"
                           f"{periods}: {why}", where=self.where)

    def wait(self, seqs: list[int], timeout: float | None = None, stop_on_drop: bool = True
             ) -> tuple[int, Message] | None:
        """One attempt's wait for a reply to any of ``seqs``: (seq, message) or None.

        With the default ``timeout`` (``reply_timeout``) an unanswered wait counts as a
        timeout; a caller passing its own shorter one counts for itself.
        """
        before = self.link.dropped
        reply = self.link.wait_reply(seqs, self.reply_timeout if timeout is None else timeout,
                                     stop_on_drop=stop_on_drop)
        if reply is None:
            if self.link.dropped == before and timeout is None:
                self.link.stats.timeouts += 1
            return None
        msg = reply[1]
        if isinstance(msg, ErrorMsg):
            raise ProtocolError(f"device answered with ERROR {code_name(msg.code)}: {msg.text}",
                                where=self.where)
        return reply[0].seq, msg

    def request(self, msg: Message) -> Message:
        """Send an idempotent request, resending it while replies are lost; its reply."""
        dropped, seqs = self.begin(), []
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.retry()
            seqs.append(self.link.send(msg))
            reply = self.wait(seqs)
            if reply is not None:
                self.link.forget(seqs)
                return reply[1]
        self.link.forget(seqs)
        raise self.lost(msg.TYPE.name, dropped)

    def expect_ack(self, msg: Message) -> None:
        """:meth:`request` that must be ACKed; a NACK is a clear error naming its cause."""
        reply = self.request(msg)
        if isinstance(reply, Nack):
            kind, text = _NACK.get(reply.code, (DeviceError, reply.text))  # type: ignore[call-overload]
            raise kind(f"device refused {msg.TYPE.name}: {text} ({code_name(reply.code)})",
                       where=self.where)
        if not isinstance(reply, Ack):
            raise ProtocolError(f"expected ACK to {msg.TYPE.name}, got {type(reply).__name__}",
                                where=self.where)


class Pipeline:
    """Requests in flight without waiting for each reply (``SerialRobot(reply_wait=...)``).

    :meth:`send` waits at most ``wait`` s for its own reply, handing every reply that
    arrives meanwhile to ``accept``. A reply later than ``reply_timeout`` counts as a
    timeout but is still taken (it is the freshest measurement); a request is lost (one
    retry of the budget) when a newer one is answered first or nothing came back within
    the silence horizon ``(max_retries + 1) * reply_timeout``, and when no reply at all
    came within the horizon the device is silent: DeviceError.
    """

    def __init__(self, ex: Exchanger) -> None:
        self.ex = ex
        self.inflight: deque[list[Any]] = deque()  # [seq, sent at, counted as timeout]
        self.last_reply = time.perf_counter()
        self.stale = 0  # sends that returned before their reply arrived

    def clear(self) -> None:
        """Forget requests in flight (after a reset) and restart the silence clock."""
        self.ex.link.forget([e[0] for e in self.inflight])
        self.inflight.clear()
        self.last_reply = time.perf_counter()

    def send(self, msg: Message, wait: float, accept: Callable[[Message], Any], *,
             avoid: int | None = None) -> None:
        """Send ``msg`` (a fresh ``seq`` other than ``avoid``); pass replies to ``accept``
        until its own arrives or ``wait`` s."""
        ex, link = self.ex, self.ex.link
        horizon = (ex.max_retries + 1) * ex.reply_timeout
        ex.begin()
        start = time.perf_counter()
        seq = link.send(msg, avoid=avoid)
        self.inflight.append([seq, start, False])
        got = False
        while self.inflight and not got:
            left = max(0.0, start + wait - time.perf_counter())
            reply = ex.wait([e[0] for e in self.inflight], left, stop_on_drop=False)
            if reply is None:
                break
            while self.inflight[0][0] != reply[0]:  # older requests: their replies are lost
                link.forget([self.inflight.popleft()[0]])
                ex.retry()
            self.inflight.popleft()
            got, self.last_reply = reply[0] == seq, time.perf_counter()
            accept(reply[1])
        now = time.perf_counter()
        self.stale += not got
        for entry in self.inflight:
            if not entry[2] and now - entry[1] > ex.reply_timeout:
                entry[2] = True
                link.stats.timeouts += 1
        while self.inflight and now - self.inflight[0][1] > horizon:
            link.forget([self.inflight.popleft()[0]])
            ex.retry()
        if now - self.last_reply > horizon:
            periods = f" = {horizon * ex.rate:.1f} control periods" if ex.rate else ""
            raise DeviceError(f"no reply to any {msg.TYPE.name} for {horizon * 1e3:.0f} ms"
                              f"{periods}: device silent or unplugged", where=ex.where)
