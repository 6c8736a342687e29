"""PyBulletTarget: s2r's parameter vocabulary for bodies in anyone's PyBullet client.

For a Gymnasium environment written without s2r in mind, say which physics
client and which body ids to randomize; the target reads the nominal values
from PyBullet and exposes them as named parameters with default bounds (the
rules of :mod:`s2r.sim.param_table`):

- ``link.<name>.mass`` and ``link.<name>.inertia_{xx,yy,zz}`` for links with
  mass (setting a mass keeps the radii of gyration, so the inertia scales
  with it, as on a SimRobot: PyBullet would otherwise recompute it from the
  collision shape, s2r/sim/PHYSICS.md section 1);
- ``link.<name>.lateral_friction``, ``rolling_friction``, ``spinning_friction``
  and ``restitution`` for every link (static ones too: contacts combine both
  sides, s2r/sim/PHYSICS.md section 12);
- ``joint.<name>.damping`` for revolute and prismatic joints;
- ``world.gravity`` (magnitude, direction kept) and ``world.timestep``.

Link names: the base of each body is named by its key when ``bodies`` is a
mapping, else by the URDF base link; other links by their URDF names.

The env must keep its bodies across ``reset`` (reset their state, not the
world): values are set before the env's reset, and a ``resetSimulation``
would throw them away.

Names reach PyBullet through :class:`s2r.sim.pybullet_params.PyBulletParams`,
the same mapping a SimRobot uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pybullet as pb

from s2r.description import ParamOverride
from s2r.errors import ConfigError, RobotError
from s2r.params import ParameterTable
from s2r.sim.param_table import PRISMATIC_UNITS, build_table
from s2r.sim.pybullet_params import PyBulletParams, read_link_values

#: contact parameters in table order
_CONTACT = ("lateral_friction", "rolling_friction", "spinning_friction", "restitution")


class PyBulletTarget:
    """Named parameters of bodies in a PyBullet client (a :class:`ParameterTarget`).

    Args:
        client: the physics client id the env simulates in.
        bodies: body ids: one, a list, or ``{name: id}`` (names the bases).
        links: explicit link names ``{name: (body, link_index)}`` instead of the URDF's.
        joints: explicit joint names ``{name: (body, joint_index)}``.
        nominal: nominal values PyBullet cannot report (e.g. a joint damping the
            env set with changeDynamics, which getJointInfo does not show).
        bounds: ``{name: (low, high)}`` replacing the default bounds.
        world: include ``world.gravity`` and ``world.timestep``.

    >>> import pybullet as pb, pybullet_data, os
    >>> client = pb.connect(pb.DIRECT)
    >>> plane = pb.loadURDF(os.path.join(pybullet_data.getDataPath(), "plane.urdf"),
    ...                     physicsClientId=client)
    >>> box = pb.createMultiBody(1.0, pb.createCollisionShape(pb.GEOM_BOX,
    ...     halfExtents=[0.05] * 3, physicsClientId=client), physicsClientId=client)
    >>> target = PyBulletTarget(client, {"plane": plane, "cube": box})
    >>> target.get("link.cube.mass"), target.get("link.plane.lateral_friction")
    (1.0, 1.0)
    >>> target.set_params({"link.cube.mass": 2.0})
    >>> round(target.get("link.cube.inertia_xx"), 6)  # m (a^2 + b^2) / 12, with m = 2 kg
    0.003333
    >>> pb.disconnect(client)
    """

    def __init__(self, client: int, bodies: int | Sequence[int] | Mapping[str, int], *,
                 links: Mapping[str, tuple[int, int]] | None = None,
                 joints: Mapping[str, tuple[int, int]] | None = None,
                 nominal: Mapping[str, float] | None = None,
                 bounds: Mapping[str, tuple[float, float]] | None = None,
                 world: bool = True) -> None:
        self.client = client
        named: list[tuple[str | None, int]] = (
            list(bodies.items()) if isinstance(bodies, Mapping)
            else [(None, b) for b in ([bodies] if isinstance(bodies, int) else bodies)])
        self.bodies = [int(b) for _, b in named]
        try:
            self.links = dict(links) if links is not None else self._find_links(named)
            self.joints = dict(joints) if joints is not None else self._find_joints()
            values, units = self._read(world)
        except pb.error as err:
            raise RobotError(f"PyBullet cannot read the bodies {self.bodies} of client "
                             f"{client}: {err}", where="PyBulletTarget") from None
        unknown = sorted(set(nominal or {}) - set(values))
        if unknown:
            raise ConfigError(f"nominal: no parameter named '{unknown[0]}'", where="PyBulletTarget")
        values.update({k: float(v) for k, v in (nominal or {}).items()})
        overrides = {k: ParamOverride(None, float(lo), float(hi))
                     for k, (lo, hi) in (bounds or {}).items()}
        self.params: ParameterTable = build_table(values, units, overrides, "PyBulletTarget")
        self._applier = PyBulletParams(client, self.links, self.joints, self.params.nominal(),
                                       gravity_direction=self._gravity_dir)
        self._values = self._applier.values
        self.set_params({k: v for k, v in self._values.items() if k in (nominal or {})})

    # ----------------------------------------------------------- discovery
    def _find_links(self, named: list[tuple[str | None, int]]) -> dict[str, tuple[int, int]]:
        c, links = self.client, {}
        for key, body in named:
            found = [(key or pb.getBodyInfo(body, physicsClientId=c)[0].decode(), -1)]
            found += [(pb.getJointInfo(body, j, physicsClientId=c)[12].decode(), j)
                      for j in range(pb.getNumJoints(body, physicsClientId=c))]
            for name, index in found:
                if name in links or "." in name:
                    problem = "contains a dot" if "." in name else "is used twice"
                    raise ConfigError(f"link name '{name}' {problem}: pass bodies as "
                                      "{name: id} or links={name: (body, index)}",
                                      where="PyBulletTarget")
                links[name] = (body, index)
        return links

    def _find_joints(self) -> dict[str, tuple[int, int]]:
        joints = {}
        for body in self.bodies:
            for j in range(pb.getNumJoints(body, physicsClientId=self.client)):
                info = pb.getJointInfo(body, j, physicsClientId=self.client)
                if info[2] in (pb.JOINT_REVOLUTE, pb.JOINT_PRISMATIC):
                    joints[info[1].decode()] = (body, j)
        return joints

    def _read(self, world: bool) -> tuple[dict[str, float], dict[str, str]]:
        c = self.client
        values: dict[str, float] = {}
        units: dict[str, str] = {}
        for name, (body, index) in self.links.items():
            values.update(read_link_values(c, body, index, name, contact=_CONTACT))
        for name, (body, j) in self.joints.items():
            info = pb.getJointInfo(body, j, physicsClientId=c)
            values[f"joint.{name}.damping"] = float(info[6])
            if info[2] == pb.JOINT_PRISMATIC:
                units[f"joint.{name}.damping"] = PRISMATIC_UNITS["joint.*.damping"]
        self._gravity_dir = [0.0, 0.0, -1.0]
        if world:
            engine = pb.getPhysicsEngineParameters(physicsClientId=c)
            g = [float(engine[f"gravityAcceleration{a}"]) for a in "XYZ"]
            norm = math.hypot(*g)
            if norm > 0:
                self._gravity_dir = [x / norm for x in g]
            values["world.gravity"] = norm
            values["world.timestep"] = float(engine["fixedTimeStep"])
        return values, units

    # ---------------------------------------------------------- parameters
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
        """Set several parameters on the live client (checked against their bounds)."""
        checked = self.params.check(values)
        try:
            self._applier.apply(checked)
        except pb.error as err:
            raise RobotError(f"PyBullet failed on client {self.client}: {err}",
                             where="PyBulletTarget") from None

    def reset_params(self) -> None:
        """Put every parameter back to its nominal value."""
        self.set_params(self.params.nominal())

    def __repr__(self) -> str:
        return f"PyBulletTarget(client={self.client}, bodies={self.bodies}, " \
               f"{len(self.params)} parameters)"
