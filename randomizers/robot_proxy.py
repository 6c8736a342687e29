"""RandomizedRobot: a Robot in front of a SimRobot that perturbs commands and measurements.

The task talks to this proxy as to any robot; actuation randomizers change the
command on its way to the actuators and sensing randomizers change what the
task measures. The controller's command (clipped to the actuator limits) is
what ``act`` returns, as on hardware, where the actuators' imperfections are
invisible to the host.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, Randomizer
from s2r.robot import Observation, Robot


class RandomizedRobot:
    """Forwards everything to ``robot``; transforms ``act`` inputs and ``observe`` outputs.

    The per-step path is kept lean (a bare SimRobot step is ~40 us): the
    command is clipped with Python floats (small-array NumPy calls cost ~1 us
    each), and without actuation transforms ``act`` is the robot's own.

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
                 ctx: RandomizationContext, rng: Callable[[], np.random.Generator]) -> None:
        self.robot = robot
        self.spec = robot.spec
        self._actors = list(actors)
        self._sensors = list(sensors)
        self._ctx = ctx
        self._rng = rng
        layout = ctx.layout
        self._q, self._qd, self._s = layout.q, layout.qd, layout.sensors
        low, high = self.spec.action_low, self.spec.action_high
        zero = self.spec.clip_action(np.zeros(self.spec.n_actions))  # what NaN becomes
        self._limits = list(zip(low.tolist(), high.tolist(), zero.tolist()))
        if not self._actors:
            self.act = robot.act  # type: ignore[method-assign]  # clips and returns the same

    def __getattr__(self, name: str) -> Any:  # get/set/params/... of the SimRobot
        return getattr(self.robot, name)

    def reset(self, q: Any = None, qd: Any = None) -> Observation:
        self.robot.reset(q, qd)
        return self.observe()

    def _clip(self, action: Any) -> np.ndarray:
        """``spec.clip_action`` (NaN -> its clipped 0), with Python floats for speed."""
        values = np.asarray(action, dtype=np.float64).reshape(len(self._limits)).tolist()
        return np.array([lo if x < lo else hi if x > hi else x if x == x else z
                         for x, (lo, hi, z) in zip(values, self._limits)])

    def act(self, action: Any) -> np.ndarray:
        command = self._clip(action)
        u = command
        rng, ctx = self._rng(), self._ctx
        for r in self._actors:
            u = r.action(u, ctx, rng)
        self.robot.act(u)
        return command

    def observe(self) -> Observation:
        obs = self.robot.observe()
        if not self._sensors:
            return obs
        values = np.concatenate((obs.q, obs.qd, obs.sensors))
        rng, ctx = self._rng(), self._ctx
        for r in self._sensors:
            values = r.observation(values, ctx, rng)
        return Observation(obs.t, values[self._q], values[self._qd], values[self._s], obs.status)

    def close(self) -> None:
        self.robot.close()
