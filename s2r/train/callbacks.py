"""SB3 callbacks of a training run: a rich progress bar, and the run's periodic work.

:class:`PeriodicCallback` calls a function whenever ``num_timesteps`` crosses a
multiple of ``every`` (evaluation); :class:`BeforeRolloutCallback` calls one before every
rollout (checkpoints, which a resumed run continues exactly); :class:`ResumedSchedule`
resumes a curriculum with the scales the envs had; :class:`ProgressCallback`
shows steps, ETA and the last evaluation on the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from randomizers.callbacks import ScheduleCallback
from randomizers.schedules import Curriculum


class PeriodicCallback(BaseCallback):
    """Call ``fn(num_timesteps)`` each time the step count crosses a multiple of ``every``."""

    def __init__(self, every: int, fn: Callable[[int], None]) -> None:
        super().__init__()
        self.every = every
        self.fn = fn
        self._next = 0

    def _on_training_start(self) -> None:
        self._next = (self.num_timesteps // self.every + 1) * self.every

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next = (self.num_timesteps // self.every + 1) * self.every
            self.fn(self.num_timesteps)
        return True


class BeforeRolloutCallback(BaseCallback):
    """Call ``fn(num_timesteps)`` at the start of every rollout (SB3's ``on_rollout_start``:
    the previous update is done and nothing of the next rollout is collected yet)."""

    def __init__(self, fn: Callable[[int], None]) -> None:
        super().__init__()
        self.fn = fn

    def _on_rollout_start(self) -> None:
        self.fn(self.num_timesteps)

    def _on_step(self) -> bool:
        return True


class ResumedSchedule(ScheduleCallback):
    """A curriculum's :class:`~randomizers.callbacks.ScheduleCallback` that starts from the
    scales the envs had (``scales``, from a checkpoint): those last pushed, which may lag
    the schedule by up to its resolution, not the schedule's value now."""

    def __init__(self, curriculum: Curriculum, scales: dict[str, float]) -> None:
        super().__init__(curriculum)
        self.restored = dict(scales)

    def _on_training_start(self) -> None:
        super()._on_training_start()  # checks the envs, pushes the schedule's values
        for name, f in self.restored.items():
            self.training_env.env_method("call_randomizers", "__setattr__", "scale", f,
                                         names=[name])
            self.current[name] = f
        self.restored = {}


class ProgressCallback(BaseCallback):
    """A rich progress bar over the run's total steps, with ETA and a status text."""

    def __init__(self, total: int, description: str) -> None:
        super().__init__()
        self.total = total
        self.description = description
        self.status = ""
        self._progress: Any = None
        self._bar: Any = None

    def _on_training_start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console()
        if not console.is_terminal:  # a log file: room for the whole line
            console = Console(width=160)
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(bar_width=30),
                                  MofNCompleteColumn(), TextColumn("steps"), TimeElapsedColumn(),
                                  TextColumn("ETA"), TimeRemainingColumn(),
                                  TextColumn("{task.fields[status]}"), console=console)
        self._progress.start()
        self._bar = self._progress.add_task(self.description, total=self.total,
                                            completed=self.num_timesteps, status=self.status)

    def _on_step(self) -> bool:
        if self.n_calls % 16 == 0:
            self._update()
        return True

    def _update(self) -> None:  # a rollout may end past the total: the bar follows
        self._progress.update(self._bar, completed=self.num_timesteps, status=self.status,
                              total=max(self.total, self.num_timesteps))

    def set_status(self, text: str) -> None:
        self.status = text
        if self._progress is not None:
            self._update()

    def _on_training_end(self) -> None:
        if self._progress is not None:
            self._update()
            self._progress.stop()
            self._progress = None
