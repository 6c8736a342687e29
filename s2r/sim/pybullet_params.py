"""The one mapping from parameter names to PyBullet calls.

:class:`PyBulletParams` holds the current value of every named parameter of
some bodies in a physics client and applies changes to them. Both
:class:`~s2r.sim.SimRobot` and ``randomizers.pybullet_target.PyBulletTarget``
use it, so a name means the same PyBullet change everywhere (the measurements
behind each rule are in s2r/sim/PHYSICS.md):

- mass and inertia are sent together (PyBullet discards the inertia when a
  mass is sent alone); setting a mass keeps the link's radii of gyration
  (``inertia / mass``), so its inertia scales with it; setting an inertia sets it;
- ``joint.*.armature`` (rotor inertia) is added to the inertia of the joint's
  child link about the joint axis;
- ``joint.*.damping`` is PyBullet's joint damping, plus an optional extra viscous
  term per joint (the back-EMF of the DC motors driving it);
- ``joint.*.coulomb`` is a velocity motor with target 0 and the friction as its
  force limit (real sticking); PyBullet fixes that limit as ``force * dt`` when
  the motor is issued, so it is issued again whenever the timestep changes;
- contact parameters go to ``changeDynamics``; ``world.gravity`` keeps its
  direction; ``world.timestep`` is the fixed time step.

Centre-of-mass names (``link.*.com_*``) need the URDF reloaded, and ``delay.*``,
``motor.*`` and ``world.control_period`` act in the robot's own step; they are
accepted here and left to their owners (motors still update the joint damping).

>>> import pybullet as pb, pybullet_data, os
>>> client = pb.connect(pb.DIRECT)
>>> box = pb.createMultiBody(2.0, pb.createCollisionShape(pb.GEOM_BOX,
...     halfExtents=[0.05] * 3, physicsClientId=client), physicsClientId=client)
>>> values = read_link_values(client, box, -1, "cube", contact=CONTACT)
>>> applier = PyBulletParams(client, {"cube": (box, -1)}, {}, values)
>>> applier.apply({"link.cube.mass": 4.0})
>>> round(applier.values["link.cube.inertia_xx"] / values["link.cube.inertia_xx"], 12)
2.0
>>> pb.getDynamicsInfo(box, -1, physicsClientId=client)[0]
4.0
>>> pb.disconnect(client)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from s2r.errors import ParameterError
from s2r.params import kind_of, owner_of
from s2r.sim._pb import pb

AXES = ("x", "y", "z")
#: contact parameter -> (changeDynamics keyword, index in getDynamicsInfo)
CONTACT = {"lateral_friction": ("lateralFriction", 1), "spinning_friction": ("spinningFriction", 7),
           "rolling_friction": ("rollingFriction", 6), "restitution": ("restitution", 5)}
#: names that act elsewhere (reload, the robot's step); accepted and not sent to PyBullet here
_ELSEWHERE = ("link.*.com_x", "link.*.com_y", "link.*.com_z", "delay.action",
              "delay.observation", "world.control_period")
#: names re-applied after a reload by :meth:`PyBulletParams.reapply` through the inertia
_INERTIAL = ("link.*.mass", "link.*.com_", "link.*.inertia_", "joint.*.armature")


def read_link_values(client: int, body: int, index: int, name: str, *, mass: bool | None = None,
                     contact: Iterable[str] = ()) -> dict[str, float]:
    """Nominal ``link.<name>.*`` values PyBullet reports for one link.

    Mass and inertia when ``mass`` (``None``: when the link has mass), then the
    ``contact`` parameters named (keys of :data:`CONTACT`), in that order.
    """
    info = pb.getDynamicsInfo(body, index, physicsClientId=client)
    values: dict[str, float] = {}
    if mass or (mass is None and info[0] > 0):
        values[f"link.{name}.mass"] = float(info[0])
        for axis, value in zip(AXES, info[2], strict=True):
            values[f"link.{name}.inertia_{axis}{axis}"] = float(value)
    for key in contact:
        values[f"link.{name}.{key}"] = float(info[CONTACT[key][1]])
    return values


class PyBulletParams:
    """Current values of named parameters of bodies in one client, applied on change.

    Args:
        client: the physics client id.
        links: ``{name: (body, link_index)}`` of the links named in ``values``.
        joints: ``{name: (body, joint_index)}`` of the joints named in ``values``.
        values: the nominal value of every parameter (the radii of gyration
            are taken from these masses and inertias).
        armature_axes: ``{joint: (child link, principal axis index)}`` for joints
            with a ``joint.<joint>.armature`` parameter.
        extra_damping: ``joint -> viscous coefficient`` added to the joint damping.
        gravity_direction: the unit vector gravity keeps (default: down -z).
    """

    def __init__(self, client: int, links: Mapping[str, tuple[int, int]],
                 joints: Mapping[str, tuple[int, int]], values: Mapping[str, float], *,
                 armature_axes: Mapping[str, tuple[str, int]] | None = None,
                 extra_damping: Callable[[str], float] | None = None,
                 gravity_direction: Iterable[float] = (0.0, 0.0, -1.0)) -> None:
        self.client = client
        self.links = dict(links)
        self.joints = dict(joints)
        self.values: dict[str, float] = dict(values)
        self.armature_axes = dict(armature_axes or {})
        self.extra_damping = extra_damping
        self.gravity_direction = [float(d) for d in gravity_direction]
        #: physics sub-steps PyBullet integrates per stepSimulation (see :meth:`set_substeps`;
        #: until it is called the client's own setting is left alone)
        self.substeps = 1
        self._own_substeps = False
        #: the joint damping sent to PyBullet per joint (damping plus the extra term)
        self.damping: dict[str, float] = {}
        #: radii of gyration squared (inertia / mass) per link with a mass
        self.gyration: dict[str, list[float]] = {}
        for link in self.links:
            if f"link.{link}.mass" in self.values:
                self._update_gyration(link)

    def rebind(self, links: Mapping[str, tuple[int, int]],
               joints: Mapping[str, tuple[int, int]]) -> None:
        """Point at new body ids (after a reload); values are kept."""
        self.links, self.joints = dict(links), dict(joints)

    def _update_gyration(self, link: str) -> None:
        mass = self.values[f"link.{link}.mass"]
        inertia = [self.values[f"link.{link}.inertia_{a}{a}"] for a in AXES]
        self.gyration[link] = [i / mass for i in inertia] if mass > 0 else [0.0, 0.0, 0.0]

    def apply(self, values: Mapping[str, float]) -> None:
        """Store ``values`` (already checked) and send them to PyBullet."""
        self.values.update(values)
        inertial: set[str] = set()
        regyrate: set[str] = set()
        c = self.client
        for name, value in values.items():
            kind, owner = kind_of(name), owner_of(name)
            if kind == "link.*.mass":
                inertial.add(owner)  # type: ignore[arg-type]
            elif kind.startswith("link.*.inertia_"):
                inertial.add(owner)  # type: ignore[arg-type]
                regyrate.add(owner)  # type: ignore[arg-type]
            elif kind.startswith("link.*.") and kind[7:] in CONTACT:
                body, index = self.links[owner]  # type: ignore[index]
                pb.changeDynamics(body, index, **{CONTACT[kind[7:]][0]: value},
                                  physicsClientId=c)
            elif kind == "joint.*.damping" or kind.startswith("motor.*."):
                self.apply_damping(owner)  # type: ignore[arg-type]
            elif kind == "joint.*.coulomb":
                self.apply_coulomb(owner)  # type: ignore[arg-type]
            elif kind == "joint.*.armature":
                inertial.add(self.armature_axes[owner][0])  # type: ignore[index]
            elif kind in ("joint.*.lower_limit", "joint.*.upper_limit"):
                body, j = self.joints[owner]  # type: ignore[index]
                low = self.values[f"joint.{owner}.lower_limit"]
                high = self.values[f"joint.{owner}.upper_limit"]
                pb.changeDynamics(body, j, jointLowerLimit=low, jointUpperLimit=high,
                                  physicsClientId=c)
            elif name == "world.gravity":
                pb.setGravity(*[value * d for d in self.gravity_direction], physicsClientId=c)
            elif name == "world.timestep":
                if self._own_substeps:
                    pb.setPhysicsEngineParameter(fixedTimeStep=value * self.substeps,
                                                 numSubSteps=self.substeps, physicsClientId=c)
                else:
                    pb.setPhysicsEngineParameter(fixedTimeStep=value, physicsClientId=c)
            elif kind not in _ELSEWHERE:
                raise ParameterError("no PyBullet mapping for this parameter", where=name)
        for link in regyrate:
            self._update_gyration(link)
        for link in inertial:
            self.apply_inertia(link)
        if "world.timestep" in values:  # a Coulomb motor's limit is force * dt at issue
            for joint in self.joints:
                self.apply_coulomb(joint)

    def reapply(self) -> None:
        """Send every stored value again (after a reload); inertias from the radii of gyration."""
        self.apply({n: v for n, v in self.values.items() if not kind_of(n).startswith(_INERTIAL)})
        for link in self.gyration:
            self.apply_inertia(link)

    def apply_inertia(self, link: str) -> None:
        """Mass and inertia of a link together: ``mass * gyration`` plus any armature."""
        mass = self.values[f"link.{link}.mass"]
        scaled = [mass * g for g in self.gyration[link]]
        inertia = list(scaled)
        for joint, (child, k) in self.armature_axes.items():
            if child == link:
                inertia[k] += self.values.get(f"joint.{joint}.armature", 0.0)
        for axis, value in zip(AXES, scaled, strict=True):
            self.values[f"link.{link}.inertia_{axis}{axis}"] = value
        body, index = self.links[link]
        pb.changeDynamics(body, index, mass=mass, localInertiaDiagonal=inertia,
                          physicsClientId=self.client)

    def apply_damping(self, joint: str) -> None:
        """Joint damping plus the extra viscous term of the joint (e.g. motor back-EMF)."""
        if f"joint.{joint}.damping" not in self.values:
            return
        c = self.values[f"joint.{joint}.damping"]
        if self.extra_damping is not None:
            c += self.extra_damping(joint)
        self.damping[joint] = c
        body, j = self.joints[joint]
        pb.changeDynamics(body, j, jointDamping=c, physicsClientId=self.client)

    def apply_coulomb(self, joint: str) -> None:
        """(Re-)issue the Coulomb friction motor of a joint that has ``joint.*.coulomb``."""
        force = self.values.get(f"joint.{joint}.coulomb")
        if force is None:
            return
        body, j = self.joints[joint]
        pb.setJointMotorControl2(body, j, pb.VELOCITY_CONTROL, targetVelocity=0.0,
                                 force=force / self.substeps, physicsClientId=self.client)

    def set_substeps(self, k: int) -> None:
        """Let one ``stepSimulation`` integrate ``k`` steps of ``world.timestep``.

        PyBullet fixes a velocity motor's force limit per call as ``force * fixedTimeStep``
        and applies it on each of the ``k`` sub-steps, so the Coulomb motors are issued
        again with ``force / k``.
        """
        self.substeps, self._own_substeps = k, True
        pb.setPhysicsEngineParameter(fixedTimeStep=self.values["world.timestep"] * k,
                                     numSubSteps=k, physicsClientId=self.client)
        values = self.values
        for joint in self.joints:  # a zero force stays zero for any k: only the others
            if values.get(f"joint.{joint}.coulomb"):
                self.apply_coulomb(joint)

    def issue_coulomb(self) -> None:
        """Issue every joint's Coulomb friction motor (after a state reset)."""
        for joint in self.joints:
            self.apply_coulomb(joint)
