"""Task configs (``configs/tasks/*.yaml``) and building a task from one.

>>> env = make_task("pendulum_swingup", ["max_steps=10"])
>>> env.max_steps
10
>>> env.close()
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from s2r.config import merge_into, parse_overrides, read_yaml, resolve_config_path
from s2r.errors import ConfigError, ParameterError, S2RError
from s2r.settings import setting
from s2r.tasks import TASKS, RobotTask


@dataclass
class TaskConfig:
    """Schema of a task YAML: which task, on which robot, episode length, parameters."""

    task: str = setting("???", "the task class (a key of s2r.tasks.TASKS)")
    robot: str | None = setting(None, "built-in robot name or robot YAML path (relative: to "
                                "the task file); null: the task's default robot")
    max_steps: int | None = setting(None, "episode length; null: the task's", gt=0)
    params: dict[str, float] = setting(help="parameter values set on the robot", factory=dict)


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
    if cfg.robot is not None:
        from_overrides = any(o.split("=", 1)[0].strip() == "robot" for o in overrides)
        cfg.robot = _robot_path(cfg.robot, None if from_overrides else path,
                                "<overrides>" if from_overrides else str(path))
    return cfg, str(path)


def _robot_path(robot: str, task_file: Path | None, where: str) -> str:
    """A robot name, or a robot YAML path found beside the task file or else from the cwd."""
    if task_file is not None and (robot.endswith((".yaml", ".yml")) or os.sep in robot):
        beside = task_file.parent / Path(robot).expanduser()
        if beside.is_file():
            return str(beside)
    try:
        resolve_config_path("robots", robot)
    except ConfigError as err:
        message = err.message
        if message == "no such config file":
            looked = " beside the task file or" if task_file is not None else ""
            message = f"no robot YAML '{robot}'{looked} in the working directory"
        raise ConfigError(f"robot: {message}", where=where) from None
    return robot


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
