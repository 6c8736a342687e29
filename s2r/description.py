"""Robot descriptions: the YAML schema of ``configs/robots/*.yaml``, its loader and the spec.

A robot YAML names a URDF, the joints that are measured (in order), the
actuators that drive them, the control rate, safety limits, and optional
overrides of parameter nominal values and bounds. :func:`spec_from_description`
turns a description into the :class:`~s2r.robot.RobotSpec` every robot
(simulated or hardware) reports. Nothing here imports PyBullet, so hardware
paths and log readers can describe a robot without starting a simulator.

>>> desc = load_robot_description("pendulum")
>>> desc.name, [j.name for j in desc.joints], desc.actuators[0].type
('pendulum', ['hinge'], 'torque')
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pybullet_data  # only its data directory: it does not load the pybullet engine

from s2r.config import merge_into, parse_overrides, read_yaml, resolve_config_path
from s2r.errors import ConfigError, RobotError
from s2r.robot import ActuatorSpec, JointSpec, RobotSpec, SafetyLimits

ACTUATOR_TYPES = ("torque", "force", "dc_motor")


@dataclass
class JointConfig:
    """A measured joint. ``urdf_joint`` defaults to ``name``."""

    name: str = "???"
    urdf_joint: str | None = None
    damping: float | None = None  # None: the URDF value
    coulomb: float = 0.0
    armature: float | None = None  # None: rotor inertia not modelled
    velocity_limit: float | None = None  # safety guard
    position_limits: list[float] | None = None  # safety guard [lo, hi]


@dataclass
class ActuatorConfig:
    """An actuator on a joint: ``torque``/``force`` (ideal) or ``dc_motor`` (voltage)."""

    joint: str = "???"
    type: str = "torque"
    low: float = -1.0  # command limits, in the actuator's unit
    high: float = 1.0
    gain: float = 1.0  # torque/force actuators
    saturation: float | None = None  # torque/force actuators; default max(|low|, |high|)
    resistance: float = 8.4  # dc_motor, ohm
    torque_constant: float = 0.042  # dc_motor, N*m/A = V*s/rad
    deadzone: float = 0.0  # dc_motor, V
    voltage_limit: float | None = None  # dc_motor driver limit; default max(|low|, |high|)
    rotor_inertia: float | None = None  # kg*m^2 about the motor axis; None: not modelled
    gear_ratio: float | None = None  # motor turns per joint turn; None: direct drive (1)
    mount: str | None = None  # link the motor housing rides on; None: the joint's parent


@dataclass
class ParamOverride:
    nominal: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass
class RobotConfig:
    """Schema of a robot YAML file (see configs/robots/furuta.yaml for a documented one)."""

    name: str = "???"
    urdf: str = "???"  # path relative to the YAML, or pybullet_data:<file>
    inertia_from_file: bool = True
    base_position: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    joints: list[JointConfig] = field(default_factory=list)
    actuators: list[ActuatorConfig] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # links with parameters; [] = all with mass
    contact_links: list[str] = field(default_factory=list)  # links that touch something
    plane: bool = False  # load pybullet_data's plane.urdf as the floor
    control_rate: float = 50.0
    timestep: float = 1.0 / 240.0
    gravity: float = 9.81
    action_delay: float = 0.0
    observation_delay: float = 0.0
    max_action_delta: float | None = None
    sensors: list[str] = field(default_factory=list)  # e.g. current.arm for a dc_motor
    parameters: dict[str, ParamOverride] = field(default_factory=dict)


@dataclass
class RobotDescription(RobotConfig):
    """A validated :class:`RobotConfig` plus where it came from and its URDF path."""

    source: str = "<memory>"
    urdf_path: str = ""


def _fail(msg: str, where: str) -> ConfigError:
    return ConfigError(msg, where=where)


def _resolve_urdf(urdf: str, base_dir: Path, where: str) -> str:
    if urdf.startswith("pybullet_data:"):
        path = Path(pybullet_data.getDataPath()) / urdf.split(":", 1)[1]
    else:
        path = Path(urdf).expanduser()
        if not path.is_absolute():
            path = base_dir / path
    if not path.is_file():
        raise _fail(f"urdf: file not found: {path}", where)
    return str(path)


def validate(cfg: RobotConfig, where: str, base_dir: Path) -> RobotDescription:
    """Check cross-field rules of a robot config; return a :class:`RobotDescription`."""
    if not cfg.joints:
        raise _fail("joints: a robot needs at least one joint", where)
    names = [j.name for j in cfg.joints]
    if len(set(names)) != len(names):
        raise _fail(f"joints: duplicate joint names {names}", where)
    for key in ("control_rate", "timestep", "gravity"):
        value = getattr(cfg, key)
        if not (math.isfinite(value) and value > 0):
            raise _fail(f"{key}: must be > 0, got {value}", where)
    if cfg.timestep > 1.0 / cfg.control_rate:
        raise _fail(f"timestep: {cfg.timestep} s is longer than the control period "
                    f"{1.0 / cfg.control_rate} s", where)
    for key in ("action_delay", "observation_delay"):
        if getattr(cfg, key) < 0:
            raise _fail(f"{key}: must be >= 0", where)
    for i, joint in enumerate(cfg.joints):
        if joint.position_limits is not None:
            lim = joint.position_limits
            if len(lim) != 2 or lim[0] >= lim[1]:
                raise _fail(f"joints[{i}].position_limits: need [low, high] with low < high, "
                            f"got {list(lim)}", where)
        for key in ("coulomb", "damping", "armature", "velocity_limit"):
            value = getattr(joint, key)
            if value is not None and value < 0:
                raise _fail(f"joints[{i}].{key}: must be >= 0, got {value}", where)
    if not cfg.actuators:
        raise _fail("actuators: a robot needs at least one actuator", where)
    for i, act in enumerate(cfg.actuators):
        if act.joint not in names:
            raise _fail(f"actuators[{i}].joint: '{act.joint}' is not one of joints {names}", where)
        if act.type not in ACTUATOR_TYPES:
            raise _fail(f"actuators[{i}].type: '{act.type}' is not one of {ACTUATOR_TYPES}", where)
        if act.low >= act.high:
            raise _fail(f"actuators[{i}]: inverted command range low={act.low} >= "
                        f"high={act.high}", where)
        if act.type == "dc_motor" and (act.resistance <= 0 or act.torque_constant <= 0):
            raise _fail(f"actuators[{i}]: resistance and torque_constant must be > 0", where)
        if act.rotor_inertia is not None and not (math.isfinite(act.rotor_inertia)
                                                  and act.rotor_inertia >= 0):
            raise _fail(f"actuators[{i}].rotor_inertia: must be >= 0, got {act.rotor_inertia}",
                        where)
        if act.gear_ratio is not None and not (math.isfinite(act.gear_ratio)
                                               and act.gear_ratio > 0):
            raise _fail(f"actuators[{i}].gear_ratio: must be > 0, got {act.gear_ratio}", where)
        if act.mount is not None and act.rotor_inertia is None:
            raise _fail(f"actuators[{i}].mount: only meaningful with a rotor_inertia", where)
    for name, override in cfg.parameters.items():
        if override.low is not None and override.high is not None and override.low > override.high:
            raise _fail(f"parameters.{name}: inverted range low={override.low} > "
                        f"high={override.high}", where)
    urdf_path = _resolve_urdf(cfg.urdf, base_dir, where)
    fields = {k: getattr(cfg, k) for k in RobotConfig.__dataclass_fields__}
    return RobotDescription(**fields, source=where, urdf_path=urdf_path)


def load_robot_description(name_or_path: str | os.PathLike[str],
                           overrides: Sequence[str] = ()) -> RobotDescription:
    """Load a built-in robot by name or a user's robot YAML by path, with overrides."""
    path = resolve_config_path("robots", name_or_path)
    sources = [(read_yaml(path), str(path))]
    if overrides:
        sources.append((parse_overrides(overrides), "<overrides>"))
    cfg = merge_into(RobotConfig, *sources)
    return validate(cfg, str(path), path.parent)


def urdf_joint_kinds(urdf_path: str) -> dict[str, str]:
    """Kind (``revolute``/``prismatic``) of every joint of a URDF, read from its XML."""
    try:
        root = ET.parse(urdf_path).getroot()
    except (ET.ParseError, OSError) as err:
        raise RobotError(f"cannot parse URDF: {err}", where=urdf_path) from None
    return {str(j.get("name")): "prismatic" if j.get("type") == "prismatic" else "revolute"
            for j in root.iter("joint")}


def spec_from_description(desc: RobotDescription) -> RobotSpec:
    """The :class:`RobotSpec` of a robot description, without starting a simulator.

    SimRobot reports exactly this spec, so sim and hardware agree on joint
    names, kinds, command limits and safety limits.

    >>> spec = spec_from_description(load_robot_description("furuta"))
    >>> spec.joint_names, spec.action_high.tolist(), spec.safety.max_action_delta
    (['arm', 'pendulum'], [5.0], 2.0)
    """
    kinds = urdf_joint_kinds(desc.urdf_path)
    joints = tuple(JointSpec(j.name, kinds.get(j.urdf_joint or j.name, "revolute"),
                             (float(j.position_limits[0]), float(j.position_limits[1]))
                             if j.position_limits else None,
                             j.velocity_limit) for j in desc.joints)
    actuators = tuple(ActuatorSpec(a.joint, a.joint, a.type, a.low, a.high)
                      for a in desc.actuators)
    safety = SafetyLimits(
        position={j.name: (float(j.position_limits[0]), float(j.position_limits[1]))
                  for j in desc.joints if j.position_limits},
        velocity={j.name: float(j.velocity_limit) for j in desc.joints
                  if j.velocity_limit is not None},
        max_action_delta=desc.max_action_delta)
    return RobotSpec(desc.name, joints, actuators, desc.control_rate, tuple(desc.sensors), safety)


def spec_of(robot: str | os.PathLike[str] | RobotDescription | RobotSpec,
            overrides: Sequence[str] = ()) -> RobotSpec:
    """The spec of a robot name / YAML path, a description or a spec (returned as is).

    >>> spec_of("pendulum").actuators[0].unit
    'N*m'
    """
    if isinstance(robot, RobotSpec):
        return robot
    desc = robot if isinstance(robot, RobotDescription) else \
        load_robot_description(robot, overrides)
    return spec_from_description(desc)
