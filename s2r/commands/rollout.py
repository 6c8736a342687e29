"""``s2r rollout``: run episodes of a task in simulation with a scripted controller."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from s2r.cli import _overrides, command
from s2r.settings import setting

CONTROLLERS = ("zero", "random", "sine")


@dataclass
class RolloutConfig:
    """Options of ``s2r rollout`` (all settable as key=value)."""

    task: str = setting("furuta_swingup", "built-in task name or path to a task YAML")
    controller: str = setting("sine", "scripted controller", choices=CONTROLLERS)
    episodes: int = setting(3, "number of episodes", ge=1)
    seed: int = setting(0, "seed of episode 0 (episode i uses seed + i)", ge=0)
    out: str | None = setting(None, "log file (.s2r.csv) to write; null: no log")
    max_steps: int | None = setting(None, "episode length in steps; null: the task's", ge=1)


@command("rollout", "run episodes of a task in simulation with a scripted controller",
         _overrides, settings=RolloutConfig)
def rollout(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from s2r.config import load_structured
    from s2r.errors import ConfigError
    from s2r.logs import LogWriter
    from s2r.rollout import log_meta, make_controller, run_episodes
    from s2r.tasks.config import make_task

    cfg = load_structured(RolloutConfig, args.config, args.overrides)
    if cfg.episodes <= 0:
        raise ConfigError(f"episodes: must be > 0, got {cfg.episodes}", where="<overrides>")
    overrides = [] if cfg.max_steps is None else [f"max_steps={cfg.max_steps}"]
    env = make_task(cfg.task, overrides)
    console = Console()
    try:
        policy = make_controller(cfg.controller, env, cfg.seed)
        writer = None
        if cfg.out:
            meta = log_meta(env.robot.spec, "sim", params=env.robot.get_params(),  # type: ignore[attr-defined]
                            policy=f"controller:{cfg.controller}", task=cfg.task)
            writer = LogWriter(cfg.out, meta, extra_columns=["reward"])
        with Progress(console=console, transient=True) as progress:
            bar = progress.add_task(f"{cfg.task}", total=cfg.episodes * env.max_steps)
            results = run_episodes(env, policy, cfg.episodes, cfg.seed, writer,
                                   on_step=lambda i, r: progress.advance(bar))
        if writer is not None:
            writer.close()
        for r in results:
            console.print(f"episode {r.index}: return {r.ret:9.3f}  steps {r.steps:4d}  "
                          f"({r.reason})")
        if cfg.out:
            console.print(f"log written to {cfg.out}")
    finally:
        env.close()
    return 0
