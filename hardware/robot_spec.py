"""A robot's :class:`~s2r.robot.RobotSpec` from its description, without a simulator.

Hardware paths must not start PyBullet just to learn joint names and limits; the
joint kinds come from the URDF's ``<joint type>`` instead.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from s2r.errors import RobotError
from s2r.robot import ActuatorSpec, JointSpec, RobotSpec, SafetyLimits
from s2r.sim.description import RobotDescription, load_robot_description

__all__ = ["spec_from_description", "spec_of"]


def _joint_kinds(urdf_path: str) -> dict[str, str]:
    try:
        root = ET.parse(urdf_path).getroot()
    except (ET.ParseError, OSError) as err:
        raise RobotError(f"cannot parse URDF: {err}", where=urdf_path) from None
    return {str(j.get("name")): "prismatic" if j.get("type") == "prismatic" else "revolute"
            for j in root.iter("joint")}


def spec_from_description(desc: RobotDescription) -> RobotSpec:
    """The :class:`RobotSpec` of a robot description, without starting a simulator.

    >>> spec = spec_from_description(load_robot_description("furuta"))
    >>> spec.joint_names, spec.action_high.tolist(), spec.safety.max_action_delta
    (['arm', 'pendulum'], [5.0], 2.0)
    """
    kinds = _joint_kinds(desc.urdf_path)
    joints = tuple(JointSpec(j.name, kinds.get(j.urdf_joint or j.name, "revolute"),
                             tuple(j.position_limits) if j.position_limits else None,  # type: ignore[arg-type]
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


def spec_of(robot: str | RobotDescription | RobotSpec, overrides: tuple[str, ...] = ()
            ) -> RobotSpec:
    """The spec of a robot name / YAML path, a description or a spec (returned as is).

    >>> spec_of("pendulum").actuators[0].unit
    'N*m'
    """
    if isinstance(robot, RobotSpec):
        return robot
    desc = robot if isinstance(robot, RobotDescription) else \
        load_robot_description(robot, overrides)
    return spec_from_description(desc)
