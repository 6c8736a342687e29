"""Timing randomizers: late data, as the robot parameters ``delay.action``, ``delay.observation``.

- ``action_delay``: commands reach the actuators ``delay.action`` seconds late;
- ``observation_delay``: measurements reach the policy ``delay.observation`` seconds late.

(Lost measurements, ``observation_dropout``, are in :mod:`randomizers.dropout`.)

Both sample a delay in seconds per episode. On an s2r SimRobot the value is set
as the robot's parameter, which acts at any resolution finer than a physics
sub-step. On an env without those parameters the randomizer applies the same
implementation, :class:`s2r.effects.CommandDelay` and :class:`s2r.effects.History`,
to the env's action and observation vectors at control-step times (a delay
that is not a whole number of control periods blends neighbouring commands, and
interpolates neighbouring measurements). ``scale`` (curricula, 0..1) shrinks
the delay ranges towards their centre.

The former ``steps`` option (whole control steps) still loads, with a
deprecation warning, as ``seconds = steps * control period``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.effect_names import record_values
from randomizers.registry import register
from randomizers.transforms import ActionRandomizer, SensorRandomizer, command_limits
from s2r.effects import CommandDelay, History

REMOVED = {"resolution": "the delay always acts at sub-step resolution on a SimRobot",
           "fill": "the actuators get 0 until the first delayed command arrives"}


def _seconds_range(who: str, steps: Any, seconds: Any) -> tuple[tuple[float, float], bool]:
    """The configured range in seconds, or in control steps (the deprecated option)."""
    if (steps is None) == (seconds is None):
        raise RandomizationError(f"{who}: give seconds (e.g. seconds: [0.0, 0.01])")
    spec = seconds if seconds is not None else steps
    lo, hi = (spec, spec) if isinstance(spec, (int, float)) else tuple(spec)
    if steps is not None:
        if int(lo) != lo or int(hi) != hi or not 0 <= lo <= hi:
            raise RandomizationError(f"{who}: steps must be integers with 0 <= low <= high, "
                                     f"got {steps}")
        warnings.warn(f"{who}: 'steps' is deprecated: give 'seconds: [low, high]' (the delay "
                      "in seconds; steps * control period)", DeprecationWarning, stacklevel=4)
    elif not (0 <= lo <= hi and math.isfinite(hi)):
        raise RandomizationError(f"{who}: seconds: need 0 <= low <= high, got {seconds}")
    return (float(lo), float(hi)), steps is not None


class _Delay:
    """What both delays share: the range, the parameter name and the sampling."""

    parameter = ""
    name: str
    scale: float

    def _setup(self, steps: Any, seconds: Any) -> None:
        (self.low, self.high), self.in_steps = _seconds_range(self.name, steps, seconds)
        self.delay = 0.0

    def _bind_range(self, ctx: RandomizationContext, on_robot: bool) -> None:
        if self.in_steps:  # the deprecated option: whole control steps
            self.low, self.high = self.low * ctx.control_period, self.high * ctx.control_period
            self.in_steps = False
        self.on_robot = on_robot
        if on_robot:
            p = ctx.require_target(self.name).params[self.parameter]
            if self.low < p.low or self.high > p.high:
                raise RandomizationError(
                    f"{self.name}: {self.parameter} could reach [{self.low:.6g}, "
                    f"{self.high:.6g}] s, outside its bounds [{p.low:.6g}, {p.high:.6g}] s "
                    f"(narrow the range, or raise the bound in the robot YAML: parameters: "
                    f"{{{self.parameter}: {{high: ...}}}})")

    def close(self, ctx: RandomizationContext) -> None:
        """Give the robot its nominal delay back (it may outlive the env)."""
        target = ctx.target
        if self.on_robot and target is not None and getattr(ctx.robot, "client", 0) >= 0:
            target.set_params({self.parameter: target.params[self.parameter].nominal})

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        c, h = 0.5 * (self.low + self.high), 0.5 * (self.high - self.low) * self.scale
        return {"values": {self.parameter: float(rng.uniform(c - h, c + h))}}

    def _load(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        value = record_values(self.name, record, [self.parameter], "seconds")[self.parameter]
        if not 0.0 <= value < math.inf:
            raise RandomizationError(f"{self.name}: {self.parameter} = {value} is not a delay")
        if self.on_robot:
            ctx.require_target(self.name).set_params({self.parameter: value})
        self.delay = value


def _has(ctx: RandomizationContext, name: str) -> bool:
    params = getattr(ctx.target, "params", None)
    return ctx.robot is not None and params is not None and name in params


@register("action_delay")
class ActionDelay(_Delay, ActionRandomizer):
    """Latency ``delay.action`` from the controller's command to the actuators, in seconds.

    On an s2r SimRobot the sampled value is the robot's ``delay.action`` parameter
    (commands take effect at sub-step resolution; ``indices`` must then select every
    actuator). Elsewhere the selected commands pass through
    :class:`s2r.effects.CommandDelay` here; the actuators get 0 until the first
    delayed command arrives. Record: ``{"values": {"delay.action": seconds}}``.

    Args:
        seconds: the delay: a number or ``[lo, hi]`` (uniform, per episode).
        steps: deprecated: whole control steps (``seconds = steps * control period``).

    >>> from randomizers.wrapper import RandomizedEnv
    >>> from s2r.tasks import PendulumSwingup
    >>> env = RandomizedEnv(PendulumSwingup(), [ActionDelay(seconds=[0.0, 0.01])], seed=0)
    >>> _, info = env.reset(seed=0)
    >>> 0.0 <= info["randomization"]["action_delay"]["values"]["delay.action"] <= 0.01
    True
    >>> env.close()
    """

    parameter = "delay.action"

    def __init__(self, seconds: float | Sequence[float] | None = None,
                 steps: int | Sequence[int] | None = None, indices: Sequence[int] | None = None,
                 *, mode: str = "reset", interval: Any = None, name: str | None = None,
                 **removed: Any) -> None:
        super().__init__(indices, mode=mode, interval=interval, name=name)
        for key in removed:
            if key not in REMOVED:
                raise TypeError(f"unexpected keyword argument '{key}'")
            raise RandomizationError(f"{self.name}: option '{key}' was removed ({REMOVED[key]});"
                                     " give seconds: [low, high]")
        self._setup(steps, seconds)

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self._bind_range(ctx, self.indices is None and _has(ctx, self.parameter))
        try:  # the actuators start at 0: within the limits?
            low, high = command_limits(ctx)
            zero_inside = bool(np.all((low[self.idx] <= 0.0) & (0.0 <= high[self.idx])))
        except RandomizationError:
            zero_inside = False
        self.keeps_limits = zero_inside  # averages of commands within the limits and 0
        self._line = CommandDelay(self.size)

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        self._load(ctx, record)
        self._line.delay = self.delay

    def active(self, ctx: RandomizationContext) -> bool:
        return not self.on_robot and (self.delay > 0.0 or self.mode == "interval")

    def action_values(self, values: list[float], ctx: RandomizationContext,
                      rng: np.random.Generator) -> list[float]:
        line, period = self._line, ctx.control_period
        if ctx.step == 0:  # a new episode: nothing queued, the actuators hold 0
            line.reset()
        t = ctx.step * period
        line.push(t, [values[i] for i in self.pos])
        for i, u in zip(self.pos, line.average(t, t + period)):
            values[i] = u
        return values



@register("observation_delay")
class ObservationDelay(_Delay, SensorRandomizer):
    """Age ``delay.observation`` of the measurements the policy receives, in seconds.

    On an s2r SimRobot with channel ``all`` and no ``indices`` the sampled value is
    the robot's ``delay.observation`` parameter. Elsewhere the selected elements
    pass through :class:`s2r.effects.History` here (linear interpolation between
    control steps); until the delay has elapsed the episode's first measurement is
    delivered. Record: ``{"values": {"delay.observation": seconds}}``.

    Args:
        seconds: the delay: a number or ``[lo, hi]`` (uniform, per episode).
        steps: deprecated: whole control steps (``seconds = steps * control period``).

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [ObservationDelay(seconds=[0.05, 0.1])],
    ...                     seed=0)
    >>> _, info = env.reset(seed=0)
    >>> 0.05 <= info["randomization"]["observation_delay"]["values"]["delay.observation"] <= 0.1
    True
    """

    stateful = True
    parameter = "delay.observation"

    def __init__(self, seconds: float | Sequence[float] | None = None,
                 steps: int | Sequence[int] | None = None, channel: str = "all",
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(channel, indices, mode=mode, interval=interval, name=name)
        self._setup(steps, seconds)

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        whole = self.channel == "all" and self.indices is None
        self._bind_range(ctx, whole and _has(ctx, self.parameter))
        self._history = History()
        self._k = 0

    def load(self, record: Mapping[str, Any]) -> None:
        pass  # see apply: the value may go to the robot

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        super().apply(ctx, record)
        self._load(ctx, record)
        self._history.delay = self.delay

    def active(self, ctx: RandomizationContext) -> bool:
        return not self.on_robot and (self.delay > 0.0 or self.mode == "interval")

    def observation_values(self, values: list[float], ctx: RandomizationContext,
                           rng: np.random.Generator) -> list[float]:
        history = self._history
        sel = [values[i] for i in self.pos]
        if self._fresh:  # the first measurement of the episode, at t = 0
            history.reset(0.0, sel)
            self._k, self._fresh = 0, False
        else:
            self._k += 1
            history.append(self._k * ctx.control_period, sel)
        for i, v in zip(self.pos, history.at(self._k * ctx.control_period)):
            values[i] = v
        return values

