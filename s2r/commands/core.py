"""``s2r robots``, ``s2r params ROBOT``, ``s2r tasks``."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from s2r.cli import command


def _robot_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("robot", help="built-in robot name or path to a robot YAML")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="robot YAML overrides")


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
    from s2r.sim import SimRobot

    with SimRobot(args.robot, overrides=args.overrides) as robot:
        table = Table("name", "nominal", "low", "high", "unit", "meaning", box=None,
                      title=f"{robot.description.name}: {len(robot.params)} parameters")
        for name, nominal, low, high, unit, meaning in robot.params.rows():
            table.add_row(name, f"{nominal:.6g}", f"{low:.6g}", f"{high:.6g}", unit, meaning)
        Console(width=200).print(table)
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
