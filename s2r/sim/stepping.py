"""Stepping: one control period of a simulated robot, as physics sub-steps.

:class:`Stepper` owns the running state of a robot (simulated time, joint
state, the command the actuators apply, the timing and sensing effects of
:mod:`s2r.effects` and the generator of its noise) and advances it by one
control period of ``k = round(period / timestep)`` physics steps, on one of
two paths:

- fast: when nothing needs work between sub-steps (every effect off, no
  sub-step hooks, no geared motors, and joint damping mild enough that
  PyBullet may hold its torque constant over the whole call; see
  :mod:`s2r.sim.damping` and s2r/sim/PHYSICS.md), the torques are sent once
  and PyBullet integrates the ``k`` sub-steps in one ``stepSimulation`` call
  (``numSubSteps = k``);
- explicit: one ``stepSimulation`` per sub-step. Before each one the delayed
  command in force over the sub-step (time-weighted, :class:`s2r.effects.EffectModel`)
  goes through the actuators, smooth friction and rotor torques are added,
  hooks run; after it the true state is recorded and measured (quantized,
  filtered, noised) so observations reproduce what a firmware sampling at
  the physics rate reports. When no effect is live and no hook runs, nothing
  needs the state between sub-steps: the torques are re-sent before each one
  and the joints are read once, after the last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from s2r.effects import EffectModel
from s2r.effects.delay import EPS
from s2r.sim._pb import pb
from s2r.sim.actuators import Actuator
from s2r.sim.loading import LoadedBody

if TYPE_CHECKING:
    from s2r.sim.rotors import RotorDynamics
    from s2r.sim.sim_robot import SimRobot

SubstepHook = Callable[["SimRobot"], None]
#: transforms of commands and measurements on Python floats (see SimRobot.set_filters)
CommandFilter = Callable[[list[float]], list[float]]
MeasurementFilter = Callable[[list[float], list[float], list[float]],
                             tuple[Sequence[float], Sequence[float], Sequence[float]]]
Measurement = tuple[Sequence[float], Sequence[float], Sequence[float]]

_TORQUE = pb.TORQUE_CONTROL


def send_torques(body: int, ids: Sequence[int], forces: Sequence[float], client: int) -> None:
    """Joint torques for the next ``stepSimulation``, through PyBullet's cheapest call.

    PyBullet parses keyword arguments slowly: one joint's ``setJointMotorControl2`` with
    positional arguments (the defaults of target position and velocity, gains and maximum
    velocity, unused under torque control) costs under half of ``setJointMotorControlArray``
    with keywords, and sets the same torque (s2r/sim/PHYSICS.md, section 14).
    """
    if len(ids) == 1:
        pb.setJointMotorControl2(body, ids[0], _TORQUE, 0.0, 0.0, forces[0], 0.1, 1.0, -1.0,
                                 client)
    else:
        pb.setJointMotorControlArray(body, ids, _TORQUE, forces=forces, physicsClientId=client)


class Stepper:
    """The running state of a robot and the loop that advances it.

    ``configure(k)`` must make PyBullet integrate ``k`` sub-steps per
    ``stepSimulation`` (``k = 1``: one); ``explicit`` forces the explicit path.
    """

    def __init__(self, loaded: LoadedBody, actuators: Sequence[Actuator],
                 sensor_slots: Sequence[int], act_slots: Sequence[int], fx: EffectModel,
                 configure: Callable[[int], None], explicit: bool = False) -> None:
        self.loaded = loaded
        self.actuators = list(actuators)
        self.sensor_slots = list(sensor_slots)
        self.act_slots = list(act_slots)  # joint slot of each actuator
        #: (actuator, its command slot, its joint slot) per current sensor
        self._sensing = [(self.actuators[slot], slot, self.act_slots[slot])
                         for slot in self.sensor_slots]
        #: PyBullet joint index of each actuator (indices survive a reload; body ids do not)
        self.act_ids = [loaded.joints[a.joint] for a in self.actuators]
        self.fx = fx
        self.live = False  # whether fx is in the loop (some effect is on)
        self.rng = np.random.default_rng()
        self.configure = configure
        self.explicit = explicit
        self.substeps = 1  # sub-steps per stepSimulation as PyBullet is configured now
        #: whether joint damping is too stiff for one damping torque per control period
        #: (None: not known yet, ``stiffness()`` finds it when it is needed)
        self._stiff: bool | None = False
        self.stiffness: Callable[[], bool] = lambda: False
        self.hooks: list[SubstepHook] = []
        self.rotors: RotorDynamics | None = None
        self.rotor_damping: Callable[[], list[float]] = list
        self.owner: Any = None  # what hooks receive (the SimRobot)
        self.t = 0.0
        self.t_tick = 0.0
        self.command: Sequence[float] = [0.0] * len(self.actuators)
        self.target: Sequence[float] = self.command  # the last command sent (before limits)
        self.sent_t = 0.0  # when it was sent
        self.extra = 0.0  # its extra delay
        #: extra channels carried through the action delay (see SimRobot.carry_channels)
        self.aux = 0
        self.aux_values: tuple[float, ...] = ()
        #: (delayed command with aux channels, joint velocities) -> actuator commands
        self.transform: Callable[[tuple[float, ...], list[float]], Sequence[float]] | None = None
        self.forces = [0.0] * len(self.actuators)
        self.q: list[float] = []
        self.qd: list[float] = []
        self.measured: Measurement = ((), (), ())

    @property
    def stiff(self) -> bool:
        """Whether joint damping is too stiff for the fast path (see :mod:`s2r.sim.damping`)."""
        if self._stiff is None:
            self._stiff = self.stiffness()
        return self._stiff

    @stiff.setter
    def stiff(self, value: bool) -> None:
        self._stiff = value

    def stiffness_changed(self) -> None:
        """Masses, inertias, damping or the period changed: ``stiff`` is found again on its
        next use (so a reset that sets many parameters finds it once, if at all)."""
        self._stiff = None

    def drive(self) -> None:
        """Actuator forces of the current command (velocity-independent part)."""
        acts, command = self.actuators, self.command
        self.forces = ([acts[0].drive(command[0])] if len(acts) == 1  # no comprehension: cheaper
                       else [a.drive(u) for a, u in zip(acts, command)])

    def read_state(self) -> None:
        """The joint state as lists of Python floats (new lists: never changed in place)."""
        loaded = self.loaded
        states = pb.getJointStates(loaded.body, loaded.joint_ids, loaded.client)  # positional:
        if len(states) == 2:  # cheaper than keywords, and than comprehensions on few joints
            s0, s1 = states
            self.q, self.qd = [s0[0], s1[0]], [s0[1], s1[1]]
        elif len(states) == 1:
            s0, = states
            self.q, self.qd = [s0[0]], [s0[1]]
        else:
            self.q = [s[0] for s in states]
            self.qd = [s[1] for s in states]

    def sensors(self) -> list[float]:
        sensing = self._sensing
        if not sensing:
            return []
        qd, command = self.qd, self.command
        if len(sensing) == 1:  # no comprehension: cheaper
            (actuator, slot, joint), = sensing
            return [actuator.current(command[slot], qd[joint])]
        return [actuator.current(command[slot], qd[joint]) for actuator, slot, joint in sensing]

    def restart(self, t: float, command: Sequence[float], sync: bool = True) -> None:
        """Time ``t``, ``command`` applied, nothing pending (after the joints are set)."""
        self.t = self.t_tick = self.sent_t = t
        self.command = self.target = list(command)
        self.extra, self.aux_values = 0.0, (0.0,) * self.aux
        self.drive()
        self.read_state()
        if sync:
            self.sync()

    def sync(self) -> None:
        """Start the effects at the current state and command (on reset, or when one turns on).

        With every effect off nothing reads their state (``measured`` included) until one
        turns on, which syncs again: a reset then skips them."""
        self.live = self.aux > 0 or not self.fx.identity
        if not self.live:
            return
        self.measured = self.fx.reset(self.t, self.q, self.qd, self.sensors(), self.rng,
                                      (*self.command, *self.aux_values))
        self.fx.limiter.reset(self.t, self.target)

    def observation(self) -> tuple[float, Measurement]:
        """(time of the measured state, measurement) the controller receives now."""
        if self.live:
            return self.fx.measured_time(self.t), self.measured
        return self.t, (self.q, self.qd, self.sensors())

    # --------------------------------------------------------------- stepping
    def send(self, command: Sequence[float], extra: float = 0.0,
             aux: Sequence[float] = ()) -> None:
        """A command sent now; it acts ``delay.action + extra`` later (``aux`` rides along)."""
        self.target, self.extra, self.aux_values, self.sent_t = command, extra, tuple(aux), self.t
        if self.live:
            self.fx.command(self.t, command, extra, self.aux_values)

    def advance(self, dt: float, period: float) -> None:
        """Advance one control period with the commands sent so far."""
        self.t_tick += period
        steps = round((self.t_tick - self.t) / dt)
        if steps < 1:
            steps = 1
        if self.live or self.hooks:
            self._single_steps()
            self._explicit(dt, steps)
            return
        self.command = self.target  # every effect off: applied as sent
        self.drive()
        stiff = self._stiff  # ``self.stiff`` without the property call when it is known
        if (self.rotors is not None or self.explicit
                or (steps > 1 and (stiff if stiff is not None else self.stiff))):
            if self.substeps != 1:
                self._single_steps()
            self._plain(dt, steps)
            return
        if self.substeps != steps:
            self.configure(steps)
            self.substeps = steps
        c = self.loaded.client
        send_torques(self.loaded.body, self.act_ids, self.forces, c)
        pb.stepSimulation(c)
        t = self.t
        for _ in range(steps):  # the same float sum as the explicit path
            t += dt
        self.t = t
        self.read_state()

    def _single_steps(self) -> None:
        """One physics step per ``stepSimulation`` (the fast path may have set more)."""
        if self.substeps != 1:
            self.configure(1)
            self.substeps = 1

    def _explicit(self, dt: float, steps: int) -> None:
        """Sub-steps one by one with the effects live or hooks to run between them."""
        fx, live, transform = self.fx, self.live, self.transform
        target = self.target
        slewing = live and any(fx.limiter.rates)
        last = None
        if not live:
            self.command = target
            self.drive()
        loaded = self.loaded
        c = loaded.client
        for _ in range(steps):
            t = self.t
            ids, forces = self.act_ids, self.forces
            if live:
                if slewing and t > self.sent_t + EPS and fx.limiter.last != tuple(target):
                    fx.command(t, target, self.extra, self.aux_values)  # slews step by step
                u = fx.drive(t, dt)
                if transform is not None:
                    self.command = transform(u, self.qd)
                    self.drive()
                elif u is not last:
                    last = u
                    self.command = u
                    self.drive()
                forces = self.forces
                if fx.frictional:
                    ids, forces = self._with_friction(forces)
            if self.rotors is not None:
                ids, forces = self._with_rotors(ids, forces)
            send_torques(loaded.body, ids, forces, c)
            for hook in self.hooks:
                hook(self.owner)
            pb.stepSimulation(c)
            self.t = t + dt
            self.read_state()
            if live:
                fx.record(self.t, self.q, self.qd, self.sensors())
                self.measured = fx.measure(self.t, self.rng)

    def _plain(self, dt: float, steps: int) -> None:
        """Explicit sub-steps that need no state between them (no effect live, no hook): the
        torques re-sent before each ``stepSimulation``, the joint state read once after the
        last (PyBullet's state does not depend on reads: the same trajectory bit for bit)."""
        loaded, rotors = self.loaded, self.rotors
        body, c, t = loaded.body, loaded.client, self.t
        ids, forces, step = self.act_ids, self.forces, pb.stepSimulation
        if rotors is None and len(ids) == 1:  # send_torques inlined: the hottest loop
            control, j, f = pb.setJointMotorControl2, ids[0], forces[0]
            for _ in range(steps):
                control(body, j, _TORQUE, 0.0, 0.0, f, 0.1, 1.0, -1.0, c)
                step(c)
                t += dt
        else:
            for _ in range(steps):
                if rotors is not None:  # the rotors read the joint state they need themselves
                    ids, forces = self._with_rotors(self.act_ids, self.forces)
                send_torques(body, ids, forces, c)
                step(c)
                t += dt
        self.t = t
        self.read_state()

    def _with_friction(self, forces: list[float]) -> tuple[list[int], list[float]]:
        """Torques on every measured joint: the actuators' plus smooth Coulomb friction."""
        total = self.fx.friction(self.qd)
        for slot, f in zip(self.act_slots, forces, strict=True):
            total[slot] += f
        return self.loaded.joint_ids, total

    def _with_rotors(self, ids: list[int], forces: list[float]) -> tuple[list[int], list[float]]:
        """Torques on every movable joint corrected for the geared motors' inertia."""
        rotors = self.rotors
        assert rotors is not None
        movable = self.loaded.movable
        tau = [0.0] * len(movable)
        for j, f in zip(ids, forces, strict=True):
            tau[movable.index(j)] += f
        states = pb.getJointStates(self.loaded.body, movable, physicsClientId=self.loaded.client)
        q = [s[0] for s in states]
        qd = [s[1] for s in states]
        return movable, rotors.torques(q, qd, tau, self.rotor_damping())
