"""Options of the emulated device (an omegaconf schema; defaults in configs/hardware/emulator.yaml).

>>> cfg = EmulatorConfig(robot="pendulum", mode="lockstep", seed=3)
>>> cfg.check().watchdog_ms
100
>>> EmulatorConfig(mode="fast").check()
Traceback (most recent call last):
...
s2r.errors.ConfigError: emulator: mode: must be realtime or lockstep, got 'fast'
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hardware.emulator.truth import EFFECT_NAMES
from s2r.config import configs_dir, merge_into, parse_overrides, read_yaml
from s2r.errors import ConfigError

MODES = ("realtime", "lockstep")
SET_WATCHDOG = ("obey", "ignore", "refuse")
RATES = ("corrupt_rate", "drop_rate", "garbage_rate")


@dataclass
class EmulatorConfig:
    """Everything ``Emulator`` and ``s2r emulate`` take; effect fields override the truth."""

    robot: str = "furuta"  # built-in robot name or path to a robot YAML
    truth: str = "bench"  # bench | nominal | path to a truth YAML
    mode: str = "realtime"  # realtime (wall clock) | lockstep (one COMMAND = one period)
    seed: int = 0  # seeds every random draw (noise, jitter, faults)
    watchdog_ms: int = 100  # device watchdog after power-up (SET_WATCHDOG changes it)
    set_watchdog: str = "obey"  # obey | ignore (ACK, keep watchdog_ms) | refuse (NACK): faults
    host_baud: int | None = None  # the host reads at this rate, not `baud`: replies garbled
    lockstep_wall_timeout_ms: int = 1000  # lockstep: trip after this long without COMMAND
    control_rate: float | None = None  # Hz of the host loop; null: the robot's
    baud: int = 1_000_000  # informational: a pty has no baud rate
    port_file: str | None = None  # write the pty path to this file once it is open
    # fault injection, on the device's replies (0 / null: off)
    corrupt_rate: float = 0.0  # probability of flipping one bit in a reply frame
    drop_rate: float = 0.0  # probability of not sending a reply
    garbage_rate: float = 0.0  # probability of random bytes (and a 0x00) before a reply
    silent_after: float | None = None  # s after start: stop answering (unplugged cable)
    hang_up_after: float | None = None  # s after start: close the pty (port disappears)
    # effect overrides (null: the truth file's value); see hardware/emulator/truth.py
    encoder_cpr: int | None = None
    linear_resolution: float | None = None
    velocity_filter: float | None = None
    position_noise: float | None = None
    velocity_noise: float | None = None
    sensor_noise: float | None = None
    action_jitter: float | None = None
    comm_latency: float | None = None
    comm_jitter: float | None = None

    def effect_overrides(self) -> dict[str, Any]:
        """The effect fields that are set (not None)."""
        return {k: getattr(self, k) for k in EFFECT_NAMES if getattr(self, k) is not None}

    def check(self, where: str = "emulator") -> EmulatorConfig:
        """Raise :class:`ConfigError` naming the field of a bad value; return self."""
        def bad(key: str, why: str) -> ConfigError:
            return ConfigError(f"{key}: {why}, got {getattr(self, key)!r}", where=where)

        if self.mode not in MODES:
            raise bad("mode", "must be realtime or lockstep")
        if not 1 <= self.watchdog_ms <= 60000:
            raise bad("watchdog_ms", "must be 1..60000")
        if self.host_baud is not None and not self.host_baud > 0:
            raise bad("host_baud", "must be > 0 baud")
        if self.baud <= 0:
            raise bad("baud", "must be > 0 baud")
        if self.set_watchdog not in SET_WATCHDOG:
            raise bad("set_watchdog", "must be obey, ignore or refuse")
        if self.lockstep_wall_timeout_ms <= 0:
            raise bad("lockstep_wall_timeout_ms", "must be > 0")
        if self.control_rate is not None and not (math.isfinite(self.control_rate)
                                                  and self.control_rate > 0):
            raise bad("control_rate", "must be > 0")
        for key in RATES:
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise bad(key, "must be a probability in [0, 1]")
        for key in ("silent_after", "hang_up_after"):
            value = getattr(self, key)
            if value is not None and not value >= 0:
                raise bad(key, "must be >= 0 seconds")
        for key in EFFECT_NAMES:
            value = getattr(self, key)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise bad(key, "must be finite and >= 0")
        return self


def default_config_path() -> str:
    """configs/hardware/emulator.yaml."""
    return str(configs_dir() / "hardware" / "emulator.yaml")


def load_emulator_config(path: str | os.PathLike[str] | None = None,
                         overrides: Sequence[str] = ()) -> EmulatorConfig:
    """Defaults from configs/hardware/emulator.yaml, then ``path``, then ``overrides``.

    >>> load_emulator_config(overrides=["robot=cartpole", "mode=lockstep"]).mode
    'lockstep'
    """
    sources: list[tuple[Any, str]] = [(read_yaml(default_config_path()), default_config_path())]
    if path is not None:
        sources.append((read_yaml(path), str(path)))
    if overrides:
        sources.append((parse_overrides(overrides), "<overrides>"))
    cfg: EmulatorConfig = merge_into(EmulatorConfig, *sources)
    return cfg.check(sources[-1][1])

