"""Randomizers of the robot's looks: link colours and procedural textures.

They change the simulation (``changeVisualShape``), so they work with any s2r
task, with or without a camera. List ``texture`` before ``link_color`` to tint
the textures, and after any randomizer that reloads the URDF.

>>> from randomizers.wrapper import RandomizedEnv
>>> from s2r.tasks import CartpoleBalance
>>> env = RandomizedEnv(CartpoleBalance(), [TextureRandomizer(links=["cart"], kinds=["checker"]),
...                                         LinkColorRandomizer(links="pole", shared=True)], seed=1)
>>> obs, info = env.reset(seed=0)
>>> info["randomization"]["texture"]["textures"]["cart"]["kind"]
'checker'
>>> env.close()
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pybullet as pb

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.distributions import Distribution
from randomizers.registry import register
from randomizers.visual.base import VisualRandomizer
from randomizers.visual.procedural import KINDS, TextureCache
from s2r.sim.sim_robot import SimRobot


class LinkRandomizer(VisualRandomizer):
    """Base of randomizers acting on the robot's links (by URDF link name)."""

    def __init__(self, links: str | Sequence[str] | None, mode: str, interval: Any,
                 name: str | None) -> None:
        super().__init__(mode, interval, name)
        self.links = [links] if isinstance(links, str) else (list(links) if links else None)
        self.nominal: dict[str, list[float]] = {}

    def bind(self, ctx: RandomizationContext) -> None:
        robot = ctx.require_robot(self.name)
        robot.need_shapes()  # colours need the visual shapes, after any reload too
        c, body = robot.client, robot.body
        names = {pb.getBodyInfo(body, physicsClientId=c)[0].decode(): -1}
        for j in range(pb.getNumJoints(body, physicsClientId=c)):
            names[pb.getJointInfo(body, j, physicsClientId=c)[12].decode()] = j
        colors = {v[1]: list(v[7]) for v in pb.getVisualShapeData(body, physicsClientId=c)}
        unknown = [n for n in self.links or [] if n not in names]
        if unknown:
            raise RandomizationError(f"{self.name}: no link named '{unknown[0]}' "
                                     f"(links: {', '.join(names)})")
        plain = [n for n in self.links or [] if names[n] not in colors]
        if plain:
            raise RandomizationError(f"{self.name}: link '{plain[0]}' has no visual shape")
        self.nominal = {n: colors[names[n]] for n in self.links or names if names[n] in colors}

    def change(self, robot: SimRobot, link: str, **kwargs: Any) -> None:
        pb.changeVisualShape(robot.body, robot.link_index(link), physicsClientId=robot.client,
                             **kwargs)

    def close(self, ctx: RandomizationContext) -> None:
        if ctx.robot is not None and ctx.robot.client >= 0:
            for link, rgba in self.nominal.items():
                self.change(ctx.robot, link, rgbaColor=rgba, textureUniqueId=-1)


@register("link_color")
class LinkColorRandomizer(LinkRandomizer):
    """Link colours drawn in HSV (``hue`` wraps around) or RGB; every range within [0, 1].

    Args:
        links: link names (default: every link with a visual shape).
        space: ``hsv`` (``hue``, ``saturation``, ``value``; default ranges [0, 1],
            [0.2, 1], [0.2, 1]) or ``rgb`` (``red``, ``green``, ``blue``; default [0, 1]).
        shared: one colour for all the links (else one each).
    """

    def __init__(self, links: str | Sequence[str] | None = None, space: str = "hsv",
                 hue: Any = None, saturation: Any = None, value: Any = None,
                 red: Any = None, green: Any = None, blue: Any = None, shared: bool = False,
                 mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(links, mode, interval, name)
        rgb, hsv = (red, green, blue), (hue, saturation, value)
        if space not in ("hsv", "rgb"):
            raise RandomizationError(f"{self.name}: space: unknown '{space}' (known: hsv, rgb)")
        if any(v is not None for v in (rgb if space == "hsv" else hsv)):
            raise RandomizationError(f"{self.name}: hue/saturation/value go with space: hsv, "
                                     "red/green/blue with space: rgb")
        self.space = space
        keys = ("hue", "saturation", "value") if space == "hsv" else ("red", "green", "blue")
        given = hsv if space == "hsv" else rgb
        defaults = ((0.0, 1.0), (0.2, 1.0), (0.2, 1.0)) if space == "hsv" else ((0.0, 1.0),) * 3
        self.channels: list[Distribution] = [
            self.dist(d if s is None else s, k, *((-math.inf, math.inf) if k == "hue" else (0, 1)))
            for s, d, k in zip(given, defaults, keys)]
        self.shared = shared

    def _color(self, rng: np.random.Generator) -> list[float]:
        a, b, c = (self.draw(d, rng) for d in self.channels)
        return list(colorsys.hsv_to_rgb(a % 1.0, b, c) if self.space == "hsv" else (a, b, c))

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        one = self._color(rng) if self.shared else None
        return {"colors": {link: [*(one or self._color(rng)), rgba[3]]
                           for link, rgba in self.nominal.items()}}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        robot = ctx.require_robot(self.name)
        for link, rgba in record["colors"].items():
            self.change(robot, link, rgbaColor=list(rgba))


@register("texture")
class TextureRandomizer(LinkRandomizer):
    """Procedural textures on links; textures are made at run time and loaded once each.

    Args:
        links: link names (default: every link with a visual shape).
        kinds: among ``checker``, ``stripes``, ``noise``, ``solid``.
        pool: distinct textures per kind (PyBullet cannot unload textures).
        probability: chance that a link gets a texture (else its plain colour).
        resolution: texture side in pixels.
        white: make a textured link white, so the texture shows its own colours (and
            give it back its nominal colour when it gets no texture). ``link_color``
            listed after ``texture`` tints the textures; listed before, it colours only
            the links left without a texture.
    """

    def __init__(self, links: str | Sequence[str] | None = None,
                 kinds: Sequence[str] = ("checker", "stripes", "noise"), pool: int = 16,
                 probability: float = 1.0, resolution: int = 64, white: bool = True,
                 mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(links, mode, interval, name)
        self.kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        bad = [k for k in self.kinds if k not in KINDS]
        if bad or not self.kinds:
            raise RandomizationError(f"{self.name}: kinds: unknown {bad or '[]'} "
                                     f"(known: {', '.join(KINDS)})")
        if pool < 1 or resolution < 2 or not 0.0 <= probability <= 1.0:
            raise RandomizationError(f"{self.name}: need pool >= 1, resolution >= 2 and "
                                     f"0 <= probability <= 1, got {pool}, {resolution}, "
                                     f"{probability}")
        self.pool, self.probability, self.white = pool, probability, white
        self.cache = TextureCache(resolution)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        textures: dict[str, Any] = {}
        for link in self.nominal:
            kind = self.kinds[int(rng.integers(len(self.kinds)))]
            seed = int(rng.integers(self.pool))
            textures[link] = {"kind": kind, "seed": seed} if rng.random() < self.probability \
                else None
        return {"textures": textures}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        robot = ctx.require_robot(self.name)
        for link, tex in record["textures"].items():
            rgba = self.nominal.get(link, [1.0, 1.0, 1.0, 1.0])
            if tex is None:
                self.change(robot, link, textureUniqueId=-1)
                if self.white and self._color_of(robot, link) == [1.0, 1.0, 1.0, rgba[3]]:
                    self.change(robot, link, rgbaColor=rgba)  # our white, not link_color's
                continue
            tid = self.cache.get(robot.client, tex["kind"], tex["seed"])
            self.change(robot, link, textureUniqueId=tid,
                        **({"rgbaColor": [1.0, 1.0, 1.0, rgba[3]]} if self.white else {}))

    @staticmethod
    def _color_of(robot: SimRobot, link: str) -> list[float]:
        index = robot.link_index(link)
        shapes = pb.getVisualShapeData(robot.body, physicsClientId=robot.client)
        return next(list(v[7]) for v in shapes if v[1] == index)

    def close(self, ctx: RandomizationContext) -> None:
        super().close(ctx)
        self.cache.close()
