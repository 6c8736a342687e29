"""DEVICE_INFO of an emulated robot, built from its :class:`~s2r.robot.RobotSpec`.

>>> from s2r.sim import SimRobot
>>> with SimRobot("furuta") as robot:
...     info = device_info_for(robot.spec, counts_per_rev=2048)
>>> info.robot, [(j.name, j.action_unit.name, j.counts_per_rev) for j in info.joints]
('furuta', [('arm', 'VOLT', 2048), ('pendulum', 'NONE', 2048)])
>>> check_device_info(info, "furuta", expected_from_spec(robot.spec))
"""

from __future__ import annotations

import math

from hardware.messages import (
    DeviceInfo,
    JointInfo,
    JointKind,
    SensorInfo,
    Unit,
    check_device_info,
    expected_from_spec,
)
from s2r.robot import RobotSpec

FIRMWARE_VERSION = "s2r-emu 0.1.0"
_SENSOR_UNITS = {"current": Unit.AMPERE, "voltage": Unit.VOLT, "torque": Unit.NEWTON_METRE}

__all__ = ["FIRMWARE_VERSION", "check_device_info", "device_info_for"]


def device_info_for(spec: RobotSpec, *, counts_per_rev: int = 0, watchdog_ms: int = 100,
                    rate_hint_hz: float | None = None, firmware: str = FIRMWARE_VERSION,
                    position_margin: float = 0.2, velocity_factor: float = 4 / 3) -> DeviceInfo:
    """The DEVICE_INFO of a device running ``spec`` (what a host checks at handshake).

    Joint kinds, action units and limits come from
    :func:`hardware.messages.expected_from_spec`; the device's position and
    velocity limits are backstops a little wider than the host's safety guards
    in the spec (``position_margin`` rad or m each side, ``velocity_factor``
    times the speed), like the reference firmware's, so the host's own guard
    trips first and the device's limit stop only catches what gets past it;
    missing limits are infinite. Revolute joints report ``counts_per_rev``,
    prismatic ones 0.
    """
    joints = []
    for js, exp in zip(spec.joints, expected_from_spec(spec)):
        lo, hi = js.position_limits or (-math.inf, math.inf)
        lo, hi = lo - position_margin, hi + position_margin
        kind = exp.kind if exp.kind is not None else JointKind.REVOLUTE
        joints.append(JointInfo(
            js.name, kind, (float(lo), float(hi)),
            float(js.velocity_limit) * velocity_factor if js.velocity_limit is not None
            else math.inf,
            exp.action_limits or (0.0, 0.0), exp.action_unit or Unit.NONE,
            counts_per_rev if kind == JointKind.REVOLUTE else 0))
    sensors = tuple(SensorInfo(s, _SENSOR_UNITS.get(s.split(".")[0], Unit.NONE))
                    for s in spec.sensors)
    rate = spec.control_rate if rate_hint_hz is None else rate_hint_hz
    return DeviceInfo(firmware, spec.name, tuple(joints), sensors, round(rate), watchdog_ms)
