"""The emulated device: the robot's hidden truth behind a real serial port (a pty).

No hardware is needed to run the serial stack: :class:`Emulator` opens a
pseudo terminal and answers PROTOCOL.md on it like the reference firmware,
driving a PyBullet simulation of the robot whose parameters (the *truth*)
differ from the nominal model, with encoder quantization, noise, latency and
optional fault injection. See hardware/emulator/README.md.

>>> from hardware.emulator import Emulator, EmulatorConfig
>>> with Emulator(EmulatorConfig(robot="furuta", truth="bench", mode="lockstep")) as emu:
...     emu.port.startswith("/dev/"), emu.truth["motor.arm.resistance"]
(True, 9.1)
"""

from hardware.emulator.config import EmulatorConfig, load_emulator_config
from hardware.emulator.describe import device_info_for
from hardware.emulator.faults import Faults
from hardware.emulator.firmware import Firmware
from hardware.emulator.physics import Plant
from hardware.emulator.probe import Probe
from hardware.emulator.server import STAT_KEYS, Emulator
from hardware.emulator.truth import Effects, Truth, load_truth

__all__ = [
    "STAT_KEYS", "Effects", "Emulator", "EmulatorConfig", "Faults", "Firmware", "Plant", "Probe",
    "Truth", "device_info_for", "load_emulator_config", "load_truth",
]
