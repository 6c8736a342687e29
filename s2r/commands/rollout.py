"""``s2r rollout``: run episodes of a task in simulation with a policy.

    s2r rollout task=furuta_swingup policy=scripted:sine episodes=3 out=run.s2r.csv
    s2r rollout task=pendulum_swingup policy=pendulum.pt

``policy`` is a policy file (``s2r.policy.save_policy``) or ``scripted:<name>`` (zero,
random, sine), named as in ``s2r deploy``. The episodes run through the same runner,
safety layer (clipping, rate limit) and log format as on hardware
(:func:`s2r.rollout.rollout`). Ctrl-C exits 130, SIGTERM 143 and SIGHUP 129, each after
ending the log's open episode with ``# end`` saying why.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from s2r.cli import _overrides, command
from s2r.settings import setting


@dataclass
class RolloutConfig:
    """Options of ``s2r rollout`` (all settable as key=value)."""

    task: str = setting("furuta_swingup", "built-in task name or path to a task YAML")
    policy: str = setting("scripted:sine", "policy file, or scripted:<zero|random|sine>")
    episodes: int = setting(3, "number of episodes", ge=1)
    seed: int = setting(0, "seed of episode 0 (episode i uses seed + i)", ge=0)
    out: str | None = setting(None, "log file (.s2r.csv) to write; null: no log")
    max_steps: int | None = setting(None, "episode length in steps; null: the task's", ge=1)


def load_rollout_config(args: argparse.Namespace) -> RolloutConfig:
    """The config of a rollout; the old ``controller=`` key gets a clear error."""
    from s2r.config import load_structured
    from s2r.errors import ConfigError

    try:
        return load_structured(RolloutConfig, args.config, args.overrides)
    except ConfigError as err:
        if "unknown key 'controller'" in err.message:
            raise ConfigError("controller= is now policy=: write policy=scripted:<zero|random"
                              "|sine> or policy=FILE.pt", where=err.where) from None
        raise


@command("rollout", "run episodes of a task in simulation with a policy", _overrides,
         settings=RolloutConfig)
def rollout(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console
    from rich.progress import Progress

    from s2r.errors import ConfigError
    from s2r.rollout import rollout as run_rollout
    from s2r.runner import episode_line, episodes_line

    cfg = load_rollout_config(args)
    if cfg.episodes <= 0:
        raise ConfigError(f"episodes: must be > 0, got {cfg.episodes}", where="<overrides>")
    if cfg.out and Path(cfg.out).exists() and Path(cfg.out).stat().st_size:
        raise ConfigError("file exists (remove it or choose another out=)", where=cfg.out)
    console = Console()
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task(cfg.task, total=None)
        result = run_rollout(cfg.task, cfg.policy, episodes=cfg.episodes, seed=cfg.seed,
                             out=cfg.out, max_steps=cfg.max_steps,
                             on_step=lambda i, r: progress.advance(bar))
    for r in result.episodes:
        console.print(episode_line(r), highlight=False)
    console.print(episodes_line(result.episodes), highlight=False)
    if cfg.out:
        console.print(f"log written to {cfg.out}")
    return 0
