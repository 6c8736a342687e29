"""``s2r robots``, ``s2r params ROBOT``, ``s2r tasks``."""

from __future__ import annotations

import argparse
import math

from rich.console import Console
from rich.table import Table

from s2r.cli import command


def _robot_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("robot", help="built-in robot name or path to a robot YAML")
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="robot YAML overrides (control_rate=100) or parameter values "
                        "(link.pole.mass=0.2, shown in a value column)")


def split_overrides(overrides: list[str]) -> tuple[list[str], dict[str, float]]:
    """Robot-YAML overrides and ``parameter=value`` settings, told apart by their first key.

    >>> split_overrides(["control_rate=100", "link.pole.mass=0.2"])
    (['control_rate=100'], {'link.pole.mass': 0.2})
    """
    from s2r.errors import ConfigError
    from s2r.sim.description import RobotConfig

    yaml_keys, params = [], {}
    for item in overrides:
        key, _, value = item.partition("=")
        head = key.split(".", 1)[0].split("[", 1)[0]
        if head in RobotConfig.__dataclass_fields__ or "." not in key:
            yaml_keys.append(item)
            continue
        try:
            params[key] = float(value)
        except ValueError:
            params[key] = math.nan
        if not math.isfinite(params[key]):
            raise ConfigError(f"{key}: a parameter value must be a finite number, got {value!r}",
                              where="<overrides>")
    return yaml_keys, params


@command("robots", "list the built-in robots")
def robots(args: argparse.Namespace) -> int:
    from s2r.config import builtin_names
    from s2r.sim import load_robot_description

    table = Table("robot", "joints", "actuators", "rate [Hz]", "file", box=None)
    for name in builtin_names("robots"):
        d = load_robot_description(name)
        acts = ", ".join(f"{a.joint} ({a.type} {a.low:g}..{a.high:g})" for a in d.actuators)
        table.add_row(name, ", ".join(j.name for j in d.joints), acts, f"{d.control_rate:g}",
                      d.source)
    Console().print(table)
    return 0


@command("params", "print a robot's parameter table (name, nominal, bounds, unit, meaning)",
         _robot_args)
def params(args: argparse.Namespace) -> int:
    from s2r.errors import ConfigError, ParameterError
    from s2r.sim import SimRobot

    yaml_overrides, values = split_overrides(args.overrides)
    try:
        robot = SimRobot(args.robot, overrides=yaml_overrides, params=values)
    except ParameterError as err:
        hint = (f"; `s2r params {args.robot}` lists the parameter names (robot YAML keys such "
                "as control_rate=100 are accepted too)" if "unknown" in err.message else "")
        raise ConfigError(f"{err}{hint}", where="<overrides>") from None
    with robot:
        columns = ("name", *(("value",) if values else ()), "nominal", "low", "high", "unit",
                   "meaning")
        table = Table(*columns, box=None,
                      title=f"{robot.description.name}: {len(robot.params)} parameters")
        current = robot.get_params()
        for name, nominal, low, high, unit, meaning in robot.params.rows():
            value = (f"{current[name]:.6g}" + (" *" if name in values else ""),) if values else ()
            table.add_row(name, *value, f"{nominal:.6g}", f"{low:.6g}", f"{high:.6g}", unit,
                          meaning)
        Console(width=200).print(table)
        if values:
            print("* set on the command line")
        if robot.inert_parameters:
            print(f"left out (cannot change the motion): {', '.join(robot.inert_parameters)}")
    return 0


@command("tasks", "list the built-in tasks and their Gymnasium ids")
def tasks(args: argparse.Namespace) -> int:
    from s2r.config import builtin_names
    from s2r.tasks import TASKS
    from s2r.tasks.config import load_task_config

    table = Table("task", "gymnasium id", "robot", "summary", box=None)
    for name in builtin_names("tasks"):
        cfg, _ = load_task_config(name)
        gym_id, cls = TASKS[cfg.task]
        table.add_row(name, gym_id, cfg.robot or cls.default_robot,
                      (cls.__doc__ or "").strip().splitlines()[0])
    Console(width=160).print(table)
    return 0
