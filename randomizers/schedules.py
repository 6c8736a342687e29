"""Curricula: widen randomization ranges over training (as IsaacGymEnvs' schedules).

A schedule maps a counter (environment steps or finished episodes) to a
**fraction** in [0, 1] of a randomizer's configured range: 0 samples the
centre of the range only, 1 the full range. It acts on any :class:`Widenable`
randomizer, i.e. one with a read/write ``scale`` attribute, such as every
:class:`~randomizers.physics.ParameterRandomizer` (whose range is shrunk
around its centre, ``Distribution.widened``).

- :class:`LinearSchedule`: ``start`` until ``begin``, then linearly to ``end`` at
  ``until`` (IsaacGymEnvs' ``linear`` with ``schedule_steps``);
- :class:`StepSchedule`: piecewise constant, ``values[i]`` from ``boundaries[i-1]`` on
  (IsaacGymEnvs' ``constant``: ``boundaries: [N], values: [0, 1]``).

In a randomization YAML, curricula are a list next to the randomizers::

    randomizers:
      - {type: mass, distribution: [0.5, 1.5]}
    schedules:
      - {randomizer: mass, type: linear, until: 100000}
      - {randomizer: friction, type: step, boundaries: [1e4, 5e4], values: [0, .5, 1],
         unit: episodes}

>>> from randomizers.physics import MassRandomizer
>>> mass = MassRandomizer(distribution=[0.5, 1.5])
>>> cur = Curriculum.from_config([{"randomizer": "mass", "type": "linear", "until": 1000}], [mass])
>>> cur.apply([mass], steps=250)
{'mass': 0.25}
>>> mass.scale
0.25
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from randomizers.base import RandomizationError

UNITS = ("steps", "episodes")


@runtime_checkable
class Widenable(Protocol):
    """A randomizer whose range a curriculum can narrow/widen: ``scale`` in [0, 1]
    (0 = the centre only, 1 = the configured range). Make it a property if setting it
    must do work."""

    scale: float


def _fraction(value: Any, what: str) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise RandomizationError(f"{what}: expected a number in [0, 1], got {value!r}") from None
    if not 0.0 <= f <= 1.0:
        raise RandomizationError(f"{what}: must be in [0, 1], got {f}")
    return f


def _count(value: Any, what: str) -> float:
    try:
        c = float(value)
    except (TypeError, ValueError):
        raise RandomizationError(f"{what}: expected a count, got {value!r}") from None
    if not (math.isfinite(c) and c >= 0):
        raise RandomizationError(f"{what}: must be a finite count >= 0, got {value!r}")
    return c


class Schedule:
    """Base class: :meth:`value` maps a counter to a fraction in [0, 1]."""

    def value(self, t: float) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class LinearSchedule(Schedule):
    """``start`` up to ``begin``, linear to ``end`` at ``until``, then ``end``.

    >>> s = LinearSchedule(until=100)
    >>> [s.value(t) for t in (0, 50, 100, 1000)]
    [0.0, 0.5, 1.0, 1.0]
    """

    until: float
    start: float = 0.0
    end: float = 1.0
    begin: float = 0.0

    def __post_init__(self) -> None:
        begin, until = _count(self.begin, "linear.begin"), _count(self.until, "linear.until")
        for key, value in (("start", _fraction(self.start, "linear.start")),
                           ("end", _fraction(self.end, "linear.end")),
                           ("begin", begin), ("until", until)):
            object.__setattr__(self, key, value)  # YAML may give '1e5' as a string
        if until <= begin:
            raise RandomizationError(f"linear: until ({until:g}) must be > begin ({begin:g})")

    def value(self, t: float) -> float:
        x = min(max((t - self.begin) / (self.until - self.begin), 0.0), 1.0)
        return float(self.start + (self.end - self.start) * x)


@dataclass(frozen=True)
class StepSchedule(Schedule):
    """``values[0]`` before ``boundaries[0]``, ``values[i]`` from ``boundaries[i-1]`` on.

    >>> s = StepSchedule(boundaries=(10, 20), values=(0.0, 0.5, 1.0))
    >>> [s.value(t) for t in (0, 9, 10, 19, 20)]
    [0.0, 0.0, 0.5, 0.5, 1.0]
    """

    boundaries: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        b = [_count(x, f"step.boundaries[{i}]") for i, x in enumerate(self.boundaries)]
        values = tuple(_fraction(v, f"step.values[{i}]") for i, v in enumerate(self.values))
        object.__setattr__(self, "boundaries", tuple(b))
        object.__setattr__(self, "values", values)
        if not b:
            raise RandomizationError("step: boundaries must not be empty")
        if any(b1 <= b0 for b0, b1 in zip(b, b[1:])):
            raise RandomizationError(f"step: boundaries must be strictly increasing, got {b}")
        if len(self.values) != len(b) + 1:
            raise RandomizationError(f"step: need len(values) = len(boundaries) + 1 = {len(b) + 1}"
                                     f", got {len(self.values)}")

    def value(self, t: float) -> float:
        k = sum(1 for b in self.boundaries if t >= b)
        return float(self.values[k])


_KINDS: dict[str, type[Schedule]] = {"linear": LinearSchedule, "step": StepSchedule}


def make_schedule(spec: Mapping[str, Any]) -> Schedule:
    """A schedule from ``{type: linear, until: N, ...}`` or ``{type: step, boundaries, values}``.

    >>> make_schedule({"type": "step", "boundaries": [5], "values": [0, 1]}).value(5)
    1.0
    """
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in _KINDS:
        raise RandomizationError(f"schedule type: unknown {kind!r} (known: {', '.join(_KINDS)})")
    if kind == "step":
        unknown = set(spec) - {"boundaries", "values"}
        if unknown or "boundaries" not in spec or "values" not in spec:
            raise RandomizationError("step schedule: give exactly boundaries: [...] and "
                                     f"values: [...] (got {sorted(spec)})")
        return StepSchedule(tuple(spec["boundaries"]), tuple(spec["values"]))
    unknown = set(spec) - {"until", "start", "end", "begin"}
    if unknown or "until" not in spec:
        raise RandomizationError("linear schedule: options until (required), start, end, begin "
                                 f"(got {sorted(spec)})")
    return LinearSchedule(**spec)


@dataclass(frozen=True)
class ScheduleEntry:
    """The schedule of one randomizer (by name) and the counter that drives it."""

    randomizer: str
    schedule: Schedule
    unit: str = "steps"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise RandomizationError(f"schedule of '{self.randomizer}': unit must be one of "
                                     f"{', '.join(UNITS)}, got {self.unit!r}")


def set_scale(randomizer: Any, fraction: float) -> None:
    """Set a :class:`Widenable` randomizer's ``scale``, refusing those without one."""
    if not isinstance(randomizer, Widenable):
        raise RandomizationError(f"randomizer '{getattr(randomizer, 'name', randomizer)}' "
                                 "cannot be scheduled: it has no 'scale' (not Widenable)")
    randomizer.scale = _fraction(fraction, "scale")


class Curriculum:
    """Schedules of several randomizers, advanced by a step and an episode counter.

    :meth:`scales` computes the fractions; :meth:`apply` sets them on local
    randomizers; :class:`~randomizers.callbacks.ScheduleCallback` drives a
    curriculum during Stable-Baselines3 training (also across processes).
    """

    def __init__(self, entries: Iterable[ScheduleEntry]) -> None:
        self.entries = list(entries)
        names = [e.randomizer for e in self.entries]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise RandomizationError(f"schedules: two schedules for randomizer '{dupes[0]}'")

    @classmethod
    def from_config(cls, entries: Sequence[Mapping[str, Any]],
                    randomizers: Sequence[Any] | None = None,
                    source: str = "schedules") -> Curriculum:
        """Build from ``[{randomizer: name, type: ..., unit: steps|episodes, ...}]``;
        with ``randomizers``, check every name exists and is :class:`Widenable`."""
        out = []
        for i, raw in enumerate(entries):
            where = f"{source}[{i}]"
            spec = dict(raw)
            name, unit = spec.pop("randomizer", None), spec.pop("unit", "steps")
            if not isinstance(name, str):
                raise RandomizationError("missing 'randomizer: <name>'", where=where)
            try:
                out.append(ScheduleEntry(name, make_schedule(spec), unit))
            except RandomizationError as err:
                raise RandomizationError(err.message, where=where) from None
        try:
            curriculum = cls(out)
        except RandomizationError as err:
            raise RandomizationError(err.message, where=source) from None
        if randomizers is not None:
            curriculum.check(randomizers, source)
        return curriculum

    def check(self, randomizers: Sequence[Any], source: str = "schedules") -> None:
        """Every scheduled name must be a :class:`Widenable` randomizer of ``randomizers``;
        errors name ``source[i]``."""
        by_name = {r.name: r for r in randomizers}
        for i, e in enumerate(self.entries):
            if e.randomizer not in by_name:
                raise RandomizationError(f"no randomizer named '{e.randomizer}' (names: "
                                         f"{', '.join(by_name) or 'none'})",
                                         where=f"{source}[{i}]")
            if not isinstance(by_name[e.randomizer], Widenable):
                raise RandomizationError(f"randomizer '{e.randomizer}' has no 'scale' "
                                         "(not Widenable)", where=f"{source}[{i}]")

    @property
    def names(self) -> list[str]:
        return [e.randomizer for e in self.entries]

    def scales(self, steps: float = 0, episodes: float = 0) -> dict[str, float]:
        """Fraction of each scheduled randomizer's range at these counters."""
        return {e.randomizer: e.schedule.value(steps if e.unit == "steps" else episodes)
                for e in self.entries}

    def apply(self, randomizers: Sequence[Any], steps: float = 0,
              episodes: float = 0) -> dict[str, float]:
        """Set ``scale`` on the scheduled randomizers among ``randomizers``; return the scales."""
        scales = self.scales(steps, episodes)
        for r in randomizers:
            if r.name in scales:
                set_scale(r, scales[r.name])
        return scales


def curriculum_from_file(cfg: Mapping[str, Any], path: str,
                         randomizers: Sequence[Any]) -> Curriculum:
    """The ``schedules:`` of a loaded randomization file, checked against ``randomizers``."""
    entries = cfg.get("schedules") or []
    if not isinstance(entries, list):
        raise RandomizationError("schedules: must be a list of {randomizer: ..., type: ...}",
                                 where=path)
    return Curriculum.from_config(entries, randomizers, source=f"{path}: schedules")


def load_curriculum(name_or_path: str | os.PathLike[str],
                    randomizers: Sequence[Any] | None = None) -> Curriculum:
    """The ``schedules:`` list of ``configs/randomization/<name>.yaml`` or a YAML path
    (an empty curriculum if there is none).

    Every schedule must name a randomizer of ``randomizers``, by default those
    the same file defines; a missing name is an error naming the file.
    """
    from randomizers.registry import load_randomization, read_randomization_file

    path, cfg = read_randomization_file(name_or_path)
    if randomizers is None:
        randomizers = load_randomization(path)
    return curriculum_from_file(cfg, str(path), randomizers)
