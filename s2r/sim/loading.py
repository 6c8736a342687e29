"""Loading a robot description into a PyBullet client: body, links, joints, nominal values.

:class:`LoadedBody` loads the URDF (again, under a new file name, when a
centre of mass moves: PyBullet caches files by name and cannot move a COM on a
live body), maps link and joint names to PyBullet indices, zeroes PyBullet's
default body damping (0.04, not physical) and reads the nominal value of
every parameter the model defines.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pybullet_data

from s2r.description import RobotDescription
from s2r.errors import RobotError
from s2r.sim._pb import pb
from s2r.sim.actuators import Actuator, DirectActuator
from s2r.sim.param_table import PRISMATIC_UNITS
from s2r.sim.pybullet_params import AXES, CONTACT, read_link_values
from s2r.sim.urdf import UrdfModel


class LoadedBody:
    """A robot description's URDF in one physics client, with name -> index maps.

    Attributes (refreshed by :meth:`load`): ``body`` id, ``links`` (URDF link
    name -> index, -1 for the base), ``joints`` (robot joint name -> index),
    ``joint_ids`` (measured joints in order), ``movable`` (every revolute or
    prismatic joint) and ``joint_kind`` (index -> ``revolute``/``prismatic``).
    """

    def __init__(self, client: int, description: RobotDescription, tmpdir: str) -> None:
        self.client = client
        self.description = description
        self.urdf = UrdfModel(description.urdf_path)
        self.tmpdir = tmpdir
        self.body = -1
        self.has_shapes = False  # whether the body was loaded with all its shapes (see load)
        self.plane: int | None = None
        self._shadow_client: int | None = None
        #: counts the copies :meth:`shadow` made (a user of a copy sees when it was replaced)
        self.shadow_generation = 0

    def shadow(self, com: Mapping[str, Sequence[float]]) -> tuple[int, int]:
        """A copy of the body as it is now (URDF with the given centres of mass, masses,
        inertias, gravity), freshly loaded in this body's shadow client; (client, body).

        For PyBullet's model-based calculations (mass matrix, inverse dynamics): PyBullet
        caches their model per body and does not update it after ``changeDynamics`` or a
        reload, so only a body loaded after the last change gives current values. The shadow
        client is made once (a connect costs tens of ms) and emptied with
        ``resetSimulation`` (which drops the cached models) for each copy, so a new copy
        replaces the previous one.
        """
        desc = self.description
        if self._shadow_client is None:
            self._shadow_client = pb.connect(pb.DIRECT)
        c = self._shadow_client
        self.shadow_generation += 1
        path = self.urdf.write(self.tmpdir, com)
        # never drawn, never touching: no visual or collision shapes (~90 % of a load)
        flags = pb.URDF_IGNORE_VISUAL_SHAPES | pb.URDF_IGNORE_COLLISION_SHAPES
        if desc.inertia_from_file:
            flags |= pb.URDF_USE_INERTIA_FROM_FILE
        try:
            pb.resetSimulation(physicsClientId=c)
            pb.setPhysicsEngineParameter(enableFileCaching=0, physicsClientId=c)
            body = pb.loadURDF(path, desc.base_position, useFixedBase=True, flags=flags,
                               physicsClientId=c)
            for link in range(-1, pb.getNumJoints(body, physicsClientId=c)):
                info = pb.getDynamicsInfo(self.body, link, physicsClientId=self.client)
                if info[0] > 0:
                    pb.changeDynamics(body, link, mass=info[0], localInertiaDiagonal=info[2],
                                      physicsClientId=c)
            g = pb.getPhysicsEngineParameters(physicsClientId=self.client)
            pb.setGravity(g["gravityAccelerationX"], g["gravityAccelerationY"],
                          g["gravityAccelerationZ"], physicsClientId=c)
        except pb.error as err:
            raise RobotError(f"PyBullet cannot copy {desc.urdf_path}: {err}",
                             where=desc.source) from None
        finally:
            os.unlink(path)
        return c, body

    def close_shadow(self) -> None:
        """Disconnect the shadow client (idempotent)."""
        if self._shadow_client is not None:
            try:
                pb.disconnect(physicsClientId=self._shadow_client)
            except pb.error:
                pass  # already gone
            self._shadow_client = None

    def load(self, com: Mapping[str, Sequence[float]], visuals: bool = True,
             collisions: bool = True) -> None:
        """(Re)load the URDF with the given centres of mass; the previous body must be removed.

        ``visuals=False`` leaves out the visual shapes (only renderers draw them), and
        ``collisions=False`` the collision shapes (only contacts and bounding boxes need
        them; PyBullet derives visuals from them when there are none): together they are
        ~90 % of a load, and they change no motion without contacts once masses and inertias
        are set again. ``has_shapes`` says whether both were loaded.
        """
        c, desc = self.client, self.description
        path = self.urdf.write(self.tmpdir, com)
        flags = pb.URDF_USE_INERTIA_FROM_FILE if desc.inertia_from_file else 0
        if not visuals:
            flags |= pb.URDF_IGNORE_VISUAL_SHAPES
        if not collisions:
            flags |= pb.URDF_IGNORE_COLLISION_SHAPES
        self.has_shapes = visuals and collisions
        try:
            self.body = pb.loadURDF(path, desc.base_position, useFixedBase=True, flags=flags,
                                    physicsClientId=c)
        except pb.error as err:
            raise RobotError(f"PyBullet cannot load {desc.urdf_path}: {err}",
                             where=desc.source) from None
        finally:
            os.unlink(path)
        if desc.plane and self.plane is None:
            self.plane = pb.loadURDF(os.path.join(pybullet_data.getDataPath(), "plane.urdf"),
                                     physicsClientId=c)
        self.links = {pb.getBodyInfo(self.body, physicsClientId=c)[0].decode(): -1}
        self.urdf_joints: dict[str, int] = {}
        self.movable: list[int] = []
        self.joint_kind: dict[int, str] = {}
        for j in range(pb.getNumJoints(self.body, physicsClientId=c)):
            info = pb.getJointInfo(self.body, j, physicsClientId=c)
            self.urdf_joints[info[1].decode()] = j
            self.links[info[12].decode()] = j
            if info[2] in (pb.JOINT_REVOLUTE, pb.JOINT_PRISMATIC):
                self.movable.append(j)
                self.joint_kind[j] = "prismatic" if info[2] == pb.JOINT_PRISMATIC else "revolute"
        for link in list(self.links.values()) + [-1]:
            pb.changeDynamics(self.body, link, linearDamping=0.0, angularDamping=0.0,
                              physicsClientId=c)
        self.joints: dict[str, int] = {}
        for jc in desc.joints:
            urdf_name = jc.urdf_joint or jc.name
            if self.urdf_joints.get(urdf_name) not in self.movable:
                movable = [n for n, j in self.urdf_joints.items() if j in self.movable]
                raise RobotError(f"joints: '{urdf_name}' is not a movable joint of the URDF "
                                 f"(movable: {movable})", where=desc.source)
            self.joints[jc.name] = self.urdf_joints[urdf_name]
        self.joint_ids = [self.joints[jc.name] for jc in desc.joints]

    def remove(self) -> None:
        pb.removeBody(self.body, physicsClientId=self.client)

    def link_map(self) -> dict[str, tuple[int, int]]:
        """``{link: (body, index)}`` for :class:`~s2r.sim.pybullet_params.PyBulletParams`."""
        return {name: (self.body, i) for name, i in self.links.items()}

    def joint_map(self) -> dict[str, tuple[int, int]]:
        """``{joint: (body, index)}`` of the measured joints."""
        return {name: (self.body, j) for name, j in self.joints.items()}

    def joint_kinds(self) -> dict[str, str]:
        """Kind of every measured joint, as PyBullet reports it."""
        return {name: self.joint_kind[j] for name, j in self.joints.items()}

    def param_links(self) -> list[str]:
        """Links with parameters: the description's list, else every link with mass."""
        if self.description.links:
            missing = [n for n in self.description.links if n not in self.links]
            if missing:
                raise RobotError(f"links: no link named {missing[0]}",
                                 where=self.description.source)
            return list(self.description.links)
        return [n for n, i in self.links.items()
                if pb.getDynamicsInfo(self.body, i, physicsClientId=self.client)[0] > 0]

    def read_nominal(self, actuators: Sequence[Actuator]
                     ) -> tuple[dict[str, float], dict[str, str], dict[str, tuple[str, int]]]:
        """Nominal values, units that differ from the defaults, and armature axes."""
        desc = self.description
        values: dict[str, float] = {}
        units: dict[str, str] = {}
        armature_axes: dict[str, tuple[str, int]] = {}
        for link in self.param_links():
            index = self.links[link]
            values.update(read_link_values(self.client, self.body, index, link, mass=True))
            for axis, value in zip(AXES, self.urdf.inertial_origin(link), strict=True):
                values[f"link.{link}.com_{axis}"] = value
            if link in desc.contact_links:
                values.update(read_link_values(self.client, self.body, index, link,
                                               mass=False, contact=CONTACT))
        for jc in desc.joints:
            j = self.joints[jc.name]
            info = pb.getJointInfo(self.body, j, physicsClientId=self.client)
            prefix = f"joint.{jc.name}"
            values[f"{prefix}.damping"] = jc.damping if jc.damping is not None else float(info[6])
            values[f"{prefix}.coulomb"] = jc.coulomb
            if jc.armature is not None:
                armature_axes[jc.name] = self._principal_axis(jc.name, j, info)
                values[f"{prefix}.armature"] = jc.armature
            if info[8] < info[9]:
                values[f"{prefix}.lower_limit"] = float(info[8])
                values[f"{prefix}.upper_limit"] = float(info[9])
            if self.joint_kind[j] == "prismatic":
                for kind, unit in PRISMATIC_UNITS.items():
                    units[kind.replace("*", jc.name)] = unit
        for act in actuators:
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
        return values, units, armature_axes

    def _principal_axis(self, name: str, j: int, info: tuple) -> tuple[str, int]:
        """(child link, index of the principal inertia axis the joint axis lies on)."""
        if self.joint_kind[j] != "revolute":
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
