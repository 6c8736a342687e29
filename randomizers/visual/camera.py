"""Randomizers of the camera and its image: light, pose, field of view, background, noise.

They need a camera task (:class:`~s2r.tasks.camera.PixelTask`) and find its
:class:`~s2r.tasks.camera.Camera` through the env when bound; values are set
from the camera's nominal settings, so nothing compounds.

>>> from randomizers.wrapper import RandomizedEnv
>>> from s2r.tasks.camera import PixelTask
>>> env = RandomizedEnv(PixelTask("pendulum_swingup", size=16),
...                     [CameraFovRandomizer(fov=[0.8, 1.2])], seed=0)
>>> image, info = env.reset(seed=0)
>>> 0.8 <= info["randomization"]["camera_fov"]["fov"] <= 1.2
True
>>> env.close()
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.registry import register
from randomizers.visual.base import VisualRandomizer, find_camera
from randomizers.visual.procedural import KINDS, procedural_image


@register("light")
class LightRandomizer(VisualRandomizer):
    """The renderer's light: direction (``azimuth`` and ``elevation`` in degrees, towards
    the light; ``None`` for both keeps the nominal one) and, if given, colour (one range,
    drawn per channel) and the ``ambient``, ``diffuse`` and ``specular`` coefficients
    (colour and coefficients within [0, 2])."""

    def __init__(self, azimuth: Any = (0.0, 360.0), elevation: Any = (20.0, 90.0),
                 color: Any = None, ambient: Any = None, diffuse: Any = None,
                 specular: Any = None, mode: str = "reset", interval: Any = None,
                 name: str | None = None) -> None:
        super().__init__(mode, interval, name)
        if (azimuth is None) != (elevation is None):
            raise RandomizationError(f"{self.name}: give both azimuth and elevation, or neither")
        spec = {"azimuth": azimuth, "elevation": elevation, "color": color, "ambient": ambient,
                "diffuse": diffuse, "specular": specular}
        bounds = {"elevation": (-90.0, 90.0), "azimuth": (-math.inf, math.inf)}
        self.dists = {k: self.dist(v, k, *bounds.get(k, (0.0, 2.0)))
                      for k, v in spec.items() if v is not None}
        if not self.dists:
            raise RandomizationError(f"{self.name}: nothing to randomize")

    def bind(self, ctx: RandomizationContext) -> None:
        self.camera(ctx)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        d = self.dists
        out: dict[str, Any] = {}
        if "azimuth" in d:
            az, el = (math.radians(self.draw(d[k], rng)) for k in ("azimuth", "elevation"))
            out["direction"] = [math.cos(el) * math.cos(az), math.cos(el) * math.sin(az),
                                math.sin(el)]
        if "color" in d:
            out["color"] = [self.draw(d["color"], rng) for _ in range(3)]
        for key in ("ambient", "diffuse", "specular"):
            if key in d:
                out[key] = self.draw(d[key], rng)
        return out

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        lighting = self.camera(ctx).settings.lighting
        for key, value in record.items():
            setattr(lighting, key, tuple(value) if isinstance(value, list) else value)

    def close(self, ctx: RandomizationContext) -> None:
        camera = find_camera(ctx.env)
        if camera is not None:
            camera.settings.lighting = camera.nominal.copy().lighting


@register("camera_pose")
class CameraPoseRandomizer(VisualRandomizer):
    """Camera pose around the nominal one: ``target`` offset in metres (one range for
    every axis, or a list of three), ``distance`` factor, ``yaw`` and ``pitch`` offsets
    in degrees (``None`` leaves one as it is). The record holds offsets and factor."""

    def __init__(self, target: Any = None, distance: Any = (0.9, 1.1), yaw: Any = (-10.0, 10.0),
                 pitch: Any = (-5.0, 5.0), mode: str = "reset", interval: Any = None,
                 name: str | None = None) -> None:
        super().__init__(mode, interval, name)
        axes = target if isinstance(target, Sequence) and len(target) == 3 else [target] * 3
        self.target = None if target is None else [self.dist(t, "target") for t in axes]
        self.dists = {k: self.dist(v, k, 1e-3 if k == "distance" else -math.inf)
                      for k, v in (("distance", distance), ("yaw", yaw), ("pitch", pitch))
                      if v is not None}

    def bind(self, ctx: RandomizationContext) -> None:
        nominal = self.camera(ctx).nominal.pose.pitch
        lo, hi = self.dists["pitch"].support() if "pitch" in self.dists else (0.0, 0.0)
        if not -89.0 <= nominal + lo <= nominal + hi <= 89.0:
            raise RandomizationError(f"{self.name}: pitch: nominal {nominal:g} deg plus "
                                     f"[{lo:g}, {hi:g}] leaves [-89, 89] deg")

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        out: dict[str, Any] = {k: self.draw(d, rng) for k, d in self.dists.items()}
        if self.target is not None:
            out["target"] = [self.draw(d, rng) for d in self.target]
        return out

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        camera = self.camera(ctx)
        pose, nominal = camera.settings.pose, camera.nominal.pose
        if "target" in record:
            pose.target = tuple(a + b for a, b in zip(nominal.target, record["target"]))  # type: ignore[assignment]
        if "distance" in record:
            pose.distance = nominal.distance * record["distance"]
        for key in ("yaw", "pitch"):
            if key in record:
                setattr(pose, key, getattr(nominal, key) + record[key])

    def close(self, ctx: RandomizationContext) -> None:
        camera = find_camera(ctx.env)
        if camera is not None:
            fov = camera.settings.pose.fov  # the field of view is camera_fov's
            camera.settings.pose = camera.nominal.copy().pose
            camera.settings.pose.fov = fov


@register("camera_fov")
class CameraFovRandomizer(VisualRandomizer):
    """Field of view as a factor of the nominal one (kept within 1-170 degrees)."""

    def __init__(self, fov: Any = (0.9, 1.1), mode: str = "reset", interval: Any = None,
                 name: str | None = None) -> None:
        super().__init__(mode, interval, name)
        self.fov = self.dist(fov, "fov", 1e-3)

    def bind(self, ctx: RandomizationContext) -> None:
        nominal = self.camera(ctx).nominal.pose.fov
        lo, hi = self.fov.support()
        if not 1.0 <= nominal * lo <= nominal * hi <= 170.0:
            raise RandomizationError(f"{self.name}: fov: {nominal:g} deg times [{lo:g}, {hi:g}] "
                                     "leaves [1, 170] deg")

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"fov": self.draw(self.fov, rng)}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        camera = self.camera(ctx)
        camera.settings.pose.fov = camera.nominal.pose.fov * record["fov"]

    def close(self, ctx: RandomizationContext) -> None:
        camera = find_camera(ctx.env)
        if camera is not None:
            camera.settings.pose.fov = camera.nominal.pose.fov


@register("background")
class BackgroundRandomizer(VisualRandomizer):
    """A procedural image (``kinds`` among solid, checker, stripes, noise) wherever no
    object is drawn, instead of the renderer's white; with ``probability`` (else white)."""

    def __init__(self, kinds: Sequence[str] = ("solid", "checker", "stripes", "noise"),
                 probability: float = 1.0, mode: str = "reset", interval: Any = None,
                 name: str | None = None) -> None:
        super().__init__(mode, interval, name)
        self.kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        bad = [k for k in self.kinds if k not in KINDS]
        if bad or not self.kinds or not 0.0 <= probability <= 1.0:
            raise RandomizationError(f"{self.name}: need kinds among {', '.join(KINDS)} and "
                                     f"0 <= probability <= 1, got {self.kinds}, {probability}")
        self.probability = probability

    def bind(self, ctx: RandomizationContext) -> None:
        self.camera(ctx)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        kind = self.kinds[int(rng.integers(len(self.kinds)))]
        seed = int(rng.integers(2**31))
        return {"kind": kind, "seed": seed} if rng.random() < self.probability else {"kind": None}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        camera = self.camera(ctx)
        kind = record["kind"]
        camera.settings.background = None if kind is None else procedural_image(
            kind, record["seed"], camera.height, camera.width)

    def close(self, ctx: RandomizationContext) -> None:
        camera = find_camera(ctx.env)
        if camera is not None:
            camera.settings.background = camera.nominal.background


@register("image_noise")
class ImageNoiseRandomizer(VisualRandomizer):
    """Gaussian pixel noise, new in every image: ``std`` in 0-255 units, a number or a
    range drawn per episode. The noise stream is seeded from the episode's record, so
    a replayed episode sees the same noise."""

    def __init__(self, std: Any = 4.0, mode: str = "reset", interval: Any = None,
                 name: str | None = None) -> None:
        super().__init__(mode, interval, name)
        self.std = self.dist(std, "std", 0.0)
        self._sigma = 0.0
        self._rng: np.random.Generator | None = None

    def bind(self, ctx: RandomizationContext) -> None:
        camera = self.camera(ctx)
        if self._filter not in camera.filters:
            camera.filters.append(self._filter)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"std": self.draw(self.std, rng), "seed": int(rng.integers(2**63))}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        self._sigma = float(record["std"])
        self._rng = np.random.default_rng(int(record["seed"]))

    def _filter(self, image: np.ndarray) -> np.ndarray:
        if self._rng is None or self._sigma <= 0.0:
            return image
        noisy = self._rng.standard_normal(image.shape, dtype=np.float32)
        noisy *= self._sigma
        noisy += image
        noisy += 0.5  # rounds to nearest with the truncation below
        return np.clip(noisy, 0.0, 255.0, out=noisy).astype(np.uint8)

    def close(self, ctx: RandomizationContext) -> None:
        camera = find_camera(ctx.env)
        if camera is not None and self._filter in camera.filters:
            camera.filters.remove(self._filter)
