"""Timing randomizers: late data.

- ``action_delay``: commands reach the actuators late;
- ``observation_delay``: measurements reach the policy late.

(Lost measurements, ``observation_dropout``, are in :mod:`randomizers.dropout`.)

The delays keep a per-episode ring buffer of whole control steps,
preallocated at bind time, so the per-step cost is two row copies (a delay
of 0 steps costs nothing on the fast path). On an s2r task on a SimRobot,
``action_delay`` given in seconds instead sets the robot's ``delay.action``
parameter, which acts at physics sub-step resolution; for a sub-step
measurement delay, randomize the ``delay.observation`` parameter with a
``parameters`` randomizer. ``scale`` (curricula, 0..1) shrinks the delay
ranges towards their centre.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randomizers.base import RandomizationContext, RandomizationError
from randomizers.fastpath import SKIP, Fused, targets
from randomizers.registry import register
from randomizers.transforms import ActionRandomizer, SensorRandomizer, command_limits


def _steps_range(spec: int | Sequence[int], who: str) -> tuple[int, int]:
    lo, hi = (spec, spec) if isinstance(spec, (int, float)) else tuple(spec)
    if int(lo) != lo or int(hi) != hi or not 0 <= lo <= hi:
        raise RandomizationError(f"{who}: steps must be integers with 0 <= low <= high, "
                                 f"got {spec}")
    return int(lo), int(hi)


def _checked_steps(steps: Any, k_max: int, who: str) -> int:
    """A recorded delay, refused if the ring buffer cannot hold it (a foreign record)."""
    if not 0 <= int(steps) <= k_max:
        raise RandomizationError(f"{who}: a delay of {steps} steps is outside this config's "
                                 f"range [0, {k_max}]")
    return int(steps)


def _draw_steps(lo: float, hi: float, scale: float, rng: np.random.Generator) -> int:
    """An integer in [lo, hi], the range shrunk by ``scale`` around its centre."""
    c, h = 0.5 * (lo + hi), 0.5 * (hi - lo) * scale
    return int(rng.integers(round(c - h), round(c + h) + 1))


@register("action_delay")
class ActionDelay(ActionRandomizer):
    """Latency from the controller's command to the actuators, fixed or drawn per episode.

    Two mechanisms; the record says which one ran:

    - ``step`` (any env): a per-episode queue in front of the actuators delays
      the command by ``k`` whole control steps (``seconds`` are rounded to
      control steps). Until the first delayed command arrives the actuators
      get ``fill``. Record: ``{"steps": k}``.
    - ``substep`` (an s2r task on a SimRobot, ``seconds`` given): the sampled
      delay is added to the robot's nominal ``delay.action`` parameter, which
      SimRobot applies at physics sub-step resolution (a command takes effect
      at the first sub-step at or after ``t + delay``). Record:
      ``{"seconds": s, "delay_action": value}``.

    ``resolution: auto`` (default) uses ``substep`` when it can, else ``step``.

    Args:
        steps: ``k`` control steps: an integer or ``[lo, hi]`` (uniform integers).
        seconds: a delay in seconds: a number or ``[lo, hi]`` (uniform).
        resolution: ``auto``, ``step`` or ``substep``.
        fill: the command sent before the first delayed command arrives (0 = as SimRobot).

    >>> from randomizers.wrapper import RandomizedEnv
    >>> from s2r.tasks import PendulumSwingup
    >>> env = RandomizedEnv(PendulumSwingup(), [ActionDelay(seconds=[0.0, 0.01])], seed=0)
    >>> _, info = env.reset(seed=0)      # on a SimRobot: via delay.action, sub-step resolution
    >>> sorted(info["randomization"]["action_delay"])
    ['delay_action', 'seconds']
    >>> env.close()
    """

    def __init__(self, steps: int | Sequence[int] | None = None,
                 seconds: float | Sequence[float] | None = None, resolution: str = "auto",
                 fill: float = 0.0, indices: Sequence[int] | None = None, *,
                 mode: str = "reset", interval: Any = None, name: str | None = None) -> None:
        super().__init__(indices, mode=mode, interval=interval, name=name)
        if (steps is None) == (seconds is None):
            raise RandomizationError(f"{self.name}: give exactly one of steps or seconds")
        if resolution not in ("auto", "step", "substep"):
            raise RandomizationError(f"{self.name}: resolution '{resolution}' unknown (known: "
                                     "auto, step, substep)")
        if resolution == "substep" and seconds is None:
            raise RandomizationError(f"{self.name}: resolution substep needs seconds")
        lo: float
        hi: float
        if steps is not None:
            lo, hi = _steps_range(steps, self.name)
        else:
            lo, hi = (seconds, seconds) if isinstance(seconds, (int, float)) else \
                tuple(seconds)  # type: ignore[arg-type]
            if not (0 <= lo <= hi and math.isfinite(hi)):
                raise RandomizationError(f"{self.name}: seconds: need 0 <= low <= high, got "
                                         f"{seconds}")
        self.unit = "steps" if steps is not None else "seconds"
        self.low, self.high = float(lo), float(hi)
        self.resolution, self.fill = resolution, float(fill)
        self.path = "step"
        self.k = 0

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        robot = ctx.robot
        substep = self.unit == "seconds" and robot is not None and self.resolution != "step"
        if self.resolution == "substep" and robot is None:
            raise RandomizationError(f"{self.name}: resolution substep needs an s2r task on a "
                                     "SimRobot (use resolution: step)")
        if substep:
            p = robot.params["delay.action"]  # type: ignore[union-attr]
            if p.nominal + self.high > p.high:
                raise RandomizationError(
                    f"{self.name}: delay.action would reach {p.nominal + self.high:.6g} s, above "
                    f"its bound {p.high:.6g} s (raise it in the robot YAML: parameters: "
                    "{delay.action: {high: ...}}, or use resolution: step)")
            self.path, self._nominal = "substep", p.nominal
            return
        self.path = "step"
        k_max = int(self.high) if self.unit == "steps" else \
            round(self.high / ctx.control_period)
        try:  # queued commands are the controller's; the fill may lie outside the limits
            low, high = command_limits(ctx)
            self._fill_inside = bool(np.all((low[self.idx] <= self.fill)
                                            & (self.fill <= high[self.idx])))
        except RandomizationError:
            self._fill_inside = False
        self._buf = np.zeros((k_max + 1, self.size))
        self._t = 0
        self._queue: list[tuple[float, ...]] = []  # the fast path's queue (k commands)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        if self.unit == "steps":
            return {"steps": _draw_steps(self.low, self.high, self.scale, rng)}
        c, h = 0.5 * (self.low + self.high), 0.5 * (self.high - self.low) * self.scale
        seconds = float(rng.uniform(c - h, c + h))
        if self.path == "substep":
            return {"seconds": seconds, "delay_action": self._nominal + seconds}
        return {"seconds": seconds, "steps": round(seconds / ctx.control_period)}

    def apply(self, ctx: RandomizationContext, record: Mapping[str, Any]) -> None:
        if "delay_action" in record:
            ctx.require_robot(self.name).set("delay.action", float(record["delay_action"]))
        else:
            self.k = _checked_steps(record["steps"], len(self._buf) - 1, self.name)

    def action(self, action: np.ndarray, ctx: RandomizationContext,
               rng: np.random.Generator) -> np.ndarray:
        if self.path == "substep":
            return action
        buf = self._buf
        if ctx.step == 0:  # a new episode: empty queue
            buf.fill(self.fill)
            self._t = 0
        n = len(buf)
        buf[self._t % n] = action[self.idx]
        self._t += 1
        return self.put(action, buf[(self._t - 1 - self.k) % n].copy())

    def fuse_action(self, ctx: RandomizationContext, rng: np.random.Generator,
                    x: Sequence[str]) -> Fused | None:
        if self.path == "substep":
            return SKIP
        if not self.listable or self.mode == "interval":
            return None  # (a delay changing mid-episode needs the ring of the generic path)
        if self.k == 0:
            return SKIP  # the queue hands back each command at once
        if ctx.step == 0:  # compiled at a reset: a new episode, k commands of fill queued
            self._queue[:] = [(self.fill,) * self.size] * self.k  # tuples: never changed
        sel = targets(x, self.pos)
        return Fused([f"$queue.append(({sel}))", f"{sel} = $queue.pop(0)"],
                     {"queue": self._queue}, self.pos, bounded=self._fill_inside)

    def close(self, ctx: RandomizationContext) -> None:
        if self.path == "substep" and ctx.robot is not None and ctx.robot.client >= 0:
            ctx.robot.set("delay.action", self._nominal)


@register("observation_delay")
class ObservationDelay(SensorRandomizer):
    """Measurements that arrive ``k`` control steps late (``k`` fixed or drawn per episode).

    Until ``k`` measurements have been taken in an episode, the first one of
    the episode is delivered (a sensor that has not updated yet).

    Args:
        steps: ``k``: an integer, or ``[lo, hi]`` (uniform integers, per episode).

    >>> import gymnasium as gym
    >>> from randomizers.wrapper import RandomizedEnv
    >>> env = RandomizedEnv(gym.make("Pendulum-v1"), [ObservationDelay(steps=[1, 3])], seed=0)
    >>> _, info = env.reset(seed=0)
    >>> info["randomization"]["observation_delay"]["steps"] in (1, 2, 3)
    True
    """

    stateful = True

    def __init__(self, steps: int | Sequence[int] = 1, channel: str = "all",
                 indices: Sequence[int] | None = None, *, mode: str = "reset",
                 interval: Any = None, name: str | None = None) -> None:
        super().__init__(channel, indices, mode=mode, interval=interval, name=name)
        self.low, self.high = _steps_range(steps, self.name)
        self.k = self.low

    def bind(self, ctx: RandomizationContext) -> None:
        super().bind(ctx)
        self._ring = np.zeros((self.high + 1, self.size))
        self._t = 0
        self._queue: list[tuple[float, ...]] = []  # the fast path's queue (k measurements)

    def sample(self, ctx: RandomizationContext, rng: np.random.Generator) -> dict[str, Any]:
        return {"steps": _draw_steps(self.low, self.high, self.scale, rng)}

    def load(self, record: Mapping[str, Any]) -> None:
        self.k = _checked_steps(record["steps"], self.high, self.name)

    def observation(self, values: np.ndarray, ctx: RandomizationContext,
                    rng: np.random.Generator) -> np.ndarray:
        ring = self._ring
        if self._fresh:
            ring[:] = values[self.idx]
            self._t = 0
            self._fresh = False
        n = len(ring)
        ring[self._t % n] = values[self.idx]
        values[self.idx] = ring[(self._t - self.k) % n]
        self._t += 1
        return values

    def fuse_observation(self, ctx: RandomizationContext, rng: np.random.Generator,
                         x: Sequence[str]) -> Fused | None:
        if not self.listable or self.mode == "interval":
            return None  # (a delay changing mid-episode needs the ring of the generic path)
        if self.k == 0:
            return SKIP  # each measurement is delivered at once
        sel = targets(x, self.pos)
        return Fused([f"$row = ({sel})", "if $self._fresh:",  # k copies of the first one
                      "    $queue[:] = [$row] * $k", "    $self._fresh = False",
                      "$queue.append($row)", f"{sel} = $queue.pop(0)"],
                     {"self": self, "queue": self._queue, "k": self.k}, self.pos)
