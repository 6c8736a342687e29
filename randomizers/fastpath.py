"""The fast path of per-step transforms: compiled per-episode pipelines on Python floats.

A bare control step of an s2r task costs ~40 us and a NumPy call on a
handful of values ~0.5-1 us, so a chain of array transforms per step costs
more than the randomization is worth. A randomizer may therefore compile,
at every reset (and after every interval firing), its :meth:`action` or
:meth:`observation` hook into a *list op*: a function that changes a list of
Python floats in place with exactly the results of the generic hook (same
operations in the same order, so the same bits). ``skip`` says the hook
does nothing this episode (a delay of 0 steps, a deadzone of width 0).
:func:`compile_ops` chains them, wrapping any randomizer without a fast
path in a NumPy round trip, and :class:`~randomizers.robot_proxy.RandomizedRobot`
hands the chains to ``SimRobot.set_filters``, so they run in the robot's own
step without a copy.

Step-level randomness is drawn in blocks (:class:`StepDraws`): one
``standard_normal((rows, width))`` call from the episode's generator for
many steps, so a step is an index and an add; both paths read the same rows.

>>> import numpy as np
>>> draws = StepDraws(2, amplitude=[1.0, 0.1])
>>> rng = np.random.default_rng(0)
>>> row = draws.row(rng)
>>> np.array_equal(row, np.random.default_rng(0).standard_normal((draws.rows, 2))[0] * [1, .1])
True
>>> [rint(x) for x in (0.5, 1.5, -0.4, 2.0**60)]
[0.0, 2.0, -0.0, 1.152921504606847e+18]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from randomizers.base import RandomizationContext, Randomizer

#: a compiled per-step transform: changes a list of Python floats in place
ListOp = Callable[[list[float]], None]
#: most rows of a block of draws, and most values in one (wide vectors draw fewer rows)
BLOCK_ROWS = 128
BLOCK_VALUES = 1024
MAGIC = 6755399441055744.0  # 1.5 * 2**52: (x + MAGIC) - MAGIC rounds x half to even
EXACT = 2251799813685248.0  # 2**51: below it the trick above is exact


_ADDERS: dict[tuple[int, ...], Callable[[list[float], Sequence[float]], None]] = {}


def span(pos: Sequence[int]) -> slice | None:
    """``pos`` as a slice if it is a run of consecutive positions (list slices are fast)."""
    if pos and list(pos) == list(range(pos[0], pos[0] + len(pos))):
        return slice(pos[0], pos[0] + len(pos))
    return None


def add_at(pos: Sequence[int]) -> Callable[[list[float], Sequence[float]], None]:
    """``add(values, x)``: ``values[pos[j]] += x[j]`` for every ``j``, as straight-line code
    (generated once per ``pos``; a loop costs twice as much on a few elements).

    >>> values = [1.0, 2.0, 3.0]
    >>> add_at([0, 2])(values, [0.5, 0.25])
    >>> values
    [1.5, 2.0, 3.25]
    """
    key = tuple(int(i) for i in pos)
    fn = _ADDERS.get(key)
    if fn is None:
        if len(key) > 32:
            def fn(values: list[float], x: Sequence[float]) -> None:
                for i, xi in zip(key, x):
                    values[i] += xi
        else:
            body = "".join(f"    values[{i}] += x[{j}]\n" for j, i in enumerate(key))
            namespace: dict[str, Any] = {}
            exec(f"def add(values, x):\n{body or '    pass'}\n", namespace)  # noqa: S102
            fn = namespace["add"]
        _ADDERS[key] = fn
    return fn


def skip(values: list[float]) -> None:
    """The list op of a transform that does nothing this episode."""


def rint(x: float) -> float:
    """``numpy.rint`` on a Python float, bit for bit (half to even, signed zeros, inf, NaN)."""
    if -EXACT < x < EXACT:
        return math.copysign((x + MAGIC) - MAGIC, x)
    if x - x == 0.0:  # large and finite
        return float(round(x))
    return x


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
        self._block = np.zeros((0, width))
        self._list: list[list[float]] | None = None
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
        self._rng, self._block, self._list, self._i = rng, block, None, 0

    def row(self, rng: np.random.Generator) -> np.ndarray:
        """This step's draws as an array (a view: do not change it)."""
        if rng is not self._rng or self._i == self.rows:
            self._fill(rng)
        i = self._i
        self._i = i + 1
        return self._block[i]

    def row_list(self, rng: np.random.Generator) -> list[float]:
        """This step's draws as Python floats (the same values :meth:`row` gives)."""
        if rng is not self._rng or self._i == self.rows:
            self._fill(rng)
        rows = self._list
        if rows is None:
            rows = self._list = self._block.tolist()
        i = self._i
        self._i = i + 1
        return rows[i]


def _generic(r: Randomizer, hook: str, ctx: RandomizationContext,
             rng: np.random.Generator) -> ListOp:
    """A list op that runs ``r``'s generic NumPy hook (for randomizers without a fast path)."""
    fn: Callable[..., Any] = getattr(r, hook)

    def op(values: list[float]) -> None:
        out = fn(np.array(values, dtype=np.float64), ctx, rng)
        values[:] = np.asarray(out, dtype=np.float64).reshape(-1).tolist()

    return op


def compile_ops(randomizers: Sequence[Randomizer], hook: str, ctx: RandomizationContext,
                rng: np.random.Generator) -> list[ListOp]:
    """This episode's list ops of ``hook`` (``action`` or ``observation``), in order."""
    ops = []
    for r in randomizers:
        op = getattr(r, f"compile_{hook}")(ctx, rng)
        if op is None:
            op = _generic(r, hook, ctx, rng)
        if op is not skip:
            ops.append(op)
    return ops


def chain(ops: Sequence[ListOp]) -> ListOp | None:
    """One list op running ``ops`` in order (``None`` if there are none)."""
    if not ops:
        return None
    if len(ops) == 1:
        return ops[0]
    if len(ops) == 2:
        first, second = ops

        def run2(values: list[float]) -> None:
            first(values)
            second(values)

        return run2
    ops = tuple(ops)

    def run(values: list[float]) -> None:
        for op in ops:
            op(values)

    return run
