"""Lost measurements: ``observation_dropout`` delivers the previous value again.

A dropped measurement is the one delivered before it (a sensor or a packet
that did not update). The per-step draws come in blocks from the episode's
stream (:class:`~randomizers.pipeline.StepDraws`), so a replay drops exactly
the same steps. ``scale`` (curricula, 0..1) shrinks the dropout probability
towards zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.distributions import make_distribution
from randomizers.pipeline import StepDraws
from randomizers.registry import register
from randomizers.transforms import SensorRandomizer


@register("observation_dropout")
class ObservationDropout(SensorRandomizer):
    """Lost measurements: with probability ``p`` the previous value is delivered again.

    Args:
        probability: ``p`` in [0, 1]: a number, or a distribution drawn per episode.
        together: drop all selected elements together (one lost packet) instead
            of each independently.

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [ObservationDropout(0.1, together=True)])
    >>> obs, _ = env.reset(seed=0)     # then 10 % of the steps repeat the previous obs
    """

    stateful = True

    def __init__(self, probability: Any = 0.05, together: bool = False, channel: str = "all",
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(channel, indices, mode=mode, interval=interval, name=name)
        self.distribution = make_distribution(probability)
        lo, hi = self.distribution.support()
        if not 0.0 <= lo <= hi <= 1.0:
            raise RandomizationError(f"{self.name}: probability could reach [{lo}, {hi}], "
                                     "outside [0, 1]")
        self.together = together
        self.p = 0.0

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self._prev = [0.0] * self.size  # the last delivered values
        # one uniform draw per step (per element unless together), in blocks
        self.draws = StepDraws(1 if self.together else self.size, "random")

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"p": self.distribution.sample(rng) * self.scale}

    def load(self, record: Mapping[str, Any]) -> None:
        self.p = float(record["p"])

    def observation_values(self, values: list[float], ctx: RandomizationContext,
                           rng: np.random.Generator) -> list[float]:
        prev, pos = self._prev, self.pos
        if self._fresh:  # the first measurement of an episode always arrives
            prev[:] = [values[i] for i in pos]
            self._fresh = False
            return values
        draws, p = self.draws.row(rng), self.p
        if self.together:
            if draws[0] >= p:
                prev[:] = [values[i] for i in pos]
            else:
                for j, i in enumerate(pos):
                    values[i] = prev[j]
            return values
        for j, i in enumerate(pos):
            if draws[j] >= p:
                prev[j] = values[i]
            else:
                values[i] = prev[j]
        return values
