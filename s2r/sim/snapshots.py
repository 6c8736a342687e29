"""Snapshots of a simulated robot: :meth:`Snapshots.get_state` and :meth:`Snapshots.set_state`.

A :class:`~s2r.sim.state.SimState` holds everything but the parameters that decides the next
steps: joint positions and velocities (measured joints and the others), the commands still in
the action delay, the measurement history an observation delay reads, the command in force,
simulated time, and (from a snapshot) the exact state of every timing and sensing effect.
Multiple-shooting system identification starts each log segment from one built by
:func:`~s2r.sim.state.state_from_log`; pickling a robot carries one to the copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from s2r.errors import RobotError
from s2r.params import kind_of
from s2r.sim._pb import pb
from s2r.sim.state import SimState

if TYPE_CHECKING:
    from s2r.effects import EffectModel
    from s2r.sim.description import RobotDescription
    from s2r.sim.loading import LoadedBody
    from s2r.sim.pybullet_params import PyBulletParams
    from s2r.sim.stepping import CommandFilter, MeasurementFilter, Stepper


class Snapshots:
    """get_state/set_state and pickling of :class:`~s2r.sim.SimRobot` (a mixin: it uses the
    robot's stepper, loaded body and effect model)."""

    if TYPE_CHECKING:
        _stepper: Stepper
        _loaded: LoadedBody
        _fx: EffectModel
        actuators: list[Any]
        description: RobotDescription
        client: int
        _applier: PyBulletParams
        _command_filter: CommandFilter | None
        _measurement_filter: MeasurementFilter | None
        _shapes: bool

        def _other_joints(self) -> list[int]: ...

        def _put_joints(self, q: Sequence[float], qd: Sequence[float],
                        others: Sequence[tuple[float, float]]) -> None: ...

        def _error(self, what: str, err: Exception) -> RobotError: ...

        def get_params(self) -> dict[str, float]: ...

    def get_state(self) -> SimState:
        """A snapshot of everything but the parameters that decides the next steps.

        >>> from s2r.sim import SimRobot
        >>> robot = SimRobot("pendulum", params={"delay.action": 0.05})
        >>> _ = robot.reset(q=[0.5]); _ = robot.act([1.0])
        >>> state = robot.get_state()
        >>> a = [robot.act([0.0]) is not None and robot.observe().q[0] for _ in range(5)]
        >>> robot.set_state(state)
        >>> b = [robot.act([0.0]) is not None and robot.observe().q[0] for _ in range(5)]
        >>> a == b, state.pending[0][1]
        (True, (1.0,))
        >>> robot.close()
        """
        st, loaded = self._stepper, self._loaded
        try:
            states = pb.getJointStates(loaded.body, loaded.joint_ids, physicsClientId=self.client)
            others = pb.getJointStates(loaded.body, self._other_joints(),
                                       physicsClientId=self.client) if self._other_joints() else []
        except pb.error as err:
            raise self._error("get_state", err) from None
        q, qd = tuple(s[0] for s in states), tuple(s[1] for s in states)
        other = tuple((s[0], s[1]) for s in others)
        if not st.live:
            return SimState(st.t, q, qd, tuple(map(float, st.command)), (),
                            ((st.t, q, qd, tuple(st.sensors())),), st.t_tick, other)
        snap = self._fx.snapshot()
        delay = snap["actions"]["delay"]
        return SimState(
            st.t, q, qd, tuple(snap["actions"]["held"]),
            tuple((when + delay, tuple(u)) for when, u in snap["actions"]["changes"]),
            tuple((ts, tuple(v[:len(q)]), tuple(v[len(q):2 * len(q)]), tuple(v[2 * len(q):]))
                  for ts, v in snap["history"]["samples"]),
            st.t_tick, other,
            {k: snap[k] for k in ("actions", "limiter", "history", "sensing")}
            | {"applied": list(map(float, st.command)), "target": list(map(float, st.target)),
               "measured": [list(map(float, v)) for v in st.measured]})

    def set_state(self, state: SimState) -> None:
        """Restore a :meth:`get_state` snapshot (or a :func:`~s2r.sim.state.state_from_log` one).

        A snapshot restores the effects exactly. A state built from a log
        starts them from its command history: the commands still pending, the
        measurements an observation delay still returns (entries without
        sensor values get the sensor model's values at the state's command).
        """
        n, m = len(self._loaded.joint_ids), len(self.actuators)
        if len(state.q) != n or len(state.qd) != n:
            raise RobotError(f"set_state: q and qd need {n} values, got {len(state.q)} and "
                             f"{len(state.qd)}", where=self.description.name)
        if len(state.command) != m or any(len(u) != m for _, u in state.pending):
            raise RobotError(f"set_state: commands need {m} values", where=self.description.name)
        others = len(self._other_joints())
        if len(state.other_joints) not in (0, others):
            raise RobotError(f"set_state: other_joints needs {others} (q, qd) pairs, got "
                             f"{len(state.other_joints)}", where=self.description.name)
        st, fx = self._stepper, self._fx
        try:
            self._put_joints(state.q, state.qd, state.other_joints)
            saved = state.effects
            last_sent = state.pending[-1][1] if state.pending else state.command
            st.restart(state.t, last_sent if saved is None else saved["target"], sync=False)
            st.t_tick = state.t if state.t_tick is None else state.t_tick
            st.live = not fx.identity
            if saved is not None:
                st.command = list(saved["applied"])
                st.drive()
                fx.restore({"params": fx.get_params(), **saved})
                st.measured = tuple(tuple(v) for v in saved["measured"])  # type: ignore[assignment]
                return
            st.command = list(state.command)
            st.drive()
            delay = fx.get("delay.action")
            samples = []
            for t, q, qd, sensors in state.history or ((state.t, state.q, state.qd, ()),):
                st.qd = list(qd)  # what a logged entry's sensor values are computed from
                samples.append([t, [*q, *qd, *(sensors if sensors else st.sensors())]])
            st.read_state()
            fx.actions.restore({"delay": delay, "held": list(state.command),
                                "changes": [[due - delay, list(u)] for due, u in state.pending]})
            fx.history.restore({"delay": fx.get("delay.observation"), "samples": samples})
            fx.limiter.reset(state.t, last_sent)
            old = fx.history.at(state.t)
            fx.sensing.reset(old[:n], old[n:2 * n])
            st.measured = fx.measure(state.t, st.rng)
        except pb.error as err:
            raise self._error("set_state", err) from None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as (description, parameter values, state): the copy gets its own client."""
        if self.client < 0:
            raise RobotError("cannot pickle a closed robot", where=self.description.name)
        if (self._stepper.hooks or self._command_filter or self._measurement_filter
                or self._stepper.transform is not None):
            raise RobotError("cannot pickle a robot with sub-step hooks or filters (or carried "
                             "channels) installed "
                             "(they belong to the environment wrapping it): pickle the bare "
                             "robot", where=self.description.name)
        values = {n: v for n, v in self.get_params().items()
                  if not kind_of(n).startswith("link.*.inertia_")}
        gyration = {link: list(g) for link, g in self._applier.gyration.items()}
        rng = self._stepper.rng.bit_generator.state
        explicit = "explicit" if self._stepper.explicit else "auto"
        return (_rebuild, (self.description, values, gyration, self.get_state(), rng, explicit,
                           self._shapes))


def _rebuild(description: RobotDescription, values: dict[str, float],
             gyration: dict[str, list[float]], state: SimState, rng: dict[str, Any],
             substeps: str, shapes: bool = False) -> Any:
    """Unpickle a SimRobot: a new client, the same parameters (radii of gyration), state
    and noise generator."""
    from s2r.sim.sim_robot import SimRobot

    robot = SimRobot(description, substeps=substeps)
    robot._shapes = shapes  # before a centre of mass is set: its reload keeps them
    robot._applier.gyration.update(gyration)
    robot.set_params(values)  # masses re-send the inertia from the radii of gyration
    robot.set_state(state)
    robot._stepper.rng.bit_generator.state = rng
    return robot
