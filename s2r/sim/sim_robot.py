"""SimRobot: a robot simulated in PyBullet (DIRECT mode), with named parameters.

Every parameter of :attr:`SimRobot.params` can be read with :meth:`get` and
changed with :meth:`set` on a live simulation, and the change acts on the
next step. Values are absolute and the nominal values never change, so
nothing compounds. SimRobot composes the parts of :mod:`s2r.sim`: the loaded
body (:mod:`~s2r.sim.loading`), the name -> PyBullet mapping
(:mod:`~s2r.sim.pybullet_params`), the actuators, and the stepping loop
(:mod:`~s2r.sim.stepping`). Its timing and sensing effects (delays at any
resolution, rate limit, smooth friction, encoders, velocity estimation, noise)
are parameters too, implemented once in :mod:`s2r.effects`. Centre-of-mass
changes reload the URDF and keep the joint state. How each kind of parameter
reaches PyBullet, and why, is in s2r/sim/PHYSICS.md.

Noise comes from a numpy Generator the robot owns: ``SimRobot(seed=...)`` or
``reset(seed=...)`` seed it, and the same seed gives the same noise.

Its state (:meth:`get_state`, :meth:`set_state`) can be saved and restored
exactly, delay lines and velocity filters included, and a SimRobot pickles: the
copy is rebuilt in its own physics client from the description, the parameter
values, the state and the noise generator's state.

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

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from s2r.description import RobotDescription, load_robot_description, spec_from_description
from s2r.effects import CommandDelay, EffectModel, effect_parameters
from s2r.errors import ParameterError, RobotError
from s2r.params import ParameterTable, kind_of, owner_of
from s2r.robot import Observation, RobotBase, _clip
from s2r.sim._pb import pb
from s2r.sim.actuators import build_actuators
from s2r.sim.damping import MobilityProbe, stiff_damping
from s2r.sim.loading import LoadedBody
from s2r.sim.param_table import build_table
from s2r.sim.pybullet_params import PyBulletParams
from s2r.sim.relevance import inert_inertial_parameters
from s2r.sim.rotors import Rotor, RotorDynamics
from s2r.sim.snapshots import Snapshots
from s2r.sim.stepping import CommandFilter, MeasurementFilter, Stepper, SubstepHook

__all__ = ["CommandFilter", "MeasurementFilter", "SimRobot", "SubstepHook"]

#: parameters that change how stiff the joint damping is (see s2r.sim.damping)
_STIFFNESS = ("link.*.mass", "link.*.inertia_", "joint.*.damping", "joint.*.armature",
              "motor.*.", "world.control_period")
_NO_SENSORS = np.zeros(0)
_NO_SENSORS.setflags(write=False)


class SimRobot(Snapshots, RobotBase):
    """A robot in its own PyBullet physics client, with get/set of named parameters.

    Args:
        robot: a built-in name (``cartpole``, ``pendulum``, ``furuta``), a path
            to a robot YAML, or a loaded :class:`RobotDescription`.
        overrides: dotlist overrides of the robot YAML (``["control_rate=200"]``).
        params: parameter values to set after loading (absolute values).
        seed: seed of the robot's noise generator (``None``: fresh entropy).
        substeps: ``"auto"`` lets PyBullet integrate a control period's sub-steps
            in one call when no effect, hook or geared motor needs them one by one;
            ``"explicit"`` always steps them one by one (the reference path).
    """

    def __init__(self, robot: str | os.PathLike[str] | RobotDescription = "cartpole", *,
                 overrides: Sequence[str] = (), params: Mapping[str, float] | None = None,
                 seed: int | None = None, substeps: str = "auto") -> None:
        if substeps not in ("auto", "explicit"):
            raise RobotError(f"substeps: expected 'auto' or 'explicit', got {substeps!r}")
        self.description = (robot if isinstance(robot, RobotDescription)
                            else load_robot_description(robot, overrides))
        self.client = pb.connect(pb.DIRECT)
        self._tmp = tempfile.TemporaryDirectory(prefix="s2r-urdf-")
        self._command_filter: CommandFilter | None = None
        self._reclip = True
        self._measurement_filter: MeasurementFilter | None = None
        self._com: dict[str, list[float]] = {}
        self._window: float | None = None
        try:
            pb.setPhysicsEngineParameter(enableFileCaching=0, physicsClientId=self.client)
            self._loaded = LoadedBody(self.client, self.description, self._tmp.name)
            self._loaded.load(self._com)
            self.actuators = build_actuators(self.description)
            self.spec = spec_from_description(self.description)
            self._fx = EffectModel(self.spec, sample_period=self.description.timestep,
                                   window=1.0 / self.description.control_rate)
            self._stepper = Stepper(self._loaded, self.actuators, self._sensor_slots(),
                                    self._actuator_joint_slots(), self._fx,
                                    lambda k: self._applier.set_substeps(k),
                                    explicit=substeps == "explicit")
            self._stepper.owner = self
            self._stepper.rng = np.random.default_rng(seed)
            self._stepper.rotor_damping = self._rotor_damping
            self._stepper.stiffness = self._stiff
            self._probe = MobilityProbe(self._loaded, self._shadow_replaced)
            nominal, units, armature_axes = self._loaded.read_nominal(self.actuators)
            self._applier = PyBulletParams(
                self.client, self._loaded.link_map(), self._loaded.joint_map(), nominal,
                armature_axes=armature_axes, extra_damping=self._motor_damping)
            self._values = self._applier.values
            self._set_many(nominal, check=False)
            #: inertial parameters that structurally cannot change the motion (not in params)
            self.inert_parameters = inert_inertial_parameters(
                self, list(nominal), lambda v: self._set_many(v, check=False, reload=True))
            for name in self.inert_parameters:
                nominal.pop(name)
            effects = effect_parameters(self.spec, existing=nominal)
            self.params: ParameterTable = build_table(
                nominal, units, self.description.parameters, self.description.source, effects)
            for name in self._fx.parameters:  # the table's bounds (YAML overrides) rule
                self._fx.parameters[name] = self.params[name]
            self._set_many(self.params.nominal(), check=False)
            zero = self.spec.clip_action(np.zeros(self.spec.n_actions))  # what NaN becomes
            self._limits = list(zip(self.spec.action_low.tolist(),
                                    self.spec.action_high.tolist(), zero.tolist()))
            if params:
                self.set_params(params)
            self.reset()
            self._stepper.rng = np.random.default_rng(seed)  # so reset() = reset(seed=seed)
        except pb.error as err:
            self.close()
            raise RobotError(f"PyBullet failed while loading: {err}",
                             where=self.description.source) from None
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ loading
    def _sensor_slots(self) -> list[int]:
        joints = [a.joint for a in self.actuators]
        slots = []
        for name in self.description.sensors:
            kind, _, joint = name.partition(".")
            if kind != "current" or joint not in joints:
                raise RobotError(f"sensors: unknown sensor '{name}' (known: current.<motor "
                                 "joint>)", where=self.description.source)
            slots.append(self._actuator_slot(joint))
        return slots

    def _actuator_joint_slots(self) -> list[int]:
        names = [jc.name for jc in self.description.joints]
        return [names.index(a.joint) for a in self.actuators]

    def _actuator_slot(self, joint: str) -> int:
        return next(i for i, a in enumerate(self.actuators) if a.joint == joint)

    def _motor_damping(self, joint: str) -> float:
        """Back-EMF of the motors driving a joint, a viscous term on top of its damping."""
        return sum(a.viscous() for a in self.actuators if a.joint == joint)

    @property
    def body(self) -> int:
        """PyBullet body id of the robot (changes when a centre of mass moves)."""
        return self._loaded.body

    @property
    def plane(self) -> int | None:
        """PyBullet body id of the floor, if the description has one."""
        return self._loaded.plane

    # --------------------------------------------------------------- parameters
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
        loaded.remove()
        loaded.load(self._com)
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

    # ------------------------------------------------------------------ running
    @property
    def time(self) -> float:
        """Simulated time since the last reset, in seconds."""
        return self._stepper.t

    def add_substep_hook(self, hook: SubstepHook) -> None:
        """Call ``hook(robot)`` before every physics sub-step (forces, pushes, ...)."""
        self._stepper.hooks.append(hook)

    def remove_substep_hook(self, hook: SubstepHook) -> None:
        self._stepper.hooks.remove(hook)

    @property
    def _substep_hooks(self) -> list[SubstepHook]:
        return self._stepper.hooks

    @property
    def _command(self) -> Sequence[float]:
        """The command the actuators apply now (after the action delay and filters)."""
        return self._stepper.command

    @property
    def _q(self) -> list[float]:
        return self._stepper.q

    @property
    def _act_joint_ids(self) -> list[int]:
        return self._stepper.act_ids

    def link_index(self, link: str) -> int:
        """PyBullet index of a link by URDF name (-1 for the base)."""
        links = self._loaded.links
        if link not in links:
            raise RobotError(f"no link named '{link}' (links: {sorted(links)})")
        return links[link]

    def joint_index(self, joint: str) -> int:
        """PyBullet index of a measured joint by its robot name."""
        joints = self._loaded.joints
        if joint not in joints:
            raise RobotError(f"no joint named '{joint}' (joints: {sorted(joints)})")
        return joints[joint]

    @property
    def rng(self) -> np.random.Generator:
        """The generator of the robot's noise (seeded by ``seed``; may be replaced)."""
        return self._stepper.rng

    @rng.setter
    def rng(self, generator: np.random.Generator) -> None:
        self._stepper.rng = generator

    # ---------------------------------------------------- for an emulated device
    @property
    def effects(self) -> EffectModel:
        """The timing and sensing effects (set their values with :meth:`set_params`)."""
        return self._fx

    def set_sensor_window(self, seconds: float | None) -> None:
        """Finite-difference span of the velocity estimate (``None``: the control period).

        A firmware sampling every physics step estimates velocities over its
        host's control period, not its own tick.
        """
        self._window = seconds
        self._retime()

    def carry_channels(self, count: int,
                       transform: Callable[[tuple[float, ...], list[float]], Sequence[float]]
                       ) -> None:
        """Carry ``count`` extra channels (e.g. a driver's enable flag) through the action delay.

        Before every physics step ``transform(delayed, qd)`` turns the delayed
        command (actuator channels, then the extra ones, time-averaged over the
        step) and the joint velocities into the actuators' commands. Commands
        are then sent with :meth:`send` and time advanced with :meth:`advance`.

        >>> robot = SimRobot("pendulum", params={"delay.action": 0.01})
        >>> robot.carry_channels(1, lambda u, qd: [u[0] * u[1]])  # channel 1 gates the drive
        >>> _ = robot.reset()
        >>> robot.send([2.0], channels=[1.0])
        >>> robot.advance()  # 20 ms: the gate opens halfway through
        >>> bool(robot.observe().qd[0] > 0.0), robot._command
        (True, [2.0])
        >>> robot.close()
        """
        fx = self._fx
        fx.aux = count
        fx.actions = CommandDelay(self.spec.n_actions + count, fx.actions.delay)
        self._stepper.aux, self._stepper.transform = count, transform
        self._stepper.aux_values = (0.0,) * count
        self._stepper.sync()

    def send(self, command: Sequence[float], *, extra_delay: float = 0.0,
             channels: Sequence[float] = ()) -> None:
        """Send a command now without advancing time; it acts ``delay.action + extra_delay``
        later, and ``channels`` (see :meth:`carry_channels`) ride along with it."""
        self._stepper.send([float(u) for u in command], extra_delay, channels)

    def advance(self) -> None:
        """Advance one control period under the commands sent so far."""
        try:
            self._stepper.advance(self._values["world.timestep"],
                                  self._values["world.control_period"])
        except pb.error as err:
            raise self._error("advance", err) from None

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

    def reset(self, q: Iterable[float] | None = None, qd: Iterable[float] | None = None, *,
              seed: int | None = None) -> Observation:
        """Put the joints in the given state (zeros by default) and restart time.

        ``seed`` reseeds the noise generator (``None``: it continues).
        """
        if seed is not None:
            self._stepper.rng = np.random.default_rng(seed)
        n = len(self._loaded.joint_ids)
        q_arr = np.zeros(n) if q is None else np.asarray(list(q), dtype=float).reshape(n)
        qd_arr = np.zeros(n) if qd is None else np.asarray(list(qd), dtype=float).reshape(n)
        try:
            self._put_joints(q_arr.tolist(), qd_arr.tolist(), ())
            self._stepper.restart(0.0, [0.0] * len(self.actuators))
        except pb.error as err:
            raise self._error("reset", err) from None
        return self.observe()

    def _put_joints(self, q: Sequence[float], qd: Sequence[float],
                    others: Sequence[tuple[float, float]]) -> None:
        """Joint state: measured joints as given, other movable joints as given or at rest."""
        c, loaded = self.client, self._loaded
        for j in loaded.movable:
            pb.setJointMotorControl2(loaded.body, j, pb.VELOCITY_CONTROL, force=0.0,
                                     physicsClientId=c)
            pb.resetJointState(loaded.body, j, 0.0, 0.0, physicsClientId=c)
        for j, (qo, qdo) in zip(self._other_joints(), others, strict=False):
            pb.resetJointState(loaded.body, j, qo, qdo, physicsClientId=c)
        for j, qi, qdi in zip(loaded.joint_ids, q, qd, strict=True):
            pb.resetJointState(loaded.body, j, float(qi), float(qdi), physicsClientId=c)
        self._applier.issue_coulomb()

    def _other_joints(self) -> list[int]:
        measured = set(self._loaded.joint_ids)
        return [j for j in self._loaded.movable if j not in measured]

    def act(self, action: Sequence[float] | np.ndarray) -> np.ndarray:
        """Apply a command for one control period; return the command actually applied."""
        applied = self.spec.clip_action(action)
        self._act(applied.tolist())  # Python floats: the actuator models run faster on them
        return applied

    def act_floats(self, action: list[float]) -> np.ndarray:
        """:meth:`act` for a command already held as a list of Python floats, one per
        actuator (the tasks' hot path: no NumPy round trip); the same result bit for bit.

        >>> with SimRobot("pendulum") as robot:
        ...     robot.act_floats([5.0]).tolist(), robot.act_floats([float("nan")]).tolist()
        ([2.0], [0.0])
        """
        if len(action) != len(self._limits):
            return self.act(action)  # NumPy's error
        command = [_clip(x, lo, hi) if x == x else z  # spec.clip_action, bit for bit
                   for x, (lo, hi, z) in zip(action, self._limits)]
        applied = np.array(command)
        self._act(command)
        return applied

    def _act(self, command: list[float]) -> None:
        if self._command_filter is not None:
            command = self._command_filter(command)
            if self._reclip:
                command = [lo if x < lo else hi if x > hi else x if x == x else z
                           for x, (lo, hi, z) in zip(command, self._limits)]
        try:
            values = self._values
            self._stepper.send(command)
            self._stepper.advance(values["world.timestep"], values["world.control_period"])
        except pb.error as err:
            raise self._error("act", err) from None

    def observe(self) -> Observation:
        """The measurement the controller receives now: the state ``delay.observation`` old,
        as the sensors report it (``sensor.*`` parameters)."""
        t, (q, qd, sensors) = self._stepper.observation()
        if self._measurement_filter is not None:
            q, qd, sensors = self._measurement_filter(list(q), list(qd), list(sensors))
        return Observation(t, np.array(q), np.array(qd),  # fresh arrays each step
                           np.array(sensors) if len(sensors) else _NO_SENSORS)

    # -------------------------------------------------------------- life cycle
    def _error(self, what: str, err: Exception) -> RobotError:
        if self.client < 0:
            return RobotError(f"{what}: the robot is closed", where=self.description.name)
        return RobotError(f"{what}: PyBullet failed: {err}", where=self.description.name)

    def close(self) -> None:
        """Disconnect the physics client and delete temporary files (idempotent)."""
        loaded = getattr(self, "_loaded", None)
        if loaded is not None:
            loaded.close_shadow()
        if getattr(self, "client", -1) >= 0:
            try:
                pb.disconnect(physicsClientId=self.client)
            except pb.error:
                pass  # already gone: closing is idempotent
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

