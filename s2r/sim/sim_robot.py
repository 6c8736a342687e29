"""SimRobot: a robot simulated in PyBullet (DIRECT mode), with named parameters.

Every parameter of :attr:`SimRobot.params` can be read with :meth:`get` and
changed with :meth:`set` on a live simulation, and the change acts on the
next step. Values are absolute and the nominal values never change, so
nothing compounds. How each kind reaches PyBullet, and why, is in s2r/sim/PHYSICS.md:

- mass and inertia are sent together (a bare mass change makes PyBullet throw
  the inertia away); setting a mass keeps the link's radii of gyration, so its
  inertia scales with it; setting an inertia sets it;
- the armature (rotor inertia) is added to the inertia about the joint axis;
- Coulomb friction is a velocity motor with target 0 and the friction as its
  force limit (real sticking); it is issued again whenever the timestep changes;
- centre-of-mass changes reload the URDF under a new name and restore the state;
- linear/angular body damping is zeroed (PyBullet's default 0.04 is not physical).

>>> robot = SimRobot("pendulum")
>>> robot.get("link.pole.mass")
1.0
>>> obs = robot.reset(q=[1.0])
>>> robot.set("link.pole.mass", 2.0)
>>> applied = robot.act([5.0])       # clipped to the +-2 N*m limit
>>> float(applied[0])
2.0
>>> robot.close()
"""

from __future__ import annotations

import builtins
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pybullet as pb
import pybullet_data

from s2r.errors import ParameterError, RobotError
from s2r.params import ParameterTable, kind_of, owner_of
from s2r.robot import ActuatorSpec, JointSpec, Observation, RobotBase, RobotSpec, SafetyLimits
from s2r.sim.actuators import Actuator, DCMotor, DirectActuator
from s2r.sim.description import RobotDescription, load_robot_description
from s2r.sim.param_table import PRISMATIC_UNITS, build_table
from s2r.sim.relevance import inert_inertial_parameters
from s2r.sim.urdf import UrdfModel

SubstepHook = Callable[["SimRobot"], None]
#: transforms of commands and measurements on Python floats (see :meth:`SimRobot.set_filters`)
CommandFilter = Callable[[list[float]], list[float]]
MeasurementFilter = Callable[[list[float], list[float], list[float]],
                             tuple[Sequence[float], Sequence[float], Sequence[float]]]
_NO_SENSORS = np.zeros(0)
_NO_SENSORS.setflags(write=False)
_AXES = ("x", "y", "z")
_CONTACT = ("lateral_friction", "spinning_friction", "rolling_friction", "restitution")
_DYNAMICS_KEY = {"lateral_friction": "lateralFriction", "spinning_friction": "spinningFriction",
                 "rolling_friction": "rollingFriction", "restitution": "restitution"}


class SimRobot(RobotBase):
    """A robot in its own PyBullet physics client, with get/set of named parameters.

    Args:
        robot: a built-in name (``cartpole``, ``pendulum``, ``furuta``), a path
            to a robot YAML, or a loaded :class:`RobotDescription`.
        overrides: dotlist overrides of the robot YAML (``["control_rate=200"]``).
        params: parameter values to set after loading (absolute values).
    """

    def __init__(self, robot: str | os.PathLike[str] | RobotDescription = "cartpole", *,
                 overrides: Sequence[str] = (), params: Mapping[str, float] | None = None) -> None:
        self.description = (robot if isinstance(robot, RobotDescription)
                            else load_robot_description(robot, overrides))
        self.client = pb.connect(pb.DIRECT)
        self._tmp = tempfile.TemporaryDirectory(prefix="s2r-urdf-")
        self._urdf = UrdfModel(self.description.urdf_path)
        self._substep_hooks: list[SubstepHook] = []
        self._command_filter: CommandFilter | None = None
        self._reclip = True
        self._measurement_filter: MeasurementFilter | None = None
        self._com: dict[str, list[float]] = {}
        self.body = -1
        self.plane: int | None = None
        try:
            pb.setPhysicsEngineParameter(enableFileCaching=0, physicsClientId=self.client)
            self._load_body()
            self._build_actuators()
            nominal, units = self._read_nominal()
            self._values: dict[str, float] = {}
            self._set_many(nominal, check=False)
            #: inertial parameters that structurally cannot change the motion (not in params)
            self.inert_parameters = inert_inertial_parameters(
                self, list(nominal), lambda v: self._set_many(v, check=False, reload=True))
            for name in self.inert_parameters:
                nominal.pop(name)
            self.params: ParameterTable = build_table(
                nominal, units, self.description.parameters, self.description.source)
            self._set_many(self.params.nominal(), check=False)
            self.spec = self._build_spec()
            zero = self.spec.clip_action(np.zeros(self.spec.n_actions))  # what NaN becomes
            self._limits = list(zip(self.spec.action_low.tolist(),
                                    self.spec.action_high.tolist(), zero.tolist()))
            if params:
                self.set_params(params)
            self.reset()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ loading
    def _load_body(self) -> None:
        c = self.client
        path = self._urdf.write(self._tmp.name, self._com)
        flags = pb.URDF_USE_INERTIA_FROM_FILE if self.description.inertia_from_file else 0
        try:
            self.body = pb.loadURDF(path, self.description.base_position, useFixedBase=True,
                                    flags=flags, physicsClientId=c)
        except pb.error as err:
            raise RobotError(f"PyBullet cannot load {self.description.urdf_path}: {err}",
                             where=self.description.source) from None
        finally:
            os.unlink(path)
        if self.description.plane and self.plane is None:
            self.plane = pb.loadURDF(os.path.join(pybullet_data.getDataPath(), "plane.urdf"),
                                     physicsClientId=c)
        self._links = {pb.getBodyInfo(self.body, physicsClientId=c)[0].decode(): -1}
        self._urdf_joints: dict[str, int] = {}
        self._movable: list[int] = []
        self._joint_kind: dict[int, str] = {}
        for j in range(pb.getNumJoints(self.body, physicsClientId=c)):
            info = pb.getJointInfo(self.body, j, physicsClientId=c)
            self._urdf_joints[info[1].decode()] = j
            self._links[info[12].decode()] = j
            if info[2] in (pb.JOINT_REVOLUTE, pb.JOINT_PRISMATIC):
                self._movable.append(j)
                self._joint_kind[j] = "prismatic" if info[2] == pb.JOINT_PRISMATIC else "revolute"
        for link in list(self._links.values()) + [-1]:
            pb.changeDynamics(self.body, link, linearDamping=0.0, angularDamping=0.0,
                              physicsClientId=c)
        self._joints: dict[str, int] = {}
        for jc in self.description.joints:
            urdf_name = jc.urdf_joint or jc.name
            if self._urdf_joints.get(urdf_name) not in self._movable:
                raise RobotError(f"joints: '{urdf_name}' is not a movable joint of the URDF "
                                 f"(movable: {self._movable_names()})",
                                 where=self.description.source)
            self._joints[jc.name] = self._urdf_joints[urdf_name]
        self._joint_ids = [self._joints[jc.name] for jc in self.description.joints]

    def _movable_names(self) -> list[str]:
        return [n for n, j in self._urdf_joints.items() if j in self._movable]

    def _build_actuators(self) -> None:
        self.actuators: list[Actuator] = []
        for ac in self.description.actuators:
            limit = max(abs(ac.low), abs(ac.high))
            if ac.type == "dc_motor":
                self.actuators.append(DCMotor(ac.joint, ac.resistance, ac.torque_constant,
                                              ac.deadzone, ac.voltage_limit or limit))
            else:
                unit = "N" if ac.type == "force" else "N*m"
                self.actuators.append(
                    DirectActuator(ac.joint, ac.gain, ac.saturation or limit, unit))
        names = [jc.name for jc in self.description.joints]
        self._act_slots = [names.index(a.joint) for a in self.actuators]
        self._act_joint_ids = [self._joints[a.joint] for a in self.actuators]
        self._command: Sequence[float] = [0.0] * len(self.actuators)
        self._forces = [0.0] * len(self.actuators)
        self._sensor_slots = []
        for name in self.description.sensors:
            kind, _, joint = name.partition(".")
            if kind != "current" or joint not in [a.joint for a in self.actuators]:
                raise RobotError(f"sensors: unknown sensor '{name}' (known: current.<motor "
                                 "joint>)", where=self.description.source)
            self._sensor_slots.append(self._actuator_slot(joint))

    def _param_links(self) -> list[str]:
        if self.description.links:
            missing = [n for n in self.description.links if n not in self._links]
            if missing:
                raise RobotError(f"links: no link named {missing[0]}",
                                 where=self.description.source)
            return list(self.description.links)
        return [n for n, i in self._links.items()
                if pb.getDynamicsInfo(self.body, i, physicsClientId=self.client)[0] > 0]

    def _read_nominal(self) -> tuple[dict[str, float], dict[str, str]]:
        c, desc = self.client, self.description
        values: dict[str, float] = {}
        units: dict[str, str] = {}
        self._mass: dict[str, float] = {}
        self._gyration: dict[str, np.ndarray] = {}
        self._armature: dict[str, float] = {}
        self._armature_axis: dict[str, tuple[str, int]] = {}
        for link in self._param_links():
            info = pb.getDynamicsInfo(self.body, self._links[link], physicsClientId=c)
            mass, inertia = info[0], np.array(info[2], dtype=float)
            values[f"link.{link}.mass"] = mass
            for axis, value in zip(_AXES, inertia, strict=True):
                values[f"link.{link}.inertia_{axis}{axis}"] = float(value)
            com = self._urdf.inertial_origin(link)
            for axis, value in zip(_AXES, com, strict=True):
                values[f"link.{link}.com_{axis}"] = value
            if link in desc.contact_links:
                for key, index in zip(_CONTACT, (1, 7, 6, 5), strict=True):
                    values[f"link.{link}.{key}"] = float(info[index])
        for jc in desc.joints:
            j = self._joints[jc.name]
            info = pb.getJointInfo(self.body, j, physicsClientId=c)
            prefix = f"joint.{jc.name}"
            values[f"{prefix}.damping"] = jc.damping if jc.damping is not None else float(info[6])
            values[f"{prefix}.coulomb"] = jc.coulomb
            if jc.armature is not None:
                self._armature_axis[jc.name] = self._principal_axis(jc.name, j, info)
                values[f"{prefix}.armature"] = jc.armature
            if info[8] < info[9]:
                values[f"{prefix}.lower_limit"] = float(info[8])
                values[f"{prefix}.upper_limit"] = float(info[9])
            if self._joint_kind[j] == "prismatic":
                for kind, unit in PRISMATIC_UNITS.items():
                    units[kind.replace("*", jc.name)] = unit
        for act in self.actuators:
            for key, value in act.param_values().items():
                values[f"motor.{act.joint}.{key}"] = value
            if isinstance(act, DirectActuator):
                units[f"motor.{act.joint}.saturation"] = act.unit
                units[f"motor.{act.joint}.gain"] = f"{act.unit}/unit"
        values["delay.action"] = desc.action_delay
        values["delay.observation"] = desc.observation_delay
        values["world.gravity"] = desc.gravity
        values["world.timestep"] = desc.timestep
        values["world.control_period"] = 1.0 / desc.control_rate
        return values, units

    def _principal_axis(self, name: str, j: int, info: tuple) -> tuple[str, int]:
        if self._joint_kind[j] != "revolute":
            raise RobotError(f"joints.{name}.armature: only revolute joints can model one",
                             where=self.description.source)
        orn = pb.getDynamicsInfo(self.body, j, physicsClientId=self.client)[4]
        rot = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3)
        axis = rot.T @ np.asarray(info[13], dtype=float)
        k = int(np.argmax(np.abs(axis)))
        if abs(abs(axis[k]) - 1.0) > 1e-6:
            raise RobotError(f"joints.{name}.armature: the joint axis is not a principal axis "
                             "of the child link's inertia", where=self.description.source)
        return info[12].decode(), k

    def _build_spec(self) -> RobotSpec:
        desc = self.description
        joints = tuple(
            JointSpec(jc.name, self._joint_kind[self._joints[jc.name]],
                      tuple(jc.position_limits) if jc.position_limits else None,  # type: ignore[arg-type]
                      jc.velocity_limit)
            for jc in desc.joints)
        actuators = tuple(ActuatorSpec(ac.joint, ac.joint, "dc_motor" if ac.type == "dc_motor"
                                       else ac.type, ac.low, ac.high) for ac in desc.actuators)
        safety = SafetyLimits(
            position={jc.name: tuple(jc.position_limits) for jc in desc.joints  # type: ignore[misc]
                      if jc.position_limits},
            velocity={jc.name: jc.velocity_limit for jc in desc.joints
                      if jc.velocity_limit is not None},
            max_action_delta=desc.max_action_delta)
        return RobotSpec(desc.name, joints, actuators, desc.control_rate, tuple(desc.sensors),
                         safety)

    # --------------------------------------------------------------- parameters
    def get(self, name: str) -> float:
        """The current value of a parameter."""
        self.params[name]  # raises ParameterError for unknown names
        return self._values[name]

    def get_params(self) -> dict[str, float]:
        """The current value of every parameter."""
        return {name: self._values[name] for name in self.params}

    def set(self, name: str, value: float) -> None:
        """Set one parameter (absolute value, checked against its bounds)."""
        self.set_params({name: value})

    def set_params(self, values: Mapping[str, float]) -> None:
        """Set several parameters at once (one URDF reload at most)."""
        self._set_many(self.params.check(values), check=True)

    def reset_params(self) -> None:
        """Put every parameter back to its nominal value."""
        self.set_params(self.params.nominal())

    def _set_many(self, values: Mapping[str, float], check: bool, reload: bool = False) -> None:
        dt = values.get("world.timestep", self._values.get("world.timestep"))
        period = values.get("world.control_period", self._values.get("world.control_period"))
        if check and dt is not None and period is not None and dt > period + 1e-12:
            raise ParameterError(f"timestep {dt} s is longer than the control period {period} s",
                                 where="world.timestep")
        com = {n: v for n, v in values.items() if kind_of(n).startswith("link.*.com")}
        rest = {n: v for n, v in values.items() if n not in com}
        self._values.update(rest)
        self._apply_all(rest)
        if com:
            self._values.update(com)
            for name, value in com.items():
                self._apply(name, value, builtins.set())
            if check or reload:
                self._reload()

    def _apply_all(self, values: Mapping[str, float]) -> None:
        inertia_links: builtins.set[str] = builtins.set()
        for name, value in values.items():
            self._apply(name, value, inertia_links)
        for link in inertia_links:
            self._apply_inertia(link)
        if "world.timestep" in values:
            for jc in self.description.joints:
                self._apply_coulomb(jc.name)

    def _apply(self, name: str, value: float, inertia_links: builtins.set[str]) -> None:
        c, body = self.client, self.body
        kind, owner = kind_of(name), owner_of(name)
        if kind == "link.*.mass":
            self._mass[owner] = value  # type: ignore[index]
            inertia_links.add(owner)  # type: ignore[arg-type]
        elif kind.startswith("link.*.inertia_"):
            pass  # resolved below, once mass and inertia of the link are all known
        elif kind.startswith("link.*.com_"):
            self._com.setdefault(owner, list(self._urdf.inertial_origin(owner)))  # type: ignore[arg-type]
            self._com[owner]["xyz".index(kind[-1])] = value  # type: ignore[index]
        elif kind.startswith("link.*.") and kind[7:] in _DYNAMICS_KEY:
            pb.changeDynamics(body, self._links[owner], **{_DYNAMICS_KEY[kind[7:]]: value},  # type: ignore[index]
                              physicsClientId=c)
        elif kind == "joint.*.damping":
            self._apply_damping(owner)  # type: ignore[arg-type]
        elif kind == "joint.*.coulomb":
            self._apply_coulomb(owner)  # type: ignore[arg-type]
        elif kind == "joint.*.armature":
            self._armature[owner] = value  # type: ignore[index]
            inertia_links.add(self._armature_axis[owner][0])  # type: ignore[index]
        elif kind in ("joint.*.lower_limit", "joint.*.upper_limit"):
            pb.changeDynamics(body, self._joints[owner],  # type: ignore[index]
                              jointLowerLimit=self._values[f"joint.{owner}.lower_limit"],
                              jointUpperLimit=self._values[f"joint.{owner}.upper_limit"],
                              physicsClientId=c)
        elif kind.startswith("motor.*."):
            setattr(self.actuators[self._actuator_slot(owner)], kind[8:], value)  # type: ignore[arg-type]
            self._apply_damping(owner)  # type: ignore[arg-type]
            self._forces = [a.drive(self._command[i]) for i, a in enumerate(self.actuators)]
        elif name == "world.gravity":
            pb.setGravity(0, 0, -value, physicsClientId=c)
        elif name == "world.timestep":
            pb.setPhysicsEngineParameter(fixedTimeStep=value, physicsClientId=c)
        # delay.* and world.control_period are read where they act
        for link in [owner] if kind.startswith("link.*.inertia_") else []:
            inertia_links.add(link)  # type: ignore[arg-type]
            m = self._values[f"link.{link}.mass"]
            inertia = np.array([self._values[f"link.{link}.inertia_{a}{a}"] for a in _AXES])
            self._gyration[link] = inertia / m  # type: ignore[index]
        if kind == "link.*.mass" and owner not in self._gyration:
            inertia = np.array([self._values[f"link.{owner}.inertia_{a}{a}"] for a in _AXES])
            self._gyration[owner] = inertia / value  # type: ignore[index]

    def _actuator_slot(self, joint: str) -> int:
        return next(i for i, a in enumerate(self.actuators) if a.joint == joint)

    def _apply_inertia(self, link: str) -> None:
        mass = self._mass[link]
        scaled = [mass * g for g in self._gyration[link].tolist()]  # floats: no NumPy calls
        inertia = list(scaled)
        for joint, (child, k) in self._armature_axis.items():
            if child == link:
                inertia[k] += self._armature.get(joint, 0.0)
        for axis, value in zip(_AXES, scaled, strict=True):
            self._values[f"link.{link}.inertia_{axis}{axis}"] = value
        pb.changeDynamics(self.body, self._links[link], mass=mass, localInertiaDiagonal=inertia,
                          physicsClientId=self.client)

    def _apply_damping(self, joint: str) -> None:
        """Joint damping plus the back-EMF damping of the motors driving the joint."""
        if f"joint.{joint}.damping" not in self._values:
            return
        c = self._values[f"joint.{joint}.damping"]
        c += sum(a.viscous() for a in self.actuators if a.joint == joint)
        pb.changeDynamics(self.body, self._joints[joint], jointDamping=c,
                          physicsClientId=self.client)

    def _apply_coulomb(self, joint: str) -> None:
        force = self._values.get(f"joint.{joint}.coulomb", 0.0)
        pb.setJointMotorControl2(self.body, self._joints[joint], pb.VELOCITY_CONTROL,
                                 targetVelocity=0.0, force=force, physicsClientId=self.client)

    def _reload(self) -> None:
        """Reload the URDF (new COM) and re-apply every parameter and the joint state."""
        c = self.client
        states = pb.getJointStates(self.body, self._movable, physicsClientId=c)
        pb.removeBody(self.body, physicsClientId=c)
        self._load_body()
        for j in self._movable:  # default velocity motors off; Coulomb re-issued below
            pb.setJointMotorControl2(self.body, j, pb.VELOCITY_CONTROL, force=0.0,
                                     physicsClientId=c)
        # re-apply everything; masses and inertias from the stored radii of gyration (not
        # recomputed from the rounded inertia values, so a reload changes nothing else)
        skip = ("link.*.mass", "link.*.com_", "link.*.inertia_", "joint.*.armature")
        self._apply_all({n: v for n, v in self._values.items()
                         if not kind_of(n).startswith(skip)})
        for link in self._mass:
            self._apply_inertia(link)
        for j, state in zip(self._movable, states, strict=True):
            pb.resetJointState(self.body, j, state[0], state[1], physicsClientId=c)
        self._read_state()

    # ------------------------------------------------------------------ running
    @property
    def time(self) -> float:
        """Simulated time since the last reset, in seconds."""
        return self._t

    def add_substep_hook(self, hook: SubstepHook) -> None:
        """Call ``hook(robot)`` before every physics sub-step (forces, pushes, ...)."""
        self._substep_hooks.append(hook)

    def remove_substep_hook(self, hook: SubstepHook) -> None:
        self._substep_hooks.remove(hook)

    def link_index(self, link: str) -> int:
        """PyBullet index of a link by URDF name (-1 for the base)."""
        if link not in self._links:
            raise RobotError(f"no link named '{link}' (links: {sorted(self._links)})")
        return self._links[link]

    def joint_index(self, joint: str) -> int:
        """PyBullet index of a measured joint by its robot name."""
        if joint not in self._joints:
            raise RobotError(f"no joint named '{joint}' (joints: {sorted(self._joints)})")
        return self._joints[joint]

    def set_filters(self, command: CommandFilter | None = None,
                    measurement: MeasurementFilter | None = None, *, clip: bool = True) -> None:
        """Transform every command and every measurement in the robot's own step (``None``: none).

        ``command(u)`` gets the clipped command (a list of Python floats, one per
        actuator) and returns the command for the actuators as a new list, which is
        clipped to the actuator limits again unless ``clip=False`` (for a filter that
        cannot leave them); :meth:`act` still returns the controller's clipped command.
        ``measurement(q, qd, sensors)`` gets the measurement as lists of Python floats
        (it must not change them: they are the robot's state) and returns the three
        sequences of floats :meth:`observe` delivers. Randomizers install their
        per-step transforms here (``randomizers.robot_proxy``): on floats, in the hot
        path, they cost a fraction of the NumPy calls a separate pass would.
        """
        self._command_filter, self._measurement_filter = command, measurement
        self._reclip = clip

    def reset(self, q: Iterable[float] | None = None,
              qd: Iterable[float] | None = None) -> Observation:
        """Put the joints in the given state (zeros by default) and restart time."""
        n = len(self._joint_ids)
        q_arr = np.zeros(n) if q is None else np.asarray(list(q), dtype=float).reshape(n)
        qd_arr = np.zeros(n) if qd is None else np.asarray(list(qd), dtype=float).reshape(n)
        c = self.client
        for j in self._movable:
            pb.setJointMotorControl2(self.body, j, pb.VELOCITY_CONTROL, force=0.0,
                                     physicsClientId=c)
            pb.resetJointState(self.body, j, 0.0, 0.0, physicsClientId=c)
        for j, qi, qdi in zip(self._joint_ids, q_arr, qd_arr, strict=True):
            pb.resetJointState(self.body, j, float(qi), float(qdi), physicsClientId=c)
        for jc in self.description.joints:
            self._apply_coulomb(jc.name)
        self._t = 0.0
        self._t_tick = 0.0
        self._command = [0.0] * len(self.actuators)
        self._forces = [a.drive(0.0) for a in self.actuators]
        self._pending: deque[tuple[float, Sequence[float]]] = deque()
        self._read_state()
        self._history: deque[tuple[float, list[float], list[float], list[float]]] = deque()
        self._history.append((0.0, self._q, self._qd, self._sensors()))
        return self.observe()

    def _read_state(self) -> None:
        """The joint state as lists of Python floats (new lists: never changed in place)."""
        states = pb.getJointStates(self.body, self._joint_ids, physicsClientId=self.client)
        self._q = [s[0] for s in states]
        self._qd = [s[1] for s in states]

    def _sensors(self) -> list[float]:
        if not self._sensor_slots:
            return []
        qd, command, actuators, slots = self._qd, self._command, self.actuators, self._act_slots
        return [actuators[slot].current(command[slot], qd[slots[slot]])
                for slot in self._sensor_slots]

    def act(self, action: Sequence[float] | np.ndarray) -> np.ndarray:
        """Apply a command for one control period; return the command actually applied."""
        applied = self.spec.clip_action(action)
        command = applied.tolist()  # Python floats: the actuator models run faster on them
        if self._command_filter is not None:
            command = self._command_filter(command)
            if self._reclip:
                command = [lo if x < lo else hi if x > hi else x if x == x else z
                           for x, (lo, hi, z) in zip(command, self._limits)]
        values = self._values
        self._pending.append((self._t + values["delay.action"], command))
        dt = values["world.timestep"]
        self._t_tick += values["world.control_period"]
        steps = max(1, round((self._t_tick - self._t) / dt))
        obs_delay = values["delay.observation"]
        if obs_delay > 0.0 or self._substep_hooks:
            for _ in range(steps):
                self._substep(dt, read=True)
                if obs_delay > 0.0:
                    self._history.append((self._t, self._q, self._qd, self._sensors()))
            while len(self._history) > 1 and self._history[1][0] <= self._t - obs_delay + 1e-12:
                self._history.popleft()
        else:  # the hot path: nothing needs the state between sub-steps
            c, body, ids = self.client, self.body, self._act_joint_ids
            pending, t = self._pending, self._t
            for _ in range(steps):
                if pending and pending[0][0] <= t + 1e-12:
                    self._t = t
                    self._take_pending()
                pb.setJointMotorControlArray(body, ids, pb.TORQUE_CONTROL, forces=self._forces,
                                             physicsClientId=c)
                pb.stepSimulation(physicsClientId=c)
                t += dt
            self._t = t
            self._read_state()
        return applied

    def _take_pending(self) -> None:
        pending = self._pending
        while pending and pending[0][0] <= self._t + 1e-12:
            self._command = pending.popleft()[1]
        self._forces = [a.drive(self._command[i]) for i, a in enumerate(self.actuators)]

    def _substep(self, dt: float, read: bool) -> None:
        """One physics step: the current command through the actuators, hooks, step."""
        pending = self._pending
        if pending and pending[0][0] <= self._t + 1e-12:
            self._take_pending()
        c = self.client
        pb.setJointMotorControlArray(self.body, self._act_joint_ids, pb.TORQUE_CONTROL,
                                     forces=self._forces, physicsClientId=c)
        for hook in self._substep_hooks:
            hook(self)
        pb.stepSimulation(physicsClientId=c)
        self._t += dt
        if read:
            self._read_state()

    def observe(self) -> Observation:
        """The measurement the controller receives now (``delay.observation`` old)."""
        q: Sequence[float]
        qd: Sequence[float]
        sensors: Sequence[float]
        if self._values["delay.observation"] > 0.0:
            t, q, qd, sensors = self._history[0]
        else:
            t, q, qd, sensors = self._t, self._q, self._qd, self._sensors()
        if self._measurement_filter is not None:
            q, qd, sensors = self._measurement_filter(q, qd, sensors)
        return Observation(t, np.array(q), np.array(qd),  # fresh arrays each step
                           np.array(sensors) if sensors else _NO_SENSORS)

    def close(self) -> None:
        """Disconnect the physics client and delete temporary files (idempotent)."""
        if getattr(self, "client", -1) >= 0:
            try:
                pb.disconnect(physicsClientId=self.client)
            except pb.error:
                pass
            self.client = -1
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"SimRobot({self.description.name!r}, client={self.client})"

