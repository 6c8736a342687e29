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

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hardware.emulator.truth import EFFECT_NAMES
from s2r.config import configs_dir, merge_into, parse_overrides, read_yaml
from s2r.settings import check_values, setting

MODES = ("realtime", "lockstep")
SET_WATCHDOG = ("obey", "ignore", "refuse")
RATES = ("corrupt_rate", "drop_rate", "garbage_rate")


def _probability(meaning: str) -> Any:
    return setting(0.0, f"probability {meaning}", ge=0, le=1,
                   message="must be a probability in [0, 1]")


def _effect(meaning: str) -> Any:
    return setting(None, meaning, ge=0, message="must be finite and >= 0")


@dataclass
class EmulatorConfig:
    """Everything ``Emulator`` and ``s2r emulate`` take; effect fields override the truth."""

    robot: str = setting("furuta", "built-in robot name or path to a robot YAML")
    truth: str = setting("bench", "hidden truth: bench | nominal | path to a truth YAML")
    mode: str = setting("realtime", "realtime (wall clock) or lockstep (one COMMAND = one "
                        "period)", choices=MODES)
    seed: int = setting(0, "seeds every random draw (noise, jitter, faults)", ge=0)
    watchdog_ms: int = setting(100, "device watchdog after power-up (SET_WATCHDOG changes it)",
                               ge=1, le=60000)
    set_watchdog: str = setting("obey", "fault: obey | ignore (ACK, keep watchdog_ms) | refuse "
                                "(NACK) SET_WATCHDOG", choices=SET_WATCHDOG)
    host_baud: int | None = setting(None, "fault: the host reads at this baud, not `baud`: "
                                    "replies arrive garbled", gt=0)
    lockstep_wall_timeout_ms: int = setting(1000, "lockstep: trip after this long without a "
                                            "COMMAND", gt=0)
    control_rate: float | None = setting(None, "Hz of the host loop; null: the robot's", gt=0)
    baud: int = setting(1_000_000, "informational: a pty has no baud rate", gt=0)
    port_file: str | None = setting(None, "write the pty path to this file once it is open")
    # fault injection, on the device's replies (0 / null: off)
    corrupt_rate: float = _probability("of flipping one bit in a reply frame")
    drop_rate: float = _probability("of not sending a reply")
    garbage_rate: float = _probability("of random bytes (and a 0x00) before a reply")
    silent_after: float | None = setting(None, "s after start: stop answering (unplugged "
                                         "cable)", ge=0, message="must be >= 0 seconds")
    hang_up_after: float | None = setting(None, "s after start: close the pty (port "
                                          "disappears)", ge=0, message="must be >= 0 seconds")
    # effect overrides (null: the truth file's value); see hardware/emulator/truth.py
    encoder_cpr: int | None = _effect("counts per revolution of revolute joints (0: exact)")
    linear_resolution: float | None = _effect("m per count of prismatic joints (0: exact)")
    velocity_filter: float | None = _effect("low-pass on estimated velocities per tick, [0, 1)")
    position_noise: float | None = _effect("std of noise on positions (rad or m)")
    velocity_noise: float | None = _effect("std of noise on reported velocities")
    sensor_noise: float | None = _effect("std of noise on extra sensors (motor current, A)")
    action_jitter: float | None = _effect("s: actuation delay jitter, uniform +-")
    comm_latency: float | None = _effect("s, one-way serial latency (realtime mode only)")
    comm_jitter: float | None = _effect("s: one-way latency jitter, uniform +-")

    def effect_overrides(self) -> dict[str, Any]:
        """The effect fields that are set (not None)."""
        return {k: getattr(self, k) for k in EFFECT_NAMES if getattr(self, k) is not None}

    def check(self, where: str = "emulator") -> EmulatorConfig:
        """Raise :class:`ConfigError` naming the field of a bad value; return self."""
        check_values(self, lambda path: where)
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
    cfg: EmulatorConfig = merge_into(EmulatorConfig, *sources)  # checks every field
    return cfg

