"""DEVICE_INFO (PROTOCOL.md §5) and the host's handshake check against its robot spec.

>>> arm = JointInfo("arm", action_limits=(-5.0, 5.0), action_unit=Unit.VOLT)
>>> info = DeviceInfo("fw 1", "furuta", (arm, JointInfo("pendulum")))
>>> DeviceInfo.decode(info.encode()) == info
True
>>> check_device_info(info, "furuta", ["arm", "pendulum"])
>>> check_device_info(info, "cartpole", ["arm", "pendulum"])
Traceback (most recent call last):
...
hardware.protocol.HandshakeError: device robot name: expected 'cartpole', got 'furuta'
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar, TypeVar

from hardware.protocol import (
    PROTOCOL_VERSION,
    HandshakeError,
    JointKind,
    MessageError,
    MsgType,
    Reader,
    Unit,
    fail,
    str8,
)

if TYPE_CHECKING:
    from s2r.robot import RobotSpec

INF = math.inf
E = TypeVar("E", bound=IntEnum)
_JOINT = struct.Struct("<B5fBI")  # kind, pos lo/hi, vel limit, action lo/hi, unit, counts/rev
_HEAD = struct.Struct("<HHBB")  # rate hint, watchdog ms, n joints, m sensors


@dataclass(frozen=True)
class JointInfo:
    """A joint as the device describes it; ``action_unit`` NONE = passive."""

    name: str
    kind: JointKind = JointKind.REVOLUTE
    position_limits: tuple[float, float] = (-INF, INF)
    velocity_limit: float = INF
    action_limits: tuple[float, float] = (0.0, 0.0)
    action_unit: Unit = Unit.NONE
    counts_per_rev: int = 0

    @property
    def actuated(self) -> bool:
        return self.action_unit != Unit.NONE


@dataclass(frozen=True)
class SensorInfo:
    """An extra sensor value carried in STATE, e.g. ``SensorInfo("arm_current", Unit.AMPERE)``."""

    name: str
    unit: Unit = Unit.NONE


@dataclass(frozen=True)
class DeviceInfo:
    """Reply to HELLO: what the device is, its joints, sensors and watchdog."""

    TYPE: ClassVar[MsgType] = MsgType.DEVICE_INFO
    firmware: str
    robot: str
    joints: tuple[JointInfo, ...]
    sensors: tuple[SensorInfo, ...] = ()
    rate_hint_hz: int = 0
    watchdog_ms: int = 100
    protocol_version: int = PROTOCOL_VERSION

    @property
    def n_actions(self) -> int:
        """Number of actuated joints = floats in a COMMAND."""
        return sum(j.actuated for j in self.joints)

    def encode(self) -> bytes:
        out = [struct.pack("<H", self.protocol_version), str8("DEVICE_INFO", self.firmware),
               str8("DEVICE_INFO", self.robot),
               _HEAD.pack(self.rate_hint_hz, self.watchdog_ms, len(self.joints), len(self.sensors))]
        for j in self.joints:
            out += [str8("DEVICE_INFO", j.name),
                    _JOINT.pack(int(j.kind), *j.position_limits, j.velocity_limit,
                                *j.action_limits, int(j.action_unit), j.counts_per_rev)]
        for s in self.sensors:
            out += [str8("DEVICE_INFO", s.name), bytes((int(s.unit),))]
        return b"".join(out)

    @classmethod
    def decode(cls, payload: bytes) -> DeviceInfo:
        """Decode; a protocol version other than ours raises HandshakeError."""
        r = Reader("DEVICE_INFO", payload)
        (version,) = r.take("<H", "protocol_version")
        if version != PROTOCOL_VERSION:
            raise HandshakeError(f"device speaks protocol version {version}, "
                                 f"host speaks {PROTOCOL_VERSION}")
        firmware, robot = r.str8("firmware version"), r.str8("robot name")
        rate, wd, n, m = r.take(_HEAD.format, "rate hint, watchdog and counts")
        joints = tuple(_read_joint(r, i) for i in range(n))
        sensors = []
        for i in range(m):
            name = r.str8(f"sensor {i} name")
            (unit,) = r.take("<B", f"sensor {i} unit")
            sensors.append(SensorInfo(name, _enum(Unit, unit, f"sensor {i} unit")))
        r.end()
        return cls(firmware, robot, joints, tuple(sensors), rate, wd, version)


def _enum(enum: type[E], value: int, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise MessageError(f"DEVICE_INFO {what}: unknown code {value}") from None


def _read_joint(r: Reader, i: int) -> JointInfo:
    name = r.str8(f"joint {i} name")
    kind, plo, phi, vel, alo, ahi, unit, cpr = r.take(_JOINT.format, f"joint {i} ({name!r}) record")
    if any(math.isnan(v) for v in (plo, phi, vel, alo, ahi)) or plo > phi or alo > ahi or vel <= 0:
        raise fail("DEVICE_INFO", f"joint {i} ({name!r}) has invalid limits: position "
                                  f"[{plo}, {phi}], velocity {vel}, action [{alo}, {ahi}]")
    return JointInfo(name, _enum(JointKind, kind, f"joint {i} kind"), (plo, phi), vel, (alo, ahi),
                     _enum(Unit, unit, f"joint {i} action unit"), cpr)


@dataclass(frozen=True)
class ExpectedJoint:
    """What the host requires of one joint; ``None`` fields are not checked."""

    name: str
    kind: JointKind | None = None
    action_unit: Unit | None = None
    action_limits: tuple[float, float] | None = None
    position_limits: tuple[float, float] | None = None
    velocity_limit: float | None = None


def _f32(x: float) -> float:
    value: float = struct.unpack("<f", struct.pack("<f", x))[0]
    return value


def _same(expected: object, got: object) -> bool:
    if isinstance(expected, tuple):
        return (isinstance(got, tuple) and len(got) == len(expected)
                and all(_same(e, g) for e, g in zip(expected, got)))
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return _f32(float(expected)) == _f32(float(got))
    return expected == got


def check_device_info(info: DeviceInfo, expected_name: str,
                      expected_joints: Sequence[ExpectedJoint | JointInfo | str], *,
                      expected_sensors: Sequence[str] | None = None,
                      protocol_version: int = PROTOCOL_VERSION) -> None:
    """Refuse a device that is not the expected robot; the error names field, expected, got.

    Joints are given by name only, as :class:`ExpectedJoint` (``None`` fields
    unchecked) or as a full :class:`JointInfo` (all but counts_per_rev checked).
    Floats are compared after rounding to float32.
    """
    def check(what: str, expected: object, got: object) -> None:
        if not _same(expected, got):
            raise HandshakeError(f"device {what}: expected {_show(expected)}, got {_show(got)}")

    check("protocol version", protocol_version, info.protocol_version)
    check("robot name", expected_name, info.robot)
    check("joint count", len(expected_joints), len(info.joints))
    for i, (exp, got) in enumerate(zip(expected_joints, info.joints)):
        if isinstance(exp, str):
            exp = ExpectedJoint(exp)
        elif isinstance(exp, JointInfo):
            exp = ExpectedJoint(**{f.name: getattr(exp, f.name) for f in fields(ExpectedJoint)})
        check(f"joint {i} name", exp.name, got.name)
        for f in fields(ExpectedJoint)[1:]:
            value = getattr(exp, f.name)
            if value is not None:
                check(f"joint {i} ({got.name!r}) {f.name}", value, getattr(got, f.name))
    if expected_sensors is not None:
        check("sensors", tuple(expected_sensors), tuple(s.name for s in info.sensors))


def _show(value: object) -> str:
    if isinstance(value, (Unit, JointKind)):
        return value.name
    return repr(value)


_UNITS = {"dc_motor": Unit.VOLT, "torque": Unit.NEWTON_METRE, "force": Unit.NEWTON}


def expected_from_spec(spec: RobotSpec) -> list[ExpectedJoint]:
    """The joints a device must report for ``spec``: names, kinds, action units and limits.

    Actuators must be in joint order (COMMAND carries one float per actuated
    joint, in joint order) and at most one per joint.
    """
    by_joint = {a.joint: a for a in spec.actuators}
    order = [j.name for j in spec.joints if j.name in by_joint]
    if order != [a.joint for a in spec.actuators]:
        raise HandshakeError(f"robot {spec.name!r}: actuators must drive distinct joints in "
                             f"joint order for the serial protocol, got {spec.actuator_names}")
    out = []
    for j in spec.joints:
        act = by_joint.get(j.name)
        unit = _UNITS[act.kind] if act else Unit.NONE
        limits = (float(act.low), float(act.high)) if act else (0.0, 0.0)
        out.append(ExpectedJoint(j.name, JointKind[j.kind.upper()], unit, limits))
    return out
