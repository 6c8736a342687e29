"""SerialRobot: the :class:`~s2r.robot.Robot` interface over the serial protocol.

A microcontroller (or the emulator) speaks hardware/PROTOCOL.md on a serial port;
``SerialRobot`` does the handshake (HELLO → DEVICE_INFO, checked against the robot
description), resets and enables (RESET, ENABLE, STATE_REQUEST), sends one COMMAND per
control period and returns the STATE that answers it. Lost or corrupted replies are
retried within a budget (a lost COMMAND reply is followed by STATE_REQUEST, whose
``cmd_seq`` says whether the command was applied, so a command is never applied twice);
a silent or unplugged device is a :class:`~s2r.errors.DeviceError` within a few control
periods; latched device flags (watchdog, e-stop, limit) raise
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
from hardware.exchange import Exchanger, Pipeline
from hardware.serial_link import LinkStats, SerialLink
from s2r.description import spec_from_description, spec_of
from s2r.errors import DeviceError, ProtocolError, RobotError, S2RError, SafetyStop
from s2r.robot import Observation, RobotBase, RobotSpec
from s2r.sim.description import RobotDescription

__all__ = ["SerialRobot", "spec_from_description"]

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
        watchdog_ms: send SET_WATCHDOG with this timeout after the handshake.
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
                 handshake_timeout: float = 3.0, watchdog_ms: int | None = None,
                 low_latency: bool = True, reply_wait: float | None = None,
                 client: str = "s2r") -> None:
        self.spec = spec_of(robot if isinstance(robot, (RobotSpec, RobotDescription))
                            else str(robot), tuple(overrides))
        self.port = port
        rate = self.spec.control_rate
        self._obs: Observation | None = None
        self._t_us: int | None = None
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
            if watchdog_ms is not None:
                self.ex.expect_ack(m.SetWatchdog(int(watchdog_ms)))
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

    def _handshake(self, timeout: float, client: str) -> m.DeviceInfo:
        deadline, seqs, reply = time.perf_counter() + timeout, set(), None
        while reply is None and time.perf_counter() < deadline:
            seqs.add(self.link.send(m.Hello(client=client)))
            reply = self.link.wait_reply(seqs, min(0.25, max(0.0, deadline - time.perf_counter())))
        self.link.forget(seqs)
        if reply is None:
            got = self.stats.bytes_received
            why = (f"{got} bytes received, {self.link.dropped} bad frames: baud rate mismatch?"
                   if got else "nothing received: wrong port, device off or still booting?")
            raise DeviceError(f"no reply to HELLO within {timeout:g} s ({why})", where=self.port)
        info = reply[1]
        if not isinstance(info, m.DeviceInfo):
            raise ProtocolError(f"expected DEVICE_INFO in reply to HELLO, got "
                                f"{type(info).__name__}", where=self.port)
        try:
            m.check_device_info(info, self.spec.name, m.expected_from_spec(self.spec),
                                expected_sensors=self.spec.sensors)
        except m.HandshakeError as err:
            raise m.HandshakeError(err.message, where=self.port) from None
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

        A lost reply is followed by STATE_REQUEST: its ``cmd_seq`` tells whether the
        command was applied (then that STATE is the answer) or lost (then it is resent).
        """
        if not self._ready:
            raise RobotError("call reset() before act(): the actuators are not enabled",
                             where=self.port)
        sent = self.spec.clip_action(np.asarray(action, dtype=np.float64))
        sent = sent.astype(np.float32).astype(np.float64)  # exactly what goes on the wire
        cmd, ex, link = m.Command(tuple(sent.tolist())), self.ex, self.link
        if self.reply_wait is not None:
            self.pipe.send(cmd, self.reply_wait, self._accept)
            return sent
        dropped = ex.begin()
        seqs = [link.send(cmd)]
        cmd_seqs = set(seqs)
        for attempt in range(ex.max_retries + 1):
            reply = ex.wait(seqs)
            if reply is None:
                if attempt < ex.max_retries:
                    ex.retry()  # reply (or command) lost: was the command applied?
                    seqs.append(link.send(m.StateRequest()))
                continue
            seq, state = reply
            if not isinstance(state, m.State):
                raise ProtocolError(f"expected STATE, got {type(state).__name__}",
                                    where=self.port)
            applied = seq in cmd_seqs or bool(state.flags & F.CMD_VALID
                                               and state.cmd_seq in cmd_seqs)
            if applied or not state.flags & F.ENABLED or attempt == ex.max_retries:
                link.forget(seqs)
                self._accept(state)  # raises on latched flags
                if not applied:
                    raise DeviceError("device disabled its actuators without a reason (did "
                                      "it reboot?)" if not state.flags & F.ENABLED else
                                      "COMMAND lost on every retry", where=self.port)
                return sent
            ex.retry()  # the device never got the command: send it again
            seqs.append(link.send(cmd))
            cmd_seqs.add(seqs[-1])
        link.forget(seqs)
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
