"""The fast path of per-step transforms: one fused function per episode, on Python floats.

A bare control step of an s2r task costs ~40 us; a NumPy call on a handful
of values ~0.5-1 us and a Python function call ~0.1 us, so a chain of
array transforms per step costs more than the randomization is worth.
A randomizer may therefore describe, at every reset (and after every
interval firing), what its :meth:`action` or :meth:`observation` hook does
this episode as a :class:`Fused`: straight-line Python statements on local
variables that hold the vector's elements, with exactly the results of the
generic hook (the same operations in the same order, so the same bits).
:func:`fuse` joins a side's snippets into one function, compiled once per
distinct code and given this episode's values as parameter defaults (fast
locals); randomizers without a fast path are called through their generic
hook on an array. On a SimRobot the functions run inside the robot's step
(``SimRobot.set_filters``), see :class:`~randomizers.robot_proxy.RandomizedRobot`.
Measured with ``benchmarks/randomization_overhead.py``: a transform costs a
few tenths of a microsecond per step this way, against 1-3 us on arrays.

Step-level randomness is drawn in blocks (:class:`StepDraws`): one
``standard_normal((rows, width))`` call from the episode's generator for
many steps, so a step is an index and an add; both paths read the same rows.

>>> import numpy as np
>>> draws = StepDraws(2, amplitude=[1.0, 0.1])
>>> row = draws.row(np.random.default_rng(0))
>>> np.array_equal(row, np.random.default_rng(0).standard_normal((draws.rows, 2))[0] * [1, .1])
True
>>> add = Fused(["{0} = {0} + $b".format("x1")], {"b": 0.5})
>>> fn = fuse([add], [1, 1])       # two channels of one element each
>>> fn([1.0], [2.0])
((1.0,), (2.5,))
>>> [rint(x) for x in (0.5, 1.5, -0.4, 2.0**60)]
[0.0, 2.0, -0.0, 1.152921504606847e+18]
"""

from __future__ import annotations

import builtins
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import CodeType, FunctionType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from randomizers.base import RandomizationContext, Randomizer

#: most rows of a block of draws, and most values in one (wide vectors draw fewer rows)
BLOCK_ROWS = 128
BLOCK_VALUES = 1024
#: vectors longer than this keep the generic NumPy path (the code is unrolled per element)
MAX_UNROLL = 32
MAGIC = 6755399441055744.0  # 1.5 * 2**52: (x + MAGIC) - MAGIC rounds x half to even
EXACT = 2251799813685248.0  # 2**51: below it the trick above is exact
_CACHE: dict[tuple[Any, ...], Any] = {}
_NAME = re.compile(r"\$(\w+)")


def rint(x: float) -> float:
    """``numpy.rint`` on a Python float, bit for bit (half to even, signed zeros, inf, NaN)."""
    if -EXACT < x < EXACT:
        return math.copysign((x + MAGIC) - MAGIC, x)
    if x - x == 0.0:  # large and finite
        return float(round(x))
    return x


@dataclass
class Fused:
    """What one transform does in this episode, as statements on local variables.

    In ``lines`` the elements of the vector are the names the randomizer was given
    (``x[i]`` for position ``i``), and every other name of the transform starts with
    ``$``: ``$name`` is ``names["name"]`` (a constant, state, a function) if it is
    there, else a temporary. Lines may be indented relative to each other.

    Args:
        lines: the statements.
        names: the values the ``$`` names refer to (never assigned by the lines).
        uses: positions the lines read or change (``None``: all).
        bounded: for commands: given commands within the actuator limits (which hold
            0), the lines keep them there, so the robot need not clip them again.
    """

    lines: list[str]
    names: dict[str, Any] = field(default_factory=dict)
    uses: Sequence[int] | None = None
    bounded: bool = False


#: the fused form of a transform that does nothing this episode
SKIP = Fused([], uses=())


def targets(x: Sequence[str], pos: Sequence[int]) -> str:
    """``"x0, x3,"``: the elements at ``pos`` as an assignment target (or a tuple)."""
    return "".join(f"{x[i]}, " for i in pos).rstrip(" ")


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


def generic(r: Randomizer, hook: str, ctx: RandomizationContext, rng: np.random.Generator,
            x: Sequence[str]) -> Fused:
    """``r``'s generic NumPy hook as a :class:`Fused` (for randomizers without a fast path)."""
    fn: Callable[..., Any] = getattr(r, hook)

    def call(*values: float) -> list[float]:
        out = fn(np.array(values, dtype=np.float64), ctx, rng)
        return np.asarray(out, dtype=np.float64).reshape(-1).tolist()  # type: ignore[no-any-return]

    every = targets(x, range(len(x)))
    return Fused([f"{every} = $call({every})"], {"call": call})


def fuse_hooks(randomizers: Sequence[Randomizer], hook: str, ctx: RandomizationContext,
               rng: np.random.Generator, sizes: Sequence[int], single: bool = False
               ) -> tuple[Callable[..., Any] | None, bool]:
    """This episode's ``hook`` (``action`` or ``observation``) of ``randomizers`` as one
    function of the channel lists (see :func:`fuse`; ``None`` if all of them skip), and
    whether every part is ``bounded``."""
    n = sum(sizes)
    x = [f"x{i}" for i in range(n)]
    parts = []
    for r in randomizers:
        part = getattr(r, f"fuse_{hook}")(ctx, rng, x) if n <= MAX_UNROLL else None
        if part is None:
            part = generic(r, hook, ctx, rng, x)
        if part is not SKIP and part.lines:
            parts.append(part)
    if not parts:
        return None, True
    return fuse(parts, sizes, single), all(part.bounded for part in parts)


def fuse(parts: Sequence[Fused], sizes: Sequence[int], single: bool = False
         ) -> Callable[..., Any]:
    """One function running ``parts`` in order on a vector made of channels of ``sizes``.

    It takes one list per channel and returns a tuple of sequences (new tuples for
    the channels the parts use, the given lists otherwise; it never changes them),
    or with ``single`` (one channel) that channel as a new list.
    """
    n = sum(sizes)
    names: dict[str, Any] = {}
    used: set[int] = set()
    for k, part in enumerate(parts):
        names.update({f"_k{k}_{key}": value for key, value in part.names.items()})
        used.update(range(n) if part.uses is None else part.uses)
    key = (tuple(tuple(part.lines) for part in parts), tuple(names), tuple(sorted(used)),
           tuple(sizes), single)
    code = _CACHE.get(key)
    if code is None:  # the same code every episode: compiled once, given new values
        if len(_CACHE) > 512:
            _CACHE.clear()
        module = compile(_source(parts, sizes, used, single, list(names)),
                         "<randomizers.fastpath>", "exec")
        code = _CACHE[key] = next(c for c in module.co_consts if isinstance(c, CodeType))
    # this episode's values are the defaults of the parameters after the channels: fast
    # locals, not globals
    return FunctionType(code, {"__builtins__": builtins}, "fused", tuple(names.values()))


def _source(parts: Sequence[Fused], sizes: Sequence[int], used: set[int], single: bool,
            names: Sequence[str]) -> str:
    """The text of :func:`fuse`'s function: channels that no part uses pass through."""
    x = [f"x{i}" for i in range(sum(sizes))]
    args = [f"c{k}" for k in range(len(sizes))]
    body, out, start = [], [], 0
    for arg, size in zip(args, sizes):
        if used.intersection(range(start, start + size)):
            body.append(f"{targets(x, range(start, start + size))} = {arg}")
            elements = ", ".join(x[start:start + size])
            out.append(f"[{elements}]" if single else f"({elements},)")  # tuples: cheaper
        else:
            out.append(arg)
        start += size
    for k, part in enumerate(parts):
        body += [_NAME.sub(f"_k{k}_" + r"\1", line) for line in part.lines]
    result = out[0] if single else "(" + ", ".join(out) + ",)"
    params = ", ".join(args + [f"{name}=None" for name in names])
    return (f"def fused({params}):\n" + "".join(f"    {line}\n" for line in body)
            + f"    return {result}\n")
