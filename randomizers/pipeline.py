"""Per-step transforms of an episode, called in order on Python floats.

A bare control step of an s2r task costs ~40 us and a NumPy call on a
handful of values ~0.5-1 us, so the per-step transforms work on plain Python
float lists: every built-in randomizer has ONE implementation of each hook,
:meth:`~randomizers.base.Randomizer.action_values` /
:meth:`~randomizers.base.Randomizer.observation_values`, which takes the whole
vector as a list, may change it in place and returns it. At every reset (and
after an interval firing) :class:`Pipeline` collects the hooks of the
randomizers that do something this episode (:meth:`~randomizers.base.
Randomizer.active`) and calls them in order; a randomizer that only defines
the NumPy hook (``action`` / ``observation``, e.g. a third party's) is called
through it on an array. On a SimRobot the pipelines run inside the robot's
own step (``SimRobot.set_filters``), see
:class:`~randomizers.robot_proxy.RandomizedRobot`.

Step-level randomness is drawn in blocks (:class:`StepDraws`): one
``standard_normal((rows, width))`` call from the episode's generator for
many steps, so a step is an index and an add.

>>> import numpy as np
>>> draws = StepDraws(2, amplitude=[1.0, 0.1])
>>> row = draws.row(np.random.default_rng(0))
>>> row == (np.random.default_rng(0).standard_normal((draws.rows, 2))[0] * [1, .1]).tolist()
True
>>> from randomizers.sensing import ObservationBias
>>> from randomizers.base import Layout, RandomizationContext
>>> ctx = RandomizationContext(None, None, None, 0.01, Layout(size=2), 0)
>>> bias = ObservationBias([1.0, 1.0])
>>> bias.bind(ctx); bias.apply(ctx, {"bias": [1.0, 2.0]})
>>> Pipeline([bias], "observation", ctx, np.random.default_rng(0))([0.5, 0.5])
[1.5, 2.5]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from randomizers.base import Randomizer

if TYPE_CHECKING:
    from randomizers.base import RandomizationContext

#: most rows of a block of draws, and most values in one (wide vectors draw fewer rows)
BLOCK_ROWS = 128
BLOCK_VALUES = 1024

Hook = Callable[[list[float], "RandomizationContext", np.random.Generator], list[float]]


class StepDraws:
    """Step-level randomness of one randomizer, drawn from the episode's generator in blocks.

    Each block is ``rows`` draws of ``width`` values in one call: ``normal`` (standard
    normal), ``uniform`` (in [-1, 1)) or ``random`` (in [0, 1)), times ``amplitude`` (a
    number or one per column). A new generator (the next episode's) starts a new
    block, so every episode's draws depend on its seed only.

    Args:
        width: values per step.
        kind: ``normal``, ``uniform`` or ``random``.
        amplitude: multiplies every draw (``None``: nothing).
    """

    def __init__(self, width: int, kind: str = "normal",
                 amplitude: float | Sequence[float] | np.ndarray | None = None) -> None:
        if kind not in ("normal", "uniform", "random"):
            raise ValueError(f"StepDraws: kind '{kind}' unknown")
        self.width, self.kind, self.amplitude = width, kind, amplitude
        self.rows = max(1, min(BLOCK_ROWS, BLOCK_VALUES // max(width, 1)))
        self._rng: np.random.Generator | None = None
        self._rows: list[list[float]] = []
        self._i = self.rows

    def _fill(self, rng: np.random.Generator) -> None:
        shape = (self.rows, self.width)
        if self.kind == "normal":
            block = rng.standard_normal(shape)
        else:
            block = rng.random(shape)
            if self.kind == "uniform":
                block *= 2.0
                block -= 1.0
        if self.amplitude is not None:
            block *= self.amplitude
        self._rng, self._rows, self._i = rng, block.tolist(), 0

    def row(self, rng: np.random.Generator) -> list[float]:
        """This step's draws as Python floats (do not change the list)."""
        if rng is not self._rng or self._i == self.rows:
            self._fill(rng)
        i = self._i
        self._i = i + 1
        return self._rows[i]


def hook(r: Randomizer, side: str) -> Hook:
    """``r``'s list hook of ``side`` (``action`` or ``observation``): its
    ``<side>_values``, or its NumPy ``<side>`` hook called on an array if that is the
    one it defines."""
    if getattr(type(r), side) is getattr(Randomizer, side):  # the list hook is the one
        return getattr(r, f"{side}_values")  # type: ignore[no-any-return]
    array_hook = getattr(r, side)

    def call(values: list[float], ctx: RandomizationContext,
             rng: np.random.Generator) -> list[float]:
        out = array_hook(np.array(values, dtype=np.float64), ctx, rng)
        return np.asarray(out, dtype=np.float64).reshape(-1).tolist()  # type: ignore[no-any-return]

    return call


def _top(r: Randomizer) -> int | None:
    """The highest position a built-in transform touches (``None``: not known, e.g. a
    third party's transform, which may touch any)."""
    pos = getattr(r, "pos", None)
    if pos is None or not type(r).__module__.startswith("randomizers."):
        return None
    return max(pos, default=-1)


def _chain(hooks: Sequence[Hook], ctx: RandomizationContext, rng: np.random.Generator
           ) -> Callable[[list[float]], list[float]]:
    """One function calling ``hooks`` in order on a list it may change (unrolled for the
    common short chains: a call less per step)."""
    if len(hooks) == 1:
        (a,) = hooks
        return lambda values: a(values, ctx, rng)
    if len(hooks) == 2:
        a, b = hooks
        return lambda values: b(a(values, ctx, rng), ctx, rng)

    def run(values: list[float]) -> list[float]:
        for fn in hooks:
            values = fn(values, ctx, rng)
        return values

    return run


class Pipeline:
    """This episode's ``side`` hooks of ``randomizers`` (the active ones), in order.

    Calling it with a list of floats runs them on a copy (the given list is never
    changed) and returns the result. :attr:`empty` when nothing is active.
    """

    __slots__ = ("hooks", "keeps_limits", "_run", "_top")

    def __init__(self, randomizers: Sequence[Randomizer], side: str, ctx: RandomizationContext,
                 rng: np.random.Generator) -> None:
        active = [r for r in randomizers if r.active(ctx)]
        self.hooks = [hook(r, side) for r in active]
        self._run = _chain(self.hooks, ctx, rng)
        #: for commands: every active transform keeps commands within the actuator limits
        self.keeps_limits = all(r.keeps_limits for r in active)
        tops = [_top(r) for r in active]
        known = [t for t in tops if t is not None]
        self._top: int | None = max(known, default=-1) if len(known) == len(tops) else None

    @property
    def empty(self) -> bool:
        return not self.hooks

    def __call__(self, values: Sequence[float]) -> list[float]:
        return self._run(list(values))

    def command(self) -> Callable[[list[float]], list[float]]:
        """This pipeline as a filter of commands (``SimRobot.set_filters``): the robot's
        list is its own fresh copy of the clipped command, so it is changed in place."""
        return self._run

    def measurement(self, sizes: tuple[int, int]) -> Callable[..., Any]:
        """This pipeline as a filter of ``(q, qd, sensors)`` lists (``SimRobot.set_filters``);
        ``sizes`` are the lengths of q and qd."""
        nq, nqd = sizes
        split, run = nq + nqd, self._run
        if self._top is not None and self._top < nq:  # only q is touched: pass the rest

            def measure_q(q: Sequence[float], qd: Sequence[float], sensors: Sequence[float]
                          ) -> tuple[list[float], Sequence[float], Sequence[float]]:
                return run(list(q)), qd, sensors  # a copy: the robot's lists stay as they are

            return measure_q

        def measure(q: Sequence[float], qd: Sequence[float], sensors: Sequence[float]
                    ) -> tuple[list[float], list[float], list[float]]:
            out = run([*q, *qd, *sensors])  # a new list: the robot's stay as they are
            return out[:nq], out[nq:split], out[split:]

        return measure
