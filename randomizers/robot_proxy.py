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
    """Forwards everything to ``robot``; transforms ``act`` inputs and ``observe`` outputs."""

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

    def __getattr__(self, name: str) -> Any:  # get/set/params/... of the SimRobot
        return getattr(self.robot, name)

    def reset(self, q: Any = None, qd: Any = None) -> Observation:
        self.robot.reset(q, qd)
        return self.observe()

    def act(self, action: Any) -> np.ndarray:
        command = self.spec.clip_action(np.asarray(action, dtype=np.float64))
        u = command
        rng = self._rng()
        for r in self._actors:
            u = r.action(u, self._ctx, rng)
        self.robot.act(u)
        return command

    def observe(self) -> Observation:
        obs = self.robot.observe()
        if not self._sensors:
            return obs
        values = np.concatenate((obs.q, obs.qd, obs.sensors))
        rng = self._rng()
        for r in self._sensors:
            values = r.observation(values, self._ctx, rng)
        return Observation(obs.t, values[self._q], values[self._qd], values[self._s], obs.status)

    def close(self) -> None:
        self.robot.close()
