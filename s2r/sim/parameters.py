"""Parameter application of a simulated robot: get/set by name, and what a change implies.

:class:`Parameters` is the part of :class:`~s2r.sim.SimRobot` that turns parameter values
into changes of the simulation: PyBullet values through
:class:`~s2r.sim.pybullet_params.PyBulletParams`, motor constants on the actuator models,
timing and sensing effects on :class:`~s2r.effects.EffectModel`, centres of mass by
reloading the URDF with the joint state kept. It also keeps what depends on the values up
to date: the geared motors' inertia correction, the stiffness of the joint damping (which
decides whether a control period may be integrated in one PyBullet call; see
:mod:`s2r.sim.damping`) and the effects' timing.

>>> from s2r.sim import SimRobot
>>> with SimRobot("pendulum") as robot:
...     robot.set("link.pole.mass", 2.0)
...     robot.get("link.pole.mass"), robot.get_params()["link.pole.mass"]
(2.0, 2.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from s2r.errors import ParameterError, RobotError
from s2r.params import ParameterTable, kind_of, owner_of
from s2r.sim._pb import pb
from s2r.sim.damping import MobilityProbe, stiff_damping
from s2r.sim.rotors import Rotor, RotorDynamics

if TYPE_CHECKING:
    from s2r.effects import EffectModel
    from s2r.sim.description import RobotDescription
    from s2r.sim.loading import LoadedBody
    from s2r.sim.pybullet_params import PyBulletParams
    from s2r.sim.stepping import Stepper

#: parameters that change how stiff the joint damping is (see s2r.sim.damping)
_STIFFNESS = ("link.*.mass", "link.*.inertia_", "joint.*.damping", "joint.*.armature",
              "motor.*.", "world.control_period")


class Parameters:
    """get/set of named parameters of :class:`~s2r.sim.SimRobot` (a mixin: it uses the
    robot's loaded body, PyBullet mapping, actuators, stepper and effect model)."""

    if TYPE_CHECKING:
        params: ParameterTable
        description: RobotDescription
        client: int
        actuators: list[Any]
        _loaded: LoadedBody
        _applier: PyBulletParams
        _values: dict[str, float]
        _stepper: Stepper
        _fx: EffectModel
        _probe: MobilityProbe
        _com: dict[str, list[float]]
        _shapes: bool
        _window: float | None
        _mobility: Any
        _mobility_key: Any

        def _actuator_slot(self, joint: str) -> int: ...

        def _error(self, what: str, err: Exception) -> RobotError: ...

    def _motor_damping(self, joint: str) -> float:
        """Back-EMF of the motors driving a joint, a viscous term on top of its damping."""
        return sum(a.viscous() for a in self.actuators if a.joint == joint)


    def get(self, name: str) -> float:
        """The current value of a parameter."""
        self.params[name]  # raises ParameterError for unknown names
        if name in self._fx.parameters:
            return self._fx.get(name)
        return self._values[name]

    def get_params(self) -> dict[str, float]:
        """The current value of every parameter."""
        fx = self._fx.get_params()
        return {name: fx[name] if name in fx else self._values[name] for name in self.params}

    def set(self, name: str, value: float) -> None:
        """Set one parameter (absolute value, checked against its bounds)."""
        self.set_params({name: value})

    def set_params(self, values: Mapping[str, float]) -> None:
        """Set several parameters at once (one URDF reload at most)."""
        checked = self.params.check(values)
        try:
            self._set_many(checked, check=True)
        except pb.error as err:
            raise self._error("set_params", err) from None

    def reset_params(self) -> None:
        """Put every parameter back to its nominal value."""
        self.set_params(self.params.nominal())

    def _set_many(self, values: Mapping[str, float], check: bool, reload: bool = False) -> None:
        dt = values.get("world.timestep", self._values.get("world.timestep"))
        period = values.get("world.control_period", self._values.get("world.control_period"))
        if check and dt is not None and period is not None and dt > period + 1e-12:
            raise ParameterError(f"timestep {dt} s is longer than the control period {period} s",
                                 where="world.timestep")
        fx_names = self._fx.parameters
        effects = {n: v for n, v in values.items() if n in fx_names}
        com = {n: v for n, v in values.items() if kind_of(n).startswith("link.*.com")}
        rest = {n: v for n, v in values.items() if n not in com and n not in effects}
        motors = False
        for name, value in rest.items():
            kind = kind_of(name)
            if kind.startswith("motor.*."):
                setattr(self.actuators[self._actuator_slot(owner_of(name))],  # type: ignore[arg-type]
                        kind[8:], value)
                motors = True
        self._applier.apply(rest)
        if self._stepper.rotors is not None and rest:
            self._stepper.rotors.invalidate()  # masses, inertias or gravity may have changed
        if any(kind_of(n).startswith(_STIFFNESS) for n in rest):
            self._stepper.stiffness_changed()  # found again when next needed
        if motors:
            self._stepper.drive()
            if any(n.endswith((".rotor_inertia", ".gear_ratio")) for n in rest):
                self._build_rotors()
        if "world.timestep" in rest or "world.control_period" in rest:
            self._retime()
        if effects:
            self._fx.set_params(effects)
            st = self._stepper
            live = st.aux > 0 or not self._fx.identity
            if st.q and st.live != live:
                if live:
                    st.sync()  # an effect turned on: it starts from the current state
                else:
                    st.live = False  # every effect off: the fast path again
        if com:
            self._values.update(com)
            for name, value in com.items():
                link = owner_of(name)
                xyz = self._com.setdefault(link, list(self._loaded.urdf.inertial_origin(link)))  # type: ignore[arg-type]
                xyz["xyz".index(name[-1])] = value
            if check or reload:
                self._reload()

    def _build_rotors(self) -> None:
        """The geared motors' inertia correction (None when no rotor has inertia)."""
        loaded, rotors = self._loaded, []
        for act, config in zip(self.actuators, self.description.actuators, strict=True):
            if not act.rotor_inertia:
                continue
            j = loaded.joints[act.joint]
            if config.mount is None:
                mount = pb.getJointInfo(loaded.body, j, physicsClientId=self.client)[16]
            elif config.mount in loaded.links:
                mount = loaded.links[config.mount]
            else:
                raise RobotError(f"actuators: mount '{config.mount}' of the motor of "
                                 f"{act.joint} is not a link (links: {sorted(loaded.links)})",
                                 where=self.description.source)
            ratio = 1.0 if act.gear_ratio is None else act.gear_ratio
            rotors.append(Rotor(loaded.movable.index(j), mount, act.rotor_inertia, ratio))
        self._stepper.rotors = (RotorDynamics(self.client, loaded.body, loaded.movable, rotors,
                                              shadow=lambda: loaded.shadow(self._com))
                                if rotors else None)

    def _stiff(self) -> bool:
        """Whether the joint damping is too stiff for the one-call sub-steps. The joints'
        mobility comes from a fresh copy of the body (PyBullet's mass matrix of the live one
        can be stale) and is kept until a mass, inertia or centre of mass changes."""
        damping = self._rotor_damping()
        if not any(damping):
            return False
        loaded = self._loaded
        key = (tuple(tuple(pb.getDynamicsInfo(loaded.body, link, physicsClientId=self.client)[:3])
                     for link in (-1, *loaded.movable)),
               tuple(sorted((k, tuple(v)) for k, v in self._com.items())))
        if getattr(self, "_mobility_key", None) != key:
            self._mobility = self._probe.measure(self._com)
            self._mobility_key = key
        return stiff_damping(self._mobility, damping, self._values["world.control_period"])

    def _shadow_replaced(self) -> None:
        if self._stepper.rotors is not None:
            self._stepper.rotors.invalidate()  # the shadow client now holds another copy

    def _rotor_damping(self) -> list[float]:
        """The joint damping PyBullet applies itself, per movable joint (index order)."""
        by_index = {j: self._applier.damping.get(name, 0.0)
                    for name, j in self._loaded.joints.items()}
        return [by_index.get(j, 0.0) for j in self._loaded.movable]

    def _retime(self) -> None:
        window = self._window or self._values["world.control_period"]
        self._fx.retime(self._values["world.timestep"], window)

    def _reload(self) -> None:
        """Reload the URDF (new COM) and re-apply every parameter and the joint state."""
        c, loaded = self.client, self._loaded
        states = pb.getJointStates(loaded.body, loaded.movable, physicsClientId=c)
        alone = pb.getNumBodies(physicsClientId=c) == 1  # nothing else to touch
        loaded.remove()
        desc = self.description
        contacts = self._shapes or desc.plane or bool(desc.contact_links) or not alone
        loaded.load(self._com, visuals=self._shapes, collisions=contacts)
        for j in loaded.movable:  # default velocity motors off; Coulomb re-issued below
            pb.setJointMotorControl2(loaded.body, j, pb.VELOCITY_CONTROL, force=0.0,
                                     physicsClientId=c)
        # masses and inertias from the stored radii of gyration (not recomputed from the
        # rounded inertia values, so a reload changes nothing else)
        self._applier.rebind(loaded.link_map(), loaded.joint_map())
        self._applier.reapply()
        for j, state in zip(loaded.movable, states, strict=True):
            pb.resetJointState(loaded.body, j, state[0], state[1], physicsClientId=c)
        self._stepper.read_state()
        self._build_rotors()  # the body id changed
        self._stepper.stiffness_changed()
