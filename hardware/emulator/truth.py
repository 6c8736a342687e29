"""The emulated robot's hidden ground truth: parameter values plus non-ideal effects.

A truth is a YAML file with the robot it is for, the values of named
parameters (only names of ``SimRobot(robot).params``; the rest stay nominal)
and the effects the nominal model does not have (encoder quantization,
sensor noise, latencies)::

    robot: furuta
    params:
      link.pendulum.mass: 0.02592
      motor.arm.resistance: 9.1
    effects:
      encoder_cpr: 2048

A flat mapping of parameter values (no ``params:``/``effects:`` keys) is
accepted too; its effects are then all off. ``truth="bench"`` is the
documented default of a built-in robot (``configs/hardware/truth/<robot>_bench.yaml``),
``truth="nominal"`` is the nominal model without any effect.

>>> from s2r.params import Parameter, ParameterTable
>>> table = ParameterTable([Parameter("link.pole.mass", 1.0, 0.25, 4.0, "kg")])
>>> truth = load_truth("pendulum", "nominal", table)
>>> truth.params, truth.effects.encoder_cpr
({}, 0)
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from s2r.config import configs_dir, merge_into, read_yaml
from s2r.errors import ConfigError, ParameterError
from s2r.params import ParameterTable

#: Parameters a truth may not set: the control period is the host's choice, not the plant's.
NOT_PHYSICAL = ("world.control_period",)


@dataclass
class Effects:
    """What the real bench does that the nominal model does not (all off by default).

    Positions are ``round((q + noise) / resolution) * resolution``; velocities
    of quantized joints are finite differences of quantized positions over one
    control period (as the firmware computes them), then low-pass filtered.
    """

    encoder_cpr: int = 0  # counts per revolution of revolute joints (0: exact positions)
    linear_resolution: float = 0.0  # m per count of prismatic joints (0: exact)
    velocity_filter: float = 0.0  # first-order low-pass on velocities, per tick, in [0, 1)
    position_noise: float = 0.0  # std of Gaussian noise on positions (before quantization)
    velocity_noise: float = 0.0  # std of Gaussian noise on reported velocities
    sensor_noise: float = 0.0  # std of Gaussian noise on extra sensors (motor current, A)
    action_jitter: float = 0.0  # s, actuation latency = delay.action + U(-j, j) per command
    comm_latency: float = 0.0  # s, one-way serial latency (realtime mode only)
    comm_jitter: float = 0.0  # s, one-way latency = comm_latency + U(-j, j) per message

    def check(self, where: str) -> Effects:
        """Raise ConfigError naming the field if a value is out of range; return self."""
        for f in fields(self):
            value = getattr(self, f.name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"effects.{f.name}: must be finite and >= 0, got {value}",
                                  where=where)
        if self.velocity_filter >= 1.0:
            raise ConfigError(f"effects.velocity_filter: must be in [0, 1), got "
                              f"{self.velocity_filter}", where=where)
        return self

    def updated(self, **values: Any) -> Effects:
        """A copy with the non-None values replaced (config overrides)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


EFFECT_NAMES = tuple(f.name for f in fields(Effects))


@dataclass
class TruthFile:
    """Schema of a truth YAML."""

    robot: str | None = None  # the robot this truth is for (checked when given)
    params: dict[str, float] = field(default_factory=dict)
    effects: Effects = field(default_factory=Effects)


@dataclass
class Truth:
    """A loaded, validated truth: parameter values to set, effects, and their source."""

    robot: str
    params: dict[str, float]
    effects: Effects
    source: str

    def describe(self) -> str:
        """One line for humans, e.g. ``furuta_bench.yaml: 9 parameters, encoder 2048 cpr``."""
        on = {k: v for k, v in asdict(self.effects).items() if v}
        effects = ", ".join(f"{k}={v:g}" for k, v in on.items()) or "no effects"
        return f"{self.source}: {len(self.params)} parameters differ from nominal, {effects}"


def truth_path(robot: str, truth: str) -> Path | None:
    """The YAML of ``truth`` (``bench`` or a path) for robot ``robot``; None for ``nominal``."""
    if truth == "nominal":
        return None
    if truth == "bench":
        path = configs_dir() / "hardware" / "truth" / f"{robot}_bench.yaml"
        if not path.is_file():
            known = sorted(p.stem.removesuffix("_bench")
                           for p in path.parent.glob("*_bench.yaml"))
            raise ConfigError(f"no bench truth for robot '{robot}' (there is one for "
                              f"{', '.join(known) or 'none'}); pass truth=nominal or "
                              "truth=path/to/truth.yaml", where="truth")
        return path
    path = Path(truth).expanduser()
    if not path.is_file():
        raise ConfigError("no such truth file (expected bench, nominal or a path to a YAML)",
                          where=f"truth={truth}")
    return path


def load_truth(robot: str, truth: str | os.PathLike[str], table: ParameterTable) -> Truth:
    """Load and validate a truth for ``robot`` against its parameter table.

    Every problem is a :class:`ConfigError` that names the key and the file.
    """
    path = truth_path(robot, str(truth))
    if path is None:
        return Truth(robot, {}, Effects(), "nominal")
    where = str(path)
    raw = OmegaConf.to_container(read_yaml(path), resolve=True)
    assert isinstance(raw, dict)
    if not set(raw) & {"robot", "params", "effects"}:
        raw = {"params": raw}  # a flat mapping of parameter values
    params = raw.pop("params", None) or {}
    if not isinstance(params, dict):
        raise ConfigError("params: expected a mapping of parameter names to values", where=where)
    spec: TruthFile = merge_into(TruthFile, (raw, where))
    if spec.robot is not None and spec.robot != robot:
        raise ConfigError(f"robot: this truth is for '{spec.robot}', not '{robot}'", where=where)
    return Truth(robot, check_params(params, table, where), spec.effects.check(where), where)


def check_params(values: dict[Any, Any], table: ParameterTable, where: str) -> dict[str, float]:
    """Validate names, types and bounds of parameter values; errors name key and file."""
    out: dict[str, float] = {}
    for name, value in values.items():
        name = str(name)
        if name in NOT_PHYSICAL:
            raise ConfigError(f"params.{name}: not a property of the robot (the host chooses "
                              "its control rate)", where=where)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"params.{name}: expected a number, got {value!r}", where=where)
        try:
            out[name] = table[name].check(float(value))
        except ParameterError as err:
            raise ConfigError(f"params.{name}: {err.message}", where=where) from None
    return out
