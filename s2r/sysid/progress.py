"""A live progress line for :func:`s2r.sysid.identify` on the terminal (rich).

>>> import io
>>> from rich.console import Console
>>> out = Console(file=io.StringIO(), force_terminal=True)
>>> with sysid_progress(out) as show:
...     show("fit", 12, 3.5)
...     show("fit", 30, 1.75)
>>> "sysid fitting" in out.file.getvalue() and "50.0% of the first" in out.file.getvalue()
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: what each stage of ``identify``'s progress callback means
STAGES = {"effect": "checking each parameter's effect", "fit": "fitting",
          "analyse": "uncertainty (Jacobian at the fit)",
          "dropo": "DROPO: fitting the randomization to the data",
          "validate": "held-out validation and report"}


@contextmanager
def sysid_progress(console: Any = None) -> Iterator[Callable[[str, int, float], None]]:
    """A spinner with the stage, the evaluations so far, the best cost and the rate; yields
    the callback to pass as ``identify(progress=...)``. Gone from the terminal on exit."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                  TextColumn("[cyan]{task.completed} evaluations"),
                  TextColumn("{task.fields[cost]}"), TextColumn("{task.fields[rate]}"),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("sysid: reading logs", total=None, cost="", rate="")
        state: dict[str, float] = {}

        def show(stage: str, n: int, cost: float) -> None:
            now = time.monotonic()
            t0 = state.setdefault("t0", now)
            best = ""
            if not math.isnan(cost):
                first = state.setdefault("cost0", cost)
                best = f"best cost {cost:.6g}" + (f" ({cost / first:.1%} of the first)"
                                                  if first > 0 else "")
            rate = f"{n / (now - t0):.1f}/s" if n and now > t0 else ""
            progress.update(task, description=f"sysid {STAGES.get(stage, stage)}",
                            completed=n, cost=best, rate=rate)

        yield show
