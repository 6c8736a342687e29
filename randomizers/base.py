"""The Randomizer base class and the context its hooks see.

A randomizer perturbs physics or sensing through lifecycle hooks that
:class:`~randomizers.wrapper.RandomizedEnv` calls (modelled on Isaac Lab's
event terms and pybullet_envs' minitaur randomizers):

===================================  ====================================================
hook                                 when
===================================  ====================================================
``bind(ctx)``                        once, before any simulation: validate names/ranges
``sample(ctx, rng)``                 draw this episode's values (mode ``startup``, ``reset``
                                     or ``interval``); returns a JSON-able record
``apply(ctx, record)``               put a record into effect (also used to replay one)
``on_step(ctx, rng)``                after every control step
``on_substep(robot)``                before every physics sub-step (SimRobot only)
``active(ctx)``                      at every reset: whether the transforms do anything
                                     this episode (inactive ones are skipped)
``action_values(u, ctx, rng)``       every step: transform the command (a list of
                                     floats) on its way to the actuators
``observation_values(y, ctx, rng)``  every step: transform a measurement (a list
                                     of floats) on its way to the policy
===================================  ====================================================

The per-step hooks work on Python float lists (:mod:`randomizers.pipeline`:
a NumPy call costs more than the arithmetic on a few values). A randomizer
may define the NumPy forms ``action(u, ctx, rng)`` / ``observation(y, ctx,
rng)`` on arrays instead; each form defaults to the other.

``sample`` and ``apply`` are separate so that everything sampled for an
episode is a record in ``info["randomization"]`` and the episode can be
replayed with exactly the same values. Per-step randomness comes from the
``rng`` the hooks are given (the episode's stream), so a replay repeats it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from s2r.errors import ConfigError

if TYPE_CHECKING:
    import gymnasium as gym

    from randomizers.target import ParameterTarget
    from s2r.sim import SimRobot

MODES = ("startup", "reset", "interval")


class RandomizationError(ConfigError):
    """A randomizer config is invalid (unknown type/parameter, bad range, unsafe values)."""


@dataclass
class Interval:
    """When an ``interval`` randomizer fires: every ``steps`` control steps or every
    ``seconds`` (a number, or ``[lo, hi]`` for a random period drawn each time)."""

    steps: int | None = None
    seconds: float | tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.seconds is None):
            raise RandomizationError("interval: give exactly one of steps or seconds")
        if self.steps is not None and self.steps <= 0:
            raise RandomizationError(f"interval.steps: must be > 0, got {self.steps}")
        if isinstance(self.seconds, (list, tuple)):
            lo, hi = self.seconds
            if not 0 < lo <= hi:
                raise RandomizationError(f"interval.seconds: need 0 < lo <= hi, got {[lo, hi]}")
            self.seconds = (float(lo), float(hi))
        elif self.seconds is not None and self.seconds <= 0:
            raise RandomizationError(f"interval.seconds: must be > 0, got {self.seconds}")

    def next_period(self, control_period: float, rng: np.random.Generator) -> int:
        """Control steps until the next firing."""
        if self.steps is not None:
            return self.steps
        seconds = self.seconds
        if isinstance(seconds, tuple):
            seconds = float(rng.uniform(*seconds))
        return max(1, round(float(seconds) / control_period))  # type: ignore[arg-type]

    @classmethod
    def parse(cls, spec: Interval | Mapping[str, Any] | int | None) -> Interval | None:
        if spec is None or isinstance(spec, Interval):
            return spec
        if isinstance(spec, int):
            return cls(steps=spec)
        unknown = set(spec) - {"steps", "seconds"}
        if unknown:
            raise RandomizationError(f"interval: unknown key {sorted(unknown)[0]!r}")
        seconds = spec.get("seconds")
        if isinstance(seconds, (list, tuple)):
            seconds = (float(seconds[0]), float(seconds[1]))
        return cls(steps=spec.get("steps"), seconds=seconds)


@dataclass
class Layout:
    """Where q, qd and sensors sit in the measurement vector a transform sees."""

    q: slice = field(default_factory=lambda: slice(0, 0))
    qd: slice = field(default_factory=lambda: slice(0, 0))
    sensors: slice = field(default_factory=lambda: slice(0, 0))
    size: int = 0

    def select(self, channel: str, indices: list[int] | None = None) -> np.ndarray:
        """Indices of the measurement vector for a channel (``q``, ``qd``, ``sensors``,
        ``all``) and optional positions within it."""
        if channel == "all":
            base = np.arange(self.size)
        elif channel in ("q", "qd", "sensors"):
            base = np.arange(self.size)[getattr(self, channel)]
        else:
            raise RandomizationError(f"channel: unknown '{channel}' (known: q, qd, sensors, all)")
        if indices is None:
            return base
        bad = [i for i in indices if not -len(base) <= i < len(base)]
        if bad:
            raise RandomizationError(f"indices: {bad} out of range for channel '{channel}' "
                                     f"of size {len(base)}")
        return base[np.asarray(indices, dtype=int)]


@dataclass
class RandomizationContext:
    """What hooks can reach: the env, the parameter target, the robot, time and layout."""

    env: gym.Env[Any, Any]
    target: ParameterTarget | None
    robot: SimRobot | None
    control_period: float
    layout: Layout
    action_size: int
    step: int = 0

    @property
    def time(self) -> float:
        """Seconds since the episode's reset."""
        return self.step * self.control_period

    def require_target(self, who: str) -> ParameterTarget:
        if self.target is None:
            raise RandomizationError(f"{who}: needs a physics target (an s2r task, or "
                                     "RandomizedEnv(..., target=PyBulletTarget(...)))")
        return self.target

    def require_robot(self, who: str) -> SimRobot:
        if self.robot is None:
            raise RandomizationError(f"{who}: needs an s2r SimRobot (physics sub-steps)")
        return self.robot


class Randomizer:
    """Base class of every randomizer; override the hooks you need.

    Args:
        mode: ``startup`` (once, first reset), ``reset`` (every episode) or
            ``interval`` (also during the episode, see ``interval``).
        interval: for mode ``interval``: ``{"steps": N}`` or ``{"seconds": s}``
            or ``{"seconds": [lo, hi]}``.
        name: key of this randomizer's record in ``info["randomization"]``.
    """

    type: ClassVar[str] = ""
    #: True if the randomizer transforms actions / observations / sub-steps.
    transforms_action: ClassVar[bool] = False
    transforms_observation: ClassVar[bool] = False
    uses_substeps: ClassVar[bool] = False
    uses_step: ClassVar[bool] = False
    #: commands within the actuator limits stay there (the robot need not clip them again)
    keeps_limits: bool = False
    #: the config entry it was built from, named in errors ("file: randomizers[2] ...")
    where: str | None = None
    #: the config entry itself (``type`` and options), when built from config
    entry: Mapping[str, Any] | None = None

    def __init__(self, *, mode: str = "reset", interval: Any = None,
                 name: str | None = None) -> None:
        if mode not in MODES:
            raise RandomizationError(f"mode: unknown '{mode}' (known: {', '.join(MODES)})")
        self.mode = mode
        self.interval = Interval.parse(interval)
        if mode == "interval" and self.interval is None:
            raise RandomizationError("mode interval needs interval: {steps: N} or {seconds: s}")
        self.name = name or self.type or type(self).__name__

    # -- lifecycle (override) ------------------------------------------------
    def bind(self, ctx: RandomizationContext) -> None:
        """Validate against the env/robot before any simulation; raise RandomizationError."""

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        """Draw values; return a JSON-able record that :meth:`apply` understands."""
        return {}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        """Put a record into effect."""

    def on_step(self, ctx: RandomizationContext, rng: np.random.Generator) -> None:
        """Called after every control step (for ``uses_step`` randomizers)."""

    def on_substep(self, robot: SimRobot) -> None:
        """Called before every physics sub-step (for ``uses_substeps`` randomizers)."""

    def action_values(self, values: list[float], ctx: RandomizationContext,
                      rng: np.random.Generator) -> list[float]:
        """Transform a command (the whole action vector as Python floats; it may be changed
        in place) and return it. The default calls :meth:`action` on an array."""
        out = self.action(np.array(values, dtype=np.float64), ctx, rng)
        return np.asarray(out, dtype=np.float64).reshape(-1).tolist()  # type: ignore[no-any-return]

    def observation_values(self, values: list[float], ctx: RandomizationContext,
                           rng: np.random.Generator) -> list[float]:
        """Transform a measurement, as :meth:`action_values`."""
        out = self.observation(np.array(values, dtype=np.float64), ctx, rng)
        return np.asarray(out, dtype=np.float64).reshape(-1).tolist()  # type: ignore[no-any-return]

    def action(self, action: np.ndarray, ctx: RandomizationContext,
               rng: np.random.Generator) -> np.ndarray:
        """The NumPy form of :meth:`action_values` (override one of the two)."""
        if type(self).action_values is Randomizer.action_values:
            return action
        return np.array(self.action_values(action.tolist(), ctx, rng))

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        """The NumPy form of :meth:`observation_values` (override one of the two)."""
        if type(self).observation_values is Randomizer.observation_values:
            return values
        return np.array(self.observation_values(values.tolist(), ctx, rng))

    def active(self, ctx: RandomizationContext) -> bool:
        """Whether the per-step transforms change anything this episode (called after
        :meth:`apply`; ``False`` skips them)."""
        return True

    def close(self, ctx: RandomizationContext) -> None:
        """Undo what outlives the env (hooks installed on a robot, ...)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, mode={self.mode!r})"
