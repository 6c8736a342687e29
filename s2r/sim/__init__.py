"""Simulation: robots on PyBullet with named parameters.

Modules, one concept each:

- :mod:`s2r.description` (re-exported as ``s2r.sim.description``): the robot
  YAML schema, its loader and the robot's spec; no PyBullet needed.
- :mod:`s2r.sim.loading`: the URDF in a PyBullet client; link/joint name maps;
  nominal values read from the model; reloads for centre-of-mass changes.
- :mod:`s2r.sim.pybullet_params`: the one mapping from parameter names to
  PyBullet calls (masses with inertias, contacts, damping, Coulomb friction,
  limits, gravity, timestep), shared with ``randomizers.pybullet_target``.
- :mod:`s2r.sim.actuators`: actuator models (ideal torque/force, DC motor, gears).
- :mod:`s2r.sim.rotors`: the inertia of geared motors, coupled into their mount.
- :mod:`s2r.sim.stepping`: one control period as physics sub-steps, through the
  timing and sensing effects of :mod:`s2r.effects`.
- :mod:`s2r.sim.state`: :class:`SimState` snapshots and states built from logs.
- :mod:`s2r.sim.snapshots`: get_state/set_state and pickling (rebuilt in a new client).
- :mod:`s2r.sim.damping`: whether joint damping allows PyBullet's one-call sub-steps.
- :mod:`s2r.sim.parameters`: get/set by name and what a change implies (reloads, rotors,
  damping stiffness, effect timing).
- :mod:`s2r.sim.effect_controls`: the effect model, separate send/advance, carried
  channels and per-step filters (for an emulated device and the randomizers).
- :mod:`s2r.sim.sim_robot`: :class:`SimRobot`, a thin composition of the above (loading
  and the Robot interface: reset, act, observe, close).
- :mod:`s2r.sim.param_table` and :mod:`s2r.sim.relevance`: default bounds, and
  which inertial parameters cannot change the motion.

Importing ``s2r.sim`` does not start PyBullet; ``SimRobot`` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from s2r.description import RobotDescription, load_robot_description

if TYPE_CHECKING:
    from s2r.sim.sim_robot import SimRobot
    from s2r.sim.state import SimState

__all__ = ["RobotDescription", "SimRobot", "SimState", "load_robot_description"]


def __getattr__(name: str) -> Any:
    if name == "SimRobot":
        from s2r.sim.sim_robot import SimRobot

        return SimRobot
    if name == "SimState":
        from s2r.sim.state import SimState

        return SimState
    raise AttributeError(f"module 's2r.sim' has no attribute '{name}'")
