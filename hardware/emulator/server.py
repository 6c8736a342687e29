"""The emulated device on a pseudo terminal: firmware + plant behind a real serial port.

>>> import serial
>>> from hardware.messages import FrameDecoder, Hello, parse, to_wire
>>> with Emulator(EmulatorConfig(robot="pendulum", mode="lockstep")) as emu:
...     port = serial.serial_for_url(emu.port, baudrate=emu.cfg.baud, timeout=2)
...     _ = port.write(to_wire(Hello(client="doctest"), seq=1))
...     wire = port.read_until(b"\\x00") + port.read_until(b"\\x00")  # 0x00, then the frame
...     info = parse(FrameDecoder().feed(wire)[0])
...     port.close()
>>> info.robot, [j.name for j in info.joints], emu.stats["frames_in"]
('pendulum', ['hinge'], 1)
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections import Counter, deque
from dataclasses import replace
from types import TracebackType
from typing import Any

import numpy as np

from hardware.codec import Frame, FrameDecoder
from hardware.emulator.config import EmulatorConfig
from hardware.emulator.describe import device_info_for
from hardware.emulator.device import Device
from hardware.emulator.faults import Faults, rebaud
from hardware.emulator.physics import Plant
from hardware.emulator.ptyport import PtyPort
from hardware.messages import to_wire
from s2r.errors import ConfigError

#: Counters of ``Emulator.stats``, in print order.
STAT_KEYS = (
    "frames_in", "bytes_in", "crc_errors", "framing_errors", "oversize", "frames_out",
    "bytes_out", "hellos", "commands", "commands_applied", "commands_resent", "saturated",
    "state_requests",
    "enables", "resets", "errors", "nacks", "watchdog_trips", "limit_trips", "estops", "faults",
    "dropped", "corrupted", "garbage", "lost", "ignored_bytes", "tx_overflow",
)
_IDLE = 0.005  # s between physics catch-ups in realtime mode without traffic
_MAX_OUT = 1 << 20  # bytes of unsent replies kept while the host does not read


class Emulator:
    """An emulated device on a pty; ``with Emulator(cfg) as emu: emu.port``.

    ``emu.port`` is the slave path to open with pyserial; ``emu.truth`` the true
    parameter values; ``emu.stats`` the counters. Keyword arguments override
    fields of ``cfg``. Config errors raise :class:`~s2r.errors.ConfigError` here.

    >>> with Emulator(robot="pendulum", truth="nominal", mode="lockstep") as emu:
    ...     emu.running, emu.truth["link.pole.mass"], emu.stats["frames_in"]
    (True, 1.0, 0)
    """

    def __init__(self, cfg: EmulatorConfig | None = None, **overrides: Any) -> None:
        try:
            cfg = replace(cfg or EmulatorConfig(), **overrides)
        except TypeError as err:
            raise ConfigError(f"unknown option: {err}", where="emulator") from None
        self.cfg = cfg.check()
        plant_seed, fault_seed = np.random.SeedSequence(self.cfg.seed).spawn(2)
        self.plant = Plant(self.cfg.robot, self.cfg.truth, rng=np.random.default_rng(plant_seed),
                           control_rate=self.cfg.control_rate, **self.cfg.effect_overrides())
        self.period, self.effects = self.plant.control_period, self.plant.effects
        self.spec = replace(self.plant.spec, control_rate=1.0 / self.period)
        try:
            self.info = device_info_for(self.spec, counts_per_rev=self.plant.counts_per_rev,
                                        watchdog_ms=self.cfg.watchdog_ms)
        except BaseException:
            self.plant.close()
            raise
        self.device = Device(self.plant, self.info, lockstep=self.cfg.mode == "lockstep")
        self.firmware = self.device.firmware
        self.firmware.set_watchdog = self.cfg.set_watchdog
        self.truth: dict[str, float] = self.plant.truth
        self._rng = np.random.default_rng(fault_seed)
        self._faults = Faults(self._rng, self.cfg.corrupt_rate, self.cfg.drop_rate,
                              self.cfg.garbage_rate)
        self._counts: Counter[str] = Counter()
        self._decoder = FrameDecoder()
        self._pty: PtyPort | None = None
        self._wake = os.pipe()
        os.set_blocking(self._wake[1], False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inbox: deque[tuple[float, Frame, int]] = deque()
        self._outbox: deque[tuple[float, bytes, int]] = deque()
        self._received = 0  # valid frames received: the index of scripted faults
        self._out = b""
        self._t0 = time.monotonic()
        self._last_due = 0.0
        self.port = ""
        self.error: BaseException | None = None

    # -------------------------------------------------------------- lifecycle
    def open(self) -> str:
        """Open the pty (raw, non-blocking master) and write ``port_file``; return the path."""
        if self._pty is None:
            self._pty = PtyPort(self.cfg.port_file)
            self.port = self._pty.path
        return self.port

    def start(self) -> Emulator:
        """Open the pty and serve it from a background thread (once)."""
        if self._thread is not None:
            return self
        self.open()
        self._thread = threading.Thread(target=self.serve, name=f"emulator {self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        """Serve in the calling thread until :meth:`request_stop` or a hang-up."""
        self.open()
        self._t0 = self.device.fed_wall = time.monotonic()
        try:
            self._loop()
        except BaseException as err:  # surfaced by close()
            self.error = err
        finally:
            if self._pty is not None:
                self._pty.close()

    def request_stop(self) -> None:
        """Ask the serving loop to end (safe from a signal handler or another thread)."""
        self._stop.set()
        try:
            os.write(self._wake[1], b"x")
        except OSError:
            pass

    def close(self) -> None:
        """Stop serving, join the thread, close the pty and the plant (idempotent)."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pty is not None:
            self._pty.close()
        for fd in self._wake:
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake = (-1, -1)
        self.plant.close()
        if self.error is not None:
            err, self.error = self.error, None
            raise err

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """The pty is open and being served."""
        return self._pty is not None and not self._pty.closed and not self._stop.is_set()

    @property
    def stats(self) -> dict[str, int]:
        """A snapshot of the counters (STAT_KEYS), safe to read from any thread."""
        counts: Counter[str] = Counter()
        for source in (self.firmware.counters, self._counts, self._faults.counts):
            counts.update(_snapshot(source))
        d = self._decoder
        counts.update(frames_in=d.frames, crc_errors=d.crc_errors,
                      framing_errors=d.framing_errors, oversize=d.oversize)
        return {key: int(counts[key]) for key in STAT_KEYS}

    def press_estop(self, pressed: bool = True) -> None:
        """Assert (or release) the e-stop input: latches ESTOP, ENABLE is refused while held."""
        self.firmware.estop_input = pressed

    def inject_fault(self, active: bool = True) -> None:
        """Assert (or clear) the driver's fault input: latches FAULT, ENABLE refused."""
        self.firmware.fault_input = active

    # ------------------------------------------------------------------- loop
    def _loop(self) -> None:
        cfg, wake = self.cfg, self._wake[0]
        assert self._pty is not None
        master = self._pty.master
        while not self._stop.is_set():
            now = time.monotonic()
            if cfg.hang_up_after is not None and now - self._t0 >= cfg.hang_up_after:
                return
            self._run_due(now)
            self._flush()
            readable, _, _ = select.select([master, wake], [master] if self._out else [], [],
                                           self._timeout(now))
            if wake in readable:
                os.read(wake, 512)
            if master in readable:
                self._receive(time.monotonic())

    def _timeout(self, now: float) -> float:
        cfg = self.cfg
        deadlines = [now + (_IDLE if cfg.mode == "realtime" else 0.05)]
        deadlines += [box[0][0] for box in (self._inbox, self._outbox) if box]
        if cfg.mode == "lockstep" and self.firmware.enabled:
            deadlines.append(self.device.fed_wall + cfg.lockstep_wall_timeout_ms / 1000)
        if cfg.hang_up_after is not None:
            deadlines.append(self._t0 + cfg.hang_up_after)
        return max(0.0, min(deadlines) - now)

    def _receive(self, now: float) -> None:
        assert self._pty is not None
        data = self._pty.read()
        self._counts["bytes_in"] += len(data)
        if self.cfg.silent_after is not None and now - self._t0 >= self.cfg.silent_after:
            self._counts["ignored_bytes"] += len(data)
            self._inbox.clear()
            self._outbox.clear()
            return
        errors = self._decoder.errors
        frames = self._decoder.feed(data)
        if self._decoder.errors != errors:
            self.firmware.rx_error()
        for frame in frames:
            index, self._received = self._received, self._received + 1
            if not self._faults.incoming(index):
                continue
            if self.cfg.mode == "lockstep":
                reply = self.device.process(frame, self.device.time)
                self._emit(to_wire(reply, frame.seq), now, index)
            else:
                self._last_due = max(self._last_due, now + self._latency())
                self._inbox.append((self._last_due, frame, index))

    def _latency(self) -> float:
        fx = self.effects
        jitter = self._rng.uniform(-1, 1) * fx.comm_jitter if fx.comm_jitter else 0.0
        return max(0.0, fx.comm_latency + jitter)

    def _run_due(self, now: float) -> None:
        if self.cfg.mode == "lockstep":
            self.device.check_wall_watchdog(now, self.cfg.lockstep_wall_timeout_ms / 1000)
            return
        while self._inbox and self._inbox[0][0] <= now:
            due, frame, index = self._inbox.popleft()
            self._last_due = max(self._last_due, due + self._latency())
            reply = self.device.process(frame, max(due - self._t0, self.plant.time))
            self._outbox.append((self._last_due, to_wire(reply, frame.seq), index))
        self.device.advance(now - self._t0)
        while self._outbox and self._outbox[0][0] <= now:
            _, wire, index = self._outbox.popleft()
            self._emit(wire, now, index)

    @property
    def faults(self) -> Faults:
        """The fault injector; add frame indices to ``faults.lose`` / ``faults.corrupt``."""
        return self._faults

    def _emit(self, wire: bytes, now: float, index: int) -> None:
        if self.cfg.silent_after is not None and now - self._t0 >= self.cfg.silent_after:
            return
        sent = self._faults.outgoing(wire, index)
        if sent is not None:
            self._counts["frames_out"] += 1
            sent = b"\x00" + sent  # a delimiter before every frame (PROTOCOL.md §2)
            if self.cfg.host_baud is not None:  # what a host at the wrong baud rate receives
                sent = rebaud(sent, self.cfg.baud / self.cfg.host_baud)
            self._out += sent

    def _flush(self) -> None:
        if not self._out or self._pty is None:
            return
        n = self._pty.write(self._out)
        self._counts["bytes_out"] += n
        self._out = self._out[n:]
        if len(self._out) > _MAX_OUT:  # the host stopped reading: the line drops bytes
            self._counts["tx_overflow"] += len(self._out)
            self._out = b""


def _snapshot(counts: Counter[str]) -> dict[str, int]:
    """Copy a dict another thread may be adding keys to."""
    while True:
        try:
            return dict(counts)
        except RuntimeError:  # changed size during the copy: try again
            continue
