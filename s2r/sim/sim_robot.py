"""SimRobot: a robot simulated in PyBullet (DIRECT mode), with named parameters.

Every parameter of :attr:`SimRobot.params` can be read with :meth:`get` and
changed with :meth:`set` on a live simulation, and the change acts on the
next step. Values are absolute and the nominal values never change, so
nothing compounds. SimRobot composes the parts of :mod:`s2r.sim`: the loaded
body (:mod:`~s2r.sim.loading`), the name -> PyBullet mapping
(:mod:`~s2r.sim.pybullet_params`) and what a change implies
(:mod:`~s2r.sim.parameters`), the actuators, the stepping loop
(:mod:`~s2r.sim.stepping`), the effect controls of an emulated device
(:mod:`~s2r.sim.effect_controls`) and snapshots (:mod:`~s2r.sim.snapshots`).
Its timing and sensing effects (delays at any resolution, rate limit, smooth
friction, encoders, velocity estimation, noise) are parameters too,
implemented once in :mod:`s2r.effects`. Centre-of-mass changes reload the URDF
(without the shapes nothing needs, see :meth:`SimRobot.need_shapes`) and keep the
joint state. How each kind of parameter reaches PyBullet, and why, is in
s2r/sim/PHYSICS.md.

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
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from s2r.description import RobotDescription, load_robot_description, spec_from_description
from s2r.effects import EffectModel, effect_parameters
from s2r.errors import RobotError
from s2r.params import ParameterTable
from s2r.robot import Observation, RobotBase, _clip, float_array
from s2r.sim._pb import pb
from s2r.sim.actuators import build_actuators
from s2r.sim.damping import MobilityProbe
from s2r.sim.effect_controls import EffectControls
from s2r.sim.loading import LoadedBody
from s2r.sim.param_table import build_table
from s2r.sim.parameters import Parameters
from s2r.sim.pybullet_params import PyBulletParams
from s2r.sim.relevance import inert_inertial_parameters
from s2r.sim.snapshots import Snapshots
from s2r.sim.stepping import CommandFilter, MeasurementFilter, Stepper, SubstepHook

__all__ = ["CommandFilter", "MeasurementFilter", "SimRobot", "SubstepHook"]

_NO_SENSORS = np.zeros(0)
_NO_SENSORS.setflags(write=False)


def _memory_tmp() -> str | None:
    """``/dev/shm`` where it is a writable directory (a memory file system: the URDF written
    for every centre-of-mass change costs a third there), else the default."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class SimRobot(Parameters, EffectControls, Snapshots, RobotBase):
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
        self._tmp = tempfile.TemporaryDirectory(prefix="s2r-urdf-", dir=_memory_tmp())
        self._command_filter: CommandFilter | None = None
        self._reclip = True
        self._measurement_filter: MeasurementFilter | None = None
        self._com: dict[str, list[float]] = {}
        self._shapes = True  # all shapes on a reload (see need_shapes): while building
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
            self._shapes = False  # built with them; later reloads may leave them out
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

    @property
    def body(self) -> int:
        """PyBullet body id of the robot (changes when a centre of mass moves)."""
        return self._loaded.body

    def need_shapes(self) -> None:
        """Keep the body's visual and collision shapes from now on (renderers, bounding boxes
        and visual randomizers call it).

        A centre-of-mass change reloads the URDF. The reload leaves out the visual shapes,
        and the collision shapes too when nothing can touch the robot (no floor, no contact
        links, no other body in the client): they are ~90 % of its cost and change no motion
        then (s2r/sim/PHYSICS.md, section 14). Until something asks for them here: a body
        loaded without them is reloaded with them now, its state kept exactly.

        >>> with SimRobot("furuta") as robot:
        ...     shapes = lambda: pb.getVisualShapeData(robot.body, physicsClientId=robot.client)
        ...     fresh = shapes()
        ...     robot.set("link.arm.com_x", robot.get("link.arm.com_x") + 0.001)
        ...     reloaded = shapes()
        ...     robot.need_shapes()
        ...     reloaded == fresh, shapes() == fresh
        (False, True)
        """
        self._shapes = True
        if not self._loaded.has_shapes:
            try:
                self._reload()
            except pb.error as err:
                raise self._error("need_shapes", err) from None

    @property
    def plane(self) -> int | None:
        """PyBullet body id of the floor, if the description has one."""
        return self._loaded.plane

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
        other = self._other_joints()
        given = list(others)[:len(other)]
        for j, (qo, qdo) in zip(other, given + [(0.0, 0.0)] * (len(other) - len(given)),
                                strict=True):
            pb.resetJointState(loaded.body, j, qo, qdo, physicsClientId=c)
        for j, qi, qdi in zip(loaded.joint_ids, q, qd, strict=True):  # each set once
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
        actuator (no NumPy round trip on the way in); the same result bit for bit.

        >>> with SimRobot("pendulum") as robot:
        ...     robot.act_floats([5.0]).tolist(), robot.act_floats([float("nan")]).tolist()
        ([2.0], [0.0])
        """
        return float_array(self.act_list(action))

    def act_list(self, action: list[float]) -> list[float]:
        """:meth:`act_floats` returning the applied command as a list of Python floats (the
        tasks' hot path: no NumPy at all). Neither the caller nor the robot may change the
        list in place (the robot holds it as its current command).

        >>> with SimRobot("pendulum") as robot:
        ...     robot.act_list([-5.0])
        [-2.0]
        """
        limits = self._limits
        if len(action) != len(limits):
            return self.act(action).tolist()  # NumPy's error
        if len(limits) == 1:  # spec.clip_action bit for bit (NaN: z); no comprehension
            (x,), ((lo, hi, z),) = action, limits
            m = x if x > lo else lo
            command = [(m if m < hi else hi) if x == x else z]
        else:
            command = [_clip(x, lo, hi) if x == x else z for x, (lo, hi, z) in zip(action, limits)]
        if self._command_filter is not None:
            applied = command[:]  # before the filter, which may change the list
            self._act(command)
            return applied
        try:  # _act without a filter, inlined
            values, stepper = self._values, self._stepper
            stepper.send(command)
            stepper.advance(values["world.timestep"], values["world.control_period"])
        except pb.error as err:
            raise self._error("act", err) from None
        return command

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
        return self.observe_floats()[0]

    def observe_floats(self) -> tuple[Observation, list[float], list[float]]:
        """:meth:`observe`, and its joint positions and velocities as lists of Python floats
        (``obs.q.tolist()``, ``obs.qd.tolist()``, without the round trip: the tasks' hot
        path). The lists must not be changed in place."""
        st = self._stepper
        if not st.live and self._measurement_filter is None:  # the common case, inlined
            qs, qds = st.q, st.qd
            return (Observation(st.t, float_array(qs), float_array(qds),
                                float_array(st.sensors()) if st.sensor_slots else _NO_SENSORS),
                    qs, qds)
        t, (q, qd, sensors) = st.observation()
        if self._measurement_filter is not None:
            q, qd, sensors = self._measurement_filter(list(q), list(qd), list(sensors))
        obs = Observation(t, float_array(q), float_array(qd),  # fresh float64 vectors
                          float_array(sensors) if len(sensors) else _NO_SENSORS)
        return obs, obs.q.tolist(), obs.qd.tolist()  # whatever the filter returned, as floats

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

