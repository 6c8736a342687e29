"""What happens inside the emulated box: the firmware state machine driving the plant.

:class:`Device` couples :class:`~hardware.emulator.firmware.Firmware` and
:class:`~hardware.emulator.physics.Plant` on one device clock: physics runs
tick by tick with the firmware's safety checks after every tick, output
changes go to the plant (which delays them), and in lockstep mode a COMMAND
runs exactly one control period before its STATE is sampled.

>>> import numpy as np
>>> from hardware.codec import Frame
>>> from hardware.emulator.describe import device_info_for
>>> plant = Plant("pendulum", "nominal", rng=np.random.default_rng(0))
>>> dev = Device(plant, device_info_for(plant.spec), lockstep=True)
>>> dev.process(Frame(MsgType.COMMAND, 1, b"\\x00\\x00\\x00\\x00"), dev.time).t_us
20000
>>> plant.close()
"""

from __future__ import annotations

import time

from hardware.codec import Frame
from hardware.emulator.firmware import Firmware
from hardware.emulator.physics import Plant
from hardware.messages import DeviceInfo, Message, MsgType, State


class Device:
    """Firmware + plant on one clock; ``lockstep``: each COMMAND runs one control period."""

    def __init__(self, plant: Plant, info: DeviceInfo, *, lockstep: bool) -> None:
        self.plant, self.lockstep = plant, lockstep
        self.firmware = Firmware(info, home=self._set_state, set_state=self._set_state)
        self.period = plant.control_period
        self.periods = 0  # lockstep: control periods run so far (the device clock)
        self.fed_wall = time.monotonic()  # wall time the watchdog was last fed
        self._feeds = 0
        self._last_out = (self.firmware.output, False)
        self.firmware.measure(*plant.measurement())

    @property
    def time(self) -> float:
        """Lockstep device clock (s): the simulated time run by COMMANDs."""
        return self.periods * self.period

    def process(self, frame: Frame, t: float) -> Message:
        """Handle one valid frame at device time ``t`` (s); return the reply."""
        fw = self.firmware
        self.advance(t)
        fw.measure(*self.plant.measurement())
        reply = fw.handle(frame, round(t * 1e6))
        self._sync_output()
        if (self.lockstep and frame.msg_type == MsgType.COMMAND and isinstance(reply, State)
                and not fw.resent):  # a resent COMMAND runs no second period
            self.periods += 1
            t = self.time
            self.advance(t)
            reply = fw.resample(reply, round(t * 1e6))
        return reply

    def advance(self, t: float) -> None:
        """Run physics up to device time ``t`` with the firmware's checks after each tick."""
        self.plant.advance_to(t, self._on_tick)

    def check_wall_watchdog(self, now_wall: float, timeout: float) -> None:
        """Lockstep: trip the watchdog if no COMMAND for ``timeout`` s of wall-clock time."""
        if self.firmware.enabled and now_wall - self.fed_wall > timeout:
            self.firmware.trip_watchdog()
            self._sync_output()

    def _on_tick(self, now_us: int) -> None:
        fw = self.firmware
        fw.measure(*self.plant.measurement())
        fw.tick(now_us)
        self._sync_output()

    def _sync_output(self) -> None:
        fw = self.firmware
        if fw.feeds != self._feeds:
            self._feeds, self.fed_wall = fw.feeds, time.monotonic()
        out = (fw.output, fw.enabled)
        if out != self._last_out:
            self._last_out = out
            self.plant.command(*out)

    def _set_state(self, q: tuple[float, ...] | None = None,
                   qd: tuple[float, ...] | None = None) -> None:
        """RESET: HOME (zeros: arm at zero, pendulum hanging at rest) or STATE (exact)."""
        self.plant.reset(q, qd)
        self._last_out = ((0.0,) * self.plant.spec.n_actions, False)
        self.firmware.measure(*self.plant.measurement())
