"""Stepping: one control period of a simulated robot, as physics sub-steps.

:class:`Stepper` owns the running state of a robot (simulated time, joint
state, the command the actuators apply and their forces) and advances it:
each control period is ``round(period / timestep)`` physics steps; before
each one, commands that have come due leave the action delay and the
actuators turn the current command into joint torques, sub-step hooks run
(pushes, forces), and PyBullet steps. With an observation delay or hooks,
the joint state is read after every sub-step (the measurement history needs
it); otherwise only at the end, which is the fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pybullet as pb

from s2r.sim.actuators import Actuator
from s2r.sim.effects import EPS, ActionDelay, MeasurementHistory
from s2r.sim.loading import LoadedBody

if TYPE_CHECKING:
    from s2r.sim.sim_robot import SimRobot

SubstepHook = Callable[["SimRobot"], None]


class Stepper:
    """The running state of a robot and the loop that advances it."""

    def __init__(self, loaded: LoadedBody, actuators: Sequence[Actuator],
                 sensor_slots: Sequence[int], act_slots: Sequence[int]) -> None:
        self.loaded = loaded
        self.actuators = list(actuators)
        self.sensor_slots = list(sensor_slots)
        self.act_slots = list(act_slots)  # joint slot of each actuator
        #: PyBullet joint index of each actuator (indices survive a reload; body ids do not)
        self.act_ids = [loaded.joints[a.joint] for a in self.actuators]
        self.delay = ActionDelay()
        self.history = MeasurementHistory()
        self.hooks: list[SubstepHook] = []
        self.owner: Any = None  # what hooks receive (the SimRobot)
        self.t = 0.0
        self.t_tick = 0.0
        self.command: Sequence[float] = [0.0] * len(self.actuators)
        self.forces = [0.0] * len(self.actuators)
        self.q: list[float] = []
        self.qd: list[float] = []

    def drive(self) -> None:
        """Actuator forces of the current command (velocity-independent part)."""
        command = self.command
        self.forces = [a.drive(command[i]) for i, a in enumerate(self.actuators)]

    def read_state(self) -> None:
        """The joint state as lists of Python floats (new lists: never changed in place)."""
        states = pb.getJointStates(self.loaded.body, self.loaded.joint_ids,
                                   physicsClientId=self.loaded.client)
        self.q = [s[0] for s in states]
        self.qd = [s[1] for s in states]

    def sensors(self) -> list[float]:
        if not self.sensor_slots:
            return []
        qd, command, actuators, slots = self.qd, self.command, self.actuators, self.act_slots
        return [actuators[slot].current(command[slot], qd[slots[slot]])
                for slot in self.sensor_slots]

    def restart(self, command: Sequence[float]) -> None:
        """Time 0, the given command applied, nothing pending (after the joints are reset)."""
        self.t = 0.0
        self.t_tick = 0.0
        self.command = command
        self.drive()
        self.delay.clear()
        self.read_state()
        self.history.restart(0.0, self.q, self.qd, self.sensors())

    def step_period(self, command: Sequence[float], values: dict[str, float]) -> None:
        """Send ``command`` (through the action delay) and advance one control period."""
        self.delay.push(self.t + values["delay.action"], command)
        dt = values["world.timestep"]
        self.t_tick += values["world.control_period"]
        steps = max(1, round((self.t_tick - self.t) / dt))
        obs_delay = values["delay.observation"]
        if obs_delay > 0.0 or self.hooks:
            history = self.history
            for _ in range(steps):
                self.substep(dt)
                if obs_delay > 0.0:
                    history.record(self.t, self.q, self.qd, self.sensors())
            history.trim(self.t, obs_delay)
        else:  # the hot path: nothing needs the state between sub-steps
            loaded = self.loaded
            c, body, ids = loaded.client, loaded.body, self.act_ids
            pending, t = self.delay.pending, self.t
            for _ in range(steps):
                if pending and pending[0][0] <= t + EPS:
                    self.take_pending(t)
                pb.setJointMotorControlArray(body, ids, pb.TORQUE_CONTROL, forces=self.forces,
                                             physicsClientId=c)
                pb.stepSimulation(physicsClientId=c)
                t += dt
            self.t = t
            self.read_state()

    def take_pending(self, t: float) -> None:
        command = self.delay.take(t)
        if command is not None:
            self.command = command
        self.drive()

    def substep(self, dt: float) -> None:
        """One physics step: the current command through the actuators, hooks, step, read."""
        pending = self.delay.pending
        if pending and pending[0][0] <= self.t + EPS:
            self.take_pending(self.t)
        loaded = self.loaded
        c = loaded.client
        pb.setJointMotorControlArray(loaded.body, self.act_ids, pb.TORQUE_CONTROL,
                                     forces=self.forces, physicsClientId=c)
        for hook in self.hooks:
            hook(self.owner)
        pb.stepSimulation(physicsClientId=c)
        self.t += dt
        self.read_state()
