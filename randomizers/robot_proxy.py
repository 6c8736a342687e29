"""RandomizedRobot: a Robot in front of a SimRobot that perturbs commands and measurements.

The task talks to this proxy as to any robot; actuation randomizers change the
command on its way to the actuators and sensing randomizers change what the
task measures. The controller's command (clipped to the actuator limits) is
what ``act`` returns, as on hardware, where the actuators' imperfections are
invisible to the host.

The per-step path is kept lean (a bare SimRobot step is ~40 us, a NumPy call
on a few values ~1 us): :meth:`compile` builds each side's
:class:`~randomizers.pipeline.Pipeline` for this episode (the active transforms,
on Python floats). With ``fast`` (the default) on a robot with ``set_filters``
(SimRobot) they run inside the robot's own step and ``act``, ``observe`` and
``reset`` are the robot's (RandomizedEnv then lets the task talk to the robot
itself), so the proxy costs nothing per step; otherwise the proxy runs them
around the robot's ``act`` and ``observe`` (the same transforms, the same bits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, Randomizer
from randomizers.pipeline import Pipeline
from s2r.robot import Observation, Robot


class RandomizedRobot:
    """Forwards everything to ``robot``; transforms ``act`` inputs and ``observe`` outputs.

    Args:
        robot: the robot to wrap.
        actors: randomizers that transform commands.
        sensors: randomizers that transform measurements.
        ctx: their context.
        rng: returns the episode's step generator.
        fast: run the transforms inside the robot's step where it can (see the module
            docstring); ``False``: around it, in the proxy.

    >>> import numpy as np
    >>> from s2r.sim import SimRobot
    >>> from randomizers.base import Layout, RandomizationContext
    >>> sim = SimRobot("pendulum")
    >>> ctx = RandomizationContext(None, sim, sim, 0.02, Layout(slice(0, 1), slice(1, 2),
    ...                            slice(2, 2), 2), 1)
    >>> proxy = RandomizedRobot(sim, [], [], ctx, lambda: np.random.default_rng(0))
    >>> proxy.act([float("nan")]), proxy.act([9.0])   # as SimRobot: NaN -> 0, clipped
    (array([0.]), array([2.]))
    >>> sim.close()
    """

    def __init__(self, robot: Robot, actors: Sequence[Randomizer], sensors: Sequence[Randomizer],
                 ctx: RandomizationContext, rng: Callable[[], np.random.Generator],
                 fast: bool = True) -> None:
        self.robot = robot
        self.spec = robot.spec
        self.fast = fast
        self._actors = list(actors)
        self._sensors = list(sensors)
        self._ctx = ctx
        self._rng = rng
        layout = ctx.layout
        self._q, self._qd, self._s = layout.q, layout.qd, layout.sensors
        low, high = self.spec.action_low, self.spec.action_high
        zero = self.spec.clip_action(np.zeros(self.spec.n_actions))  # what NaN becomes
        self._limits = list(zip(low.tolist(), high.tolist(), zero.tolist()))
        self._zero_inside = all(lo <= 0.0 <= hi for lo, hi, _ in self._limits)
        self.in_robot = fast and callable(getattr(robot, "set_filters", None))
        nq, ns = layout.q.stop - layout.q.start, layout.sensors.stop - layout.sensors.start
        self._sizes = (nq, nq, ns)
        self._act_fn: Callable[..., Any] | None = None
        self._obs_fn: Callable[..., Any] | None = None
        self._compiled = False  # compiled at the first reset (after the first sampling)

    def __getattr__(self, name: str) -> Any:  # get/set/params/... of the SimRobot
        return getattr(self.robot, name)

    def compile(self) -> None:
        """Build this episode's pipelines (RandomizedEnv calls it after every sampling)."""
        rng, ctx = self._rng(), self._ctx
        self._compiled = True
        act = Pipeline(self._actors, "action", ctx, rng)
        obs = Pipeline(self._sensors, "observation", ctx, rng)
        self._act_fn = None if act.empty else act
        self._obs_fn = None if obs.empty else obs.measurement(self._sizes[:2])
        if self.in_robot:  # the robot runs them in its own step
            clip = not (act.keeps_limits and self._zero_inside)
            self.robot.set_filters(None if act.empty else act.command(),  # type: ignore[attr-defined]
                                   self._obs_fn, clip=clip)
            self.act = self.robot.act  # type: ignore[method-assign]
            self.observe = self.robot.observe  # type: ignore[method-assign]
            self.reset = self.robot.reset  # type: ignore[method-assign]
            return
        self.act = self._act_lists if self._act_fn else self.robot.act  # type: ignore[method-assign]

    def detach(self) -> None:
        """Take the transforms out of the robot (when the wrapper closes)."""
        if self.in_robot and getattr(self.robot, "client", 0) >= 0:
            self.robot.set_filters(None, None)  # type: ignore[attr-defined]

    def reset(self, q: Any = None, qd: Any = None) -> Observation:
        if not self._compiled:
            self.compile()
            return self.reset(q, qd)
        self.robot.reset(q, qd)
        return self.observe()

    def _clip(self, action: Any) -> list[float]:
        """``spec.clip_action`` (NaN -> its clipped 0), with Python floats for speed."""
        values = np.asarray(action, dtype=np.float64).reshape(len(self._limits)).tolist()
        return [lo if x < lo else hi if x > hi else x if x == x else z
                for x, (lo, hi, z) in zip(values, self._limits)]

    def act(self, action: Any) -> np.ndarray:  # replaced by compile()
        self.compile()
        return self.act(action)

    def _act_lists(self, action: Any) -> np.ndarray:
        command = self._clip(action)
        self.robot.act(np.array(self._act_fn(command)))  # type: ignore[misc]
        return np.array(command)

    def observe(self) -> Observation:
        if not self._compiled:
            self.compile()
            return self.observe()
        obs = self.robot.observe()
        if self._obs_fn is None:
            return obs
        q, qd, s = self._obs_fn(obs.q.tolist(), obs.qd.tolist(), obs.sensors.tolist())
        return Observation(obs.t, np.array(q), np.array(qd), np.array(s, dtype=np.float64),
                           obs.status)

    def close(self) -> None:
        self.robot.close()

