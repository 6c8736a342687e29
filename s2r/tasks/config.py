"""Task configs (``configs/tasks/*.yaml``) and building a task from one.

>>> env = make_task("pendulum_swingup", ["max_steps=10"])
>>> env.max_steps
10
>>> env.close()
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from s2r.config import merge_into, parse_overrides, read_yaml, resolve_config_path
from s2r.errors import ConfigError, ParameterError, S2RError
from s2r.tasks import TASKS, RobotTask


@dataclass
class TaskConfig:
    """Schema of a task YAML: which task, on which robot, episode length, parameters."""

    task: str = "???"
    robot: str | None = None  # built-in robot name or path to a robot YAML
    max_steps: int | None = None
    params: dict[str, float] = field(default_factory=dict)


def load_task_config(name_or_path: str | os.PathLike[str],
                     overrides: Sequence[str] = ()) -> tuple[TaskConfig, str]:
    """Load a task config; returns it and the file it came from."""
    path = resolve_config_path("tasks", name_or_path)
    sources = [(read_yaml(path), str(path))]
    if overrides:
        sources.append((parse_overrides(overrides), "<overrides>"))
    cfg = merge_into(TaskConfig, *sources)
    if cfg.task not in TASKS:
        raise ConfigError(f"task: unknown task '{cfg.task}' (known: {', '.join(TASKS)})",
                          where=str(path))
    if cfg.max_steps is not None and cfg.max_steps <= 0:
        raise ConfigError(f"max_steps: must be > 0, got {cfg.max_steps}", where=str(path))
    return cfg, str(path)


def make_task(name_or_path: str | os.PathLike[str], overrides: Sequence[str] = (),
              **kwargs: object) -> RobotTask:
    """Build the task of a task config (name or YAML path) with overrides."""
    cfg, where = load_task_config(name_or_path, overrides)
    cls = TASKS[cfg.task][1]
    try:
        return cls(cfg.robot, max_steps=cfg.max_steps, params=dict(cfg.params) or None,
                   **kwargs)  # type: ignore[arg-type]
    except ParameterError as err:  # from ``params:``: name the key and the task file
        raise ConfigError(f"params.{err.where}: {err.message}" if err.where else
                          f"params: {err.message}", where=where) from None
    except S2RError as err:
        if err.where is None:
            err.where = where
        raise
