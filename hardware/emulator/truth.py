"""The emulated robot's hidden ground truth: parameter values plus bench settings.

A truth is a YAML file with the robot it is for, the values of named
parameters and the bench's settings. Parameters are those of
``SimRobot(robot).params`` plus the robot's timing and sensing effects
(:mod:`s2r.effects`: encoder resolution, velocity filter cutoff, noise levels,
rate limit, smooth friction); names not given stay nominal (effects: off).
Settings are what is random per event rather than a property of the robot:
the actuation-delay jitter and the serial link's latency::

    robot: furuta
    params:
      link.pendulum.mass: 0.02592
      motor.arm.resistance: 9.1
      sensor.arm.resolution: 0.0030679615757712823   # 2*pi/2048: 2048 counts/rev
    effects:
      action_jitter: 0.001

A flat mapping of parameter values (no ``params:``/``effects:`` keys) is
accepted too; its settings are then all off. ``truth="bench"`` is the
documented default of a built-in robot (``configs/hardware/truth/<robot>_bench.yaml``),
``truth="nominal"`` is the nominal model without any effect.

>>> from s2r.params import Parameter, ParameterTable
>>> table = ParameterTable([Parameter("link.pole.mass", 1.0, 0.25, 4.0, "kg")])
>>> truth = load_truth("pendulum", "nominal", table)
>>> truth.params, truth.effects.action_jitter
({}, 0.0)
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from s2r.config import configs_dir, merge_into, read_yaml
from s2r.effects import effect_parameters
from s2r.errors import ConfigError, ParameterError
from s2r.params import ParameterTable
from s2r.robot import RobotSpec

#: Parameters a truth may not set: the control period is the host's choice, not the plant's.
NOT_PHYSICAL = ("world.control_period",)


@dataclass
class Effects:
    """Settings of the bench that are not robot parameters (all off by default)."""

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
        return self

    def updated(self, **values: Any) -> Effects:
        """A copy with the non-None values replaced (config overrides)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


SETTINGS = tuple(f.name for f in fields(Effects))

#: Former ``effects:`` keys of a truth file, now named parameters (per joint or sensor).
RENAMED = {
    "encoder_cpr": "the per-joint parameter sensor.<joint>.resolution = 2*pi/counts (rad)",
    "linear_resolution": "the per-joint parameter sensor.<joint>.resolution (m)",
    "velocity_filter": "the per-joint parameter sensor.<joint>.velocity_cutoff = "
                       "-ln(a) / (2*pi*timestep) (Hz)",
    "position_noise": "the per-joint parameter sensor.<joint>.position_noise",
    "velocity_noise": "the per-joint parameter sensor.<joint>.velocity_noise",
    "sensor_noise": "the per-sensor parameter sensor.<sensor>.noise (dots as underscores, "
                    "e.g. sensor.current_arm.noise)",
}

#: Emulator options that set a named parameter for every joint (or extra sensor) at once.
SHORTCUTS = tuple(RENAMED)

#: Every effect option of the emulator's config: settings, then shortcuts.
EFFECT_NAMES = SETTINGS + SHORTCUTS


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
        """One line for humans: the source, how many parameters differ, the settings on."""
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
    effects = raw.get("effects")
    for key in effects if isinstance(effects, dict) else ():
        if key in RENAMED:
            raise ConfigError(f"effects.{key}: no longer a setting; it is {RENAMED[key]}, "
                              "under params:", where=where)
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


def truth_table(params: ParameterTable, spec: RobotSpec) -> ParameterTable:
    """The parameters a truth may set: a SimRobot's ``params`` plus its effect parameters."""
    return ParameterTable([*params.values(), *effect_parameters(spec, existing=params)])
