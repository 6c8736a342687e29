"""Simulation: robots on PyBullet with named parameters."""

from s2r.sim.description import RobotDescription, load_robot_description
from s2r.sim.sim_robot import SimRobot

__all__ = ["RobotDescription", "SimRobot", "load_robot_description"]
