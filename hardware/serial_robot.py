"""SerialRobot: the :class:`~s2r.robot.Robot` interface over the serial protocol.

A microcontroller (or the emulator) speaks hardware/PROTOCOL.md on a serial port;
``SerialRobot`` does the handshake (HELLO → DEVICE_INFO, checked against the robot
description; SET_WATCHDOG and a second HELLO to verify the device keeps the watchdog
the host requires, 100 ms by default), resets and enables (RESET, ENABLE,
STATE_REQUEST), sends one COMMAND per control period and returns the STATE that
answers it. Lost or corrupted frames are retried within a budget (a COMMAND is resent
under its own ``seq``, which the device recognises, so a command is never applied
twice); a silent or unplugged device is a :class:`~s2r.errors.DeviceError` within a few
control periods; latched device flags (watchdog, e-stop, limit) raise
:class:`~s2r.errors.SafetyStop`. Counters are in :attr:`SerialRobot.stats`.

>>> from hardware.emulator import Emulator, EmulatorConfig
>>> with Emulator(EmulatorConfig(robot="furuta", mode="lockstep")) as emu, \\
...         SerialRobot("furuta", emu.port) as robot:
...     obs = robot.reset([0.0, 0.1], [0.0, 0.0])
...     sent = robot.act([9.0])                      # clipped to the 5 V limit
...     float(sent[0]), robot.observe().t, robot.stats.retries
(5.0, 0.01, 0)
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence

import numpy as np

from hardware import messages as m
from hardware.exchange import Exchanger, Pipeline, code_name
from hardware.serial_link import LinkStats, SerialLink
from s2r.description import spec_from_description, spec_of
from s2r.errors import ConfigError, DeviceError, ProtocolError, RobotError, S2RError, SafetyStop
from s2r.robot import Observation, RobotBase, RobotSpec
from s2r.sim.description import RobotDescription

__all__ = ["SerialRobot", "spec_from_description"]

#: Device watchdog the host requires by default, and the protocol's longest (ms).
DEFAULT_WATCHDOG_MS = 100
MAX_WATCHDOG_MS = 60000
F = m.StatusFlags
LATCHED = F.WATCHDOG_TRIPPED | F.ESTOP | F.LIMIT_HIT | F.FAULT
_WHY = {F.WATCHDOG_TRIPPED: "watchdog tripped (no COMMAND within the device timeout)",
        F.ESTOP: "e-stop latched", F.LIMIT_HIT: "a joint left its position/velocity limit",
        F.FAULT: "driver or sensor fault"}


class SerialRobot(RobotBase):
    """A robot behind a serial port (device path or pyserial URL).

    Args:
        robot: built-in robot name, robot YAML path, RobotDescription or RobotSpec.
        port: ``/dev/ttyUSB0``, ``/dev/pts/3``, ``socket://host:port``, ``spy://...``.
        baud: must match the device (1 000 000 for the reference firmware).
        reply_timeout: seconds to wait for one reply (default: 2 control periods, >= 5 ms).
        max_retries: extra attempts per exchange before the device counts as silent.
        retry_budget: most retries allowed in the last ``retry_window`` exchanges.
        handshake_timeout: how long HELLO is repeated (boards may reboot on open).
        watchdog_ms: the device watchdog the host requires, 1..60000 ms (``None``: 100).
            The handshake sets it with SET_WATCHDOG and reads it back with a second
            HELLO; a device that refuses it, or keeps a longer timeout or none, is
            refused with a DeviceError (a vanished host must stop the actuators soon).
        reply_wait: ``None``: :meth:`act` waits for the STATE answering its COMMAND
            (retrying lost replies), so the observation after ``act`` is always the one
            for that period. A fraction of the control period (e.g. 0.5): pipelined,
            ``act`` waits at most that long, then returns, and a late STATE is taken
            when it arrives; the loop rate then no longer depends on round-trip tails
            (or a USB link slower than the period), the observation may be a tick old.
    """

    def __init__(self, robot: str | os.PathLike[str] | RobotDescription | RobotSpec,
                 port: str, *, baud: int = 1_000_000, overrides: Sequence[str] = (),
                 reply_timeout: float | None = None, max_retries: int = 2,
                 retry_window: int = 100, retry_budget: int = 10,
                 handshake_timeout: float = 3.0, watchdog_ms: int | None = DEFAULT_WATCHDOG_MS,
                 low_latency: bool = True, reply_wait: float | None = None,
                 client: str = "s2r") -> None:
        self.spec = spec_of(robot if isinstance(robot, (RobotSpec, RobotDescription))
                            else str(robot), tuple(overrides))
        self.port, self.baud = port, baud
        watchdog_ms = DEFAULT_WATCHDOG_MS if watchdog_ms is None else watchdog_ms
        if not 1 <= watchdog_ms <= MAX_WATCHDOG_MS:
            raise ConfigError(f"watchdog_ms: must be 1..{MAX_WATCHDOG_MS}, got {watchdog_ms}",
                              where=port)
        self.watchdog_ms = int(watchdog_ms)
        rate = self.spec.control_rate
        self._obs: Observation | None = None
        self._t_us: int | None = None
        self._cmd_seq: int | None = None  # seq of the COMMAND in effect on the device
        self._ready = self._closed = False
        self.state_reset_supported = True
        self.reply_wait = None if reply_wait is None else reply_wait / rate
        self.link = SerialLink.open(port, baud, low_latency=low_latency)
        self.ex = Exchanger(self.link, reply_timeout=reply_timeout or max(2.0 / rate, 0.005),
                            max_retries=max_retries, retry_window=retry_window,
                            retry_budget=retry_budget, rate=rate)
        self.pipe = Pipeline(self.ex)
        try:
            self.device_info = self._handshake(handshake_timeout, client)
            self.device_info = self._set_watchdog(handshake_timeout, client)
        except BaseException:
            self.link.close()
            raise

    @property
    def stats(self) -> LinkStats:
        """Counters of the link (frames, bytes, CRC errors, retries, timeouts, rtt)."""
        return self.link.stats

    @property
    def stale(self) -> int:
        """Pipelined: :meth:`act` calls that returned before their reply arrived."""
        return self.pipe.stale

    @property
    def is_emulator(self) -> bool:
        """True when the device says it is an emulator (in its firmware name)."""
        fw = self.device_info.firmware.lower()
        return fw.startswith("s2r-emu") or "emulat" in fw

    def _ask(self, msg: m.Message, timeout: float, *expect: type) -> m.Message:
        """Handshake request: repeat ``msg`` every 0.25 s for ``timeout`` s until answered.

        Unlike the control loop's retries this is patient: a board may still be booting
        and a busy host may be slow, and nothing moves yet.
        """
        deadline, seqs, reply = time.perf_counter() + timeout, set(), None
        while reply is None and time.perf_counter() < deadline:
            seqs.add(self.link.send(msg))
            reply = self.link.wait_reply(seqs, min(0.25, max(0.0, deadline - time.perf_counter())))
        self.link.forget(seqs)
        name = msg.TYPE.name
        if reply is None:
            raise DeviceError(f"no reply to {name} within {timeout:g} s ({self._why_silent()})",
                              where=self.port)
        got = reply[1]
        if isinstance(got, m.ErrorMsg):
            raise ProtocolError(f"device answered {name} with ERROR {code_name(got.code)}: "
                                f"{got.text}", where=self.port)
        if not isinstance(got, expect):
            want = " or ".join(t.TYPE.name for t in expect)  # type: ignore[attr-defined]
            raise ProtocolError(f"expected {want} in reply to {name}, got "
                                f"{type(got).__name__}", where=self.port)
        return got

    def _handshake(self, timeout: float, client: str) -> m.DeviceInfo:
        info = self._ask(m.Hello(client=client), timeout, m.DeviceInfo)
        assert isinstance(info, m.DeviceInfo)
        try:
            m.check_device_info(info, self.spec.name, m.expected_from_spec(self.spec),
                                expected_sensors=self.spec.sensors)
        except m.HandshakeError as err:
            raise m.HandshakeError(err.message, where=self.port) from None
        return info

    def _why_silent(self) -> str:
        """Why the handshake got no reply, from what arrived: bytes, frames or nothing."""
        s = self.stats
        if s.frames_received:
            return (f"{s.frames_received} valid frames received, none answering HELLO: "
                    "another program talking to the device?")
        if s.bytes_received:
            return (f"{s.bytes_received} bytes received but no valid frame ({s.crc_errors} CRC "
                    f"errors, {s.framing_errors} framing errors): baud rate mismatch? the host "
                    f"uses {self.baud} baud, the device must too")
        return "nothing received: wrong port, device off or still booting?"

    def _set_watchdog(self, timeout: float, client: str) -> m.DeviceInfo:
        """SET_WATCHDOG, then HELLO again to read back what the device really keeps."""
        want, had = self.watchdog_ms, self.device_info.watchdog_ms
        reply = self._ask(m.SetWatchdog(want), timeout, m.Ack, m.Nack)
        if isinstance(reply, m.Nack):
            raise DeviceError(f"device refused SET_WATCHDOG {want} ms ({code_name(reply.code)}: "
                              f"{reply.text}); it keeps {had} ms, the host requires at most "
                              f"{want} ms", where=self.port)
        info = self._ask(m.Hello(client=client), timeout, m.DeviceInfo)
        assert isinstance(info, m.DeviceInfo)
        kept = info.watchdog_ms
        if not 1 <= kept <= want:
            what = "no watchdog (0 ms)" if kept == 0 else f"a {kept} ms watchdog"
            raise DeviceError(f"device keeps {what} after SET_WATCHDOG {want} ms, the host "
                              f"requires at most {want} ms: refusing a device that would keep "
                              "driving after the host vanished", where=self.port)
        return info

    def _accept(self, state: m.Message) -> Observation:
        """Make a STATE the latest observation; raise on latched device flags."""
        if not isinstance(state, m.State):
            raise ProtocolError(f"expected STATE, got {type(state).__name__}", where=self.port)
        if (len(state.positions), len(state.sensors)) != (self.spec.n_joints,
                                                          len(self.spec.sensors)):
            raise ProtocolError(f"STATE has {len(state.positions)} joints and "
                                f"{len(state.sensors)} sensors, expected {self.spec.n_joints} "
                                f"and {len(self.spec.sensors)}", where=self.port)
        self._t_us = m.unwrap_us(state.t_us, self._t_us)
        flags = state.flags
        self._cmd_seq = state.cmd_seq if flags & F.CMD_VALID else None
        self.stats.device_rx_errors += bool(flags & F.RX_ERROR)
        self.stats.saturated += bool(flags & F.SATURATED)
        self._obs = Observation(self._t_us * 1e-6, np.array(state.positions),
                                np.array(state.velocities), np.array(state.sensors), int(flags))
        latched = flags & LATCHED
        if latched and self._ready:
            self._ready = False
            why = "; ".join(text for flag, text in _WHY.items() if latched & flag)
            kind = DeviceError if latched == F.FAULT else SafetyStop
            raise kind(f"device stopped the actuators: {why}", where=self.port)
        return self._obs

    # ------------------------------------------------------------- Robot API
    def reset(self, q: np.ndarray | Sequence[float] | None = None,
              qd: np.ndarray | Sequence[float] | None = None) -> Observation:
        """RESET (to ``q``, ``qd`` if the device can, else HOME), ENABLE, then read STATE."""
        self._ready = False
        self.pipe.clear()
        n = self.spec.n_joints
        if q is not None and self.state_reset_supported:
            qs = np.asarray(q, dtype=float).reshape(n)
            qds = np.zeros(n) if qd is None else np.asarray(qd, dtype=float).reshape(n)
            reply = self.ex.request(m.Reset(m.ResetMode.STATE, tuple(qs), tuple(qds)))
            if isinstance(reply, m.Nack) and reply.code == m.ErrorCode.UNSUPPORTED:
                self.state_reset_supported = False
                warnings.warn(f"{self.port}: the device cannot reset to a given state; "
                              "using its HOME reset from now on", stacklevel=2)
            elif not isinstance(reply, m.Ack):
                raise DeviceError(f"device refused RESET to a state: {reply}", where=self.port)
        if q is None or not self.state_reset_supported:
            self.ex.expect_ack(m.Reset())
        self._t_us = None  # a device may restart its clock on RESET
        self.ex.expect_ack(m.Enable())
        self._ready = True
        self.pipe.clear()
        return self._accept(self.ex.request(m.StateRequest()))

    def act(self, action: np.ndarray | Sequence[float]) -> np.ndarray:
        """Send one COMMAND (clipped to the actuator limits); return the action sent.

        A lost command or reply is resent under the same ``seq``: the device applies a
        command once and answers a resend of the command in effect without applying it
        again (PROTOCOL.md §5), so a retry never applies a command twice.
        """
        if not self._ready:
            raise RobotError("call reset() before act(): the actuators are not enabled",
                             where=self.port)
        sent = self.spec.clip_action(np.asarray(action, dtype=np.float64))
        sent = sent.astype(np.float32).astype(np.float64)  # exactly what goes on the wire
        cmd, ex, link = m.Command(tuple(sent.tolist())), self.ex, self.link
        if self.reply_wait is not None:
            self.pipe.send(cmd, self.reply_wait, self._accept, avoid=self._cmd_seq)
            return sent
        dropped = ex.begin()
        seq = link.send(cmd, avoid=self._cmd_seq)
        for attempt in range(ex.max_retries + 1):
            if attempt:  # the command or its reply was lost: resend it under the same seq
                ex.retry()
                link.send(cmd, seq)
            reply = ex.wait([seq])
            if reply is None:
                continue
            link.forget([seq])
            state = self._accept(reply[1])  # raises on latched flags
            if not (state.status & F.CMD_VALID and self._cmd_seq == seq):
                raise DeviceError("device disabled its actuators without a reason (did it "
                                  "reboot?)" if not state.status & F.ENABLED else
                                  f"device answered COMMAND seq {seq} without applying it",
                                  where=self.port)
            return sent
        link.forget([seq])
        raise ex.lost("COMMAND", dropped)

    def observe(self) -> Observation:
        """The latest STATE as an Observation (device time in s); reads one if none yet."""
        if self._obs is None:
            return self._accept(self.ex.request(m.StateRequest()))
        o = self._obs
        return Observation(o.t, o.q.copy(), o.qd.copy(), o.sensors.copy(), o.status)

    def estop(self) -> bool:
        """Send ESTOP (latched on the device until RESET/ENABLE); True if acknowledged."""
        self._ready = False
        try:
            self.ex.expect_ack(m.EStop())
            return True
        except S2RError:
            return False

    def disable(self) -> None:
        """Turn the actuators off (DISABLE); the session stays open."""
        self._ready = False
        self.ex.expect_ack(m.Disable())

    def close(self) -> None:
        """DISABLE (best effort, one attempt) and close the port; idempotent."""
        if self._closed:
            return
        self._closed, self._ready = True, False
        try:
            if self.link.is_open:
                seq = self.link.send(m.Disable())
                self.link.wait_reply([seq], self.ex.reply_timeout)
        except Exception:  # the device may be gone; closing must not fail
            pass
        finally:
            self.link.close()

    def __repr__(self) -> str:
        return f"SerialRobot({self.spec.name!r}, {self.port!r})"
