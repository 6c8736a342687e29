"""Robot descriptions (re-exported from :mod:`s2r.description`, which needs no simulator)."""

from s2r.description import (
    ACTUATOR_TYPES,
    ActuatorConfig,
    JointConfig,
    ParamOverride,
    RobotConfig,
    RobotDescription,
    load_robot_description,
    spec_from_description,
    spec_of,
    validate,
)

__all__ = ["ACTUATOR_TYPES", "ActuatorConfig", "JointConfig", "ParamOverride", "RobotConfig",
           "RobotDescription", "load_robot_description", "spec_from_description", "spec_of",
           "validate"]
