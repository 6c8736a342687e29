"""Lost measurements: ``observation_dropout`` delivers the previous value again.

A dropped measurement is the one delivered before it (a sensor or a packet
that did not update). The per-step draws come in blocks from the episode's
stream (:class:`~randomizers.fastpath.StepDraws`), so a replay drops exactly
the same steps. ``scale`` (curricula, 0..1) shrinks the dropout probability
towards zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.distributions import make_distribution
from randomizers.fastpath import Fused, StepDraws, targets
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
        self._prev = np.zeros(self.size)
        self._keep = np.ones(self.size, dtype=bool)
        self._prev_list = [0.0] * self.size  # the fast path's last delivered values
        # one uniform draw per step (per element unless together), in blocks
        self.draws = StepDraws(1 if self.together else self.size, "random")

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"p": self.distribution.sample(rng) * self.scale}

    def load(self, record: Mapping[str, Any]) -> None:
        self.p = float(record["p"])

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        fresh = values[self.idx]
        if self._fresh:  # the first measurement of an episode always arrives
            self._prev[:] = fresh
            self._fresh = False
            return values
        draws = self.draws.row(rng)
        if self.together:
            if draws[0] >= self.p:
                self._prev[:] = fresh
        else:
            np.greater_equal(draws, self.p, out=self._keep)
            np.copyto(self._prev, fresh, where=self._keep)
        values[self.idx] = self._prev
        return values

    def fuse_observation(self, ctx: RandomizationContext, rng: np.random.Generator,
                         x: Sequence[str]) -> Fused | None:
        if not self.listable:
            return None
        sel = targets(x, self.pos)
        names = {"self": self, "prev": self._prev_list, "row": self.draws.row_list,
                 "rng": rng, "p": self.p}
        lines = ["if $self._fresh:",  # the first measurement of an episode always arrives
                 f"    $prev[:] = ({sel})", "    $self._fresh = False"]
        if self.together:
            lines += ["elif $row($rng)[0] >= $p:", f"    $prev[:] = ({sel})",
                      "else:", f"    {sel} = $prev"]
        else:
            lines += ["else:", "    $r = $row($rng)"]
            for j, i in enumerate(self.pos):
                lines += [f"    if $r[{j}] >= $p:", f"        $prev[{j}] = {x[i]}",
                          "    else:", f"        {x[i]} = $prev[{j}]"]
        return Fused(lines, names, self.pos)
