"""VisualRandomizer: checked distributions, a curriculum scale, and the camera lookup."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError, Randomizer
from randomizers.distributions import Distribution, make_distribution
from s2r.errors import ConfigError
from s2r.tasks.camera import Camera, find_camera

__all__ = ["VisualRandomizer", "find_camera"]


class VisualRandomizer(Randomizer):
    """Base of the visual randomizers: checked distributions, a curriculum ``scale``
    (1 = the configured ranges, 0 = their centres) and the camera lookup."""

    def __init__(self, mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(mode=mode, interval=interval, name=name)
        self.scale = 1.0

    def dist(self, spec: Any, what: str, low: float = -math.inf,
             high: float = math.inf) -> Distribution:
        """A distribution from config whose values all stay in [low, high]."""
        try:
            d = make_distribution(spec)
        except ConfigError as err:
            raise RandomizationError(f"{self.name}: {what}: {err.message}") from None
        lo, hi = d.support()
        if lo < low or hi > high:
            raise RandomizationError(f"{self.name}: {what}: values could reach [{lo:g}, {hi:g}], "
                                     f"outside [{low:g}, {high:g}]")
        return d

    def draw(self, d: Distribution, rng: np.random.Generator) -> float:
        return (d if self.scale == 1.0 else d.widened(self.scale)).sample(rng)

    def camera(self, ctx: RandomizationContext) -> Camera:
        camera = find_camera(ctx.env)
        if camera is None:
            raise RandomizationError(f"{self.name}: needs a camera task, e.g. PixelTask(task) "
                                     "or gym.make('s2r/<Task>Pixels-v0')")
        return camera
