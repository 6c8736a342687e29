"""``s2r eval``: a policy in simulation, logged like ``s2r deploy`` logs it on hardware.

    s2r eval policy=runs/furuta/policy task=furuta_swingup episodes=10 out=eval-nominal
    s2r eval policy=scripted:sine task=furuta_swingup params=sysid-out/params.yaml out=eval-id
    s2r eval policy=scripted:sine task=furuta_swingup randomization=furuta_full out=eval-dr

Writes ``eval.s2r.csv`` and ``summary.json`` into ``out`` (:func:`s2r.evaluate.evaluate`);
``s2r report sim=OUT real=DEPLOY_DIR`` compares them with a deployment.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from s2r.cli import _overrides, command
from s2r.settings import setting


@dataclass
class EvalConfig:
    """Options of ``s2r eval`` (all settable as key=value)."""

    policy: str = setting("scripted:sine", "policy file or artifact dir, or scripted:<name>")
    task: str = setting("furuta_swingup", "built-in task name or path to a task YAML")
    params: str | None = setting(None, "YAML of parameter values (name: value) set on the "
                                 "sim robot, e.g. an `s2r sysid` params.yaml")
    randomization: str = setting("none", "a name, YAML file or `s2r sysid` dir (as in "
                                 "`s2r train`), or none")
    episodes: int = setting(5, "number of episodes", ge=1)
    seed: int = setting(0, "seed of episode 0 (episode i uses seed + i)", ge=0)
    out: str = setting("eval", "output directory (eval.s2r.csv, summary.json)")
    max_steps: int | None = setting(None, "episode length in steps; null: the task's", ge=1)


@command("eval", "evaluate a policy in simulation (log + summary.json)", _overrides,
         settings=EvalConfig)
def eval_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from s2r.config import load_structured
    from s2r.evaluate import evaluate
    from s2r.runner import episode_line, episodes_line

    cfg = load_structured(EvalConfig, args.config, args.overrides)
    console = Console()
    result = evaluate(cfg.policy, cfg.task, params=cfg.params, randomization=cfg.randomization,
                      episodes=cfg.episodes, seed=cfg.seed, out=cfg.out,
                      max_steps=cfg.max_steps)
    for r in result.episodes:
        console.print(episode_line(r), highlight=False)
    console.print(episodes_line(result.episodes), highlight=False)
    console.print(f"log and summary written to {result.out}/")
    return 0
