"""``s2r train``: train a policy with randomization and write the policy artifact."""

from __future__ import annotations

import argparse
from pathlib import Path

from s2r.cli import _overrides, command


@command("train", "train a policy (SB3 PPO/SAC) with randomization; writes out/policy",
         _overrides, settings="s2r.train.config:TrainConfig")
def train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from s2r.train import train as run_training
    from s2r.train.config import check_config, load_train_config

    cfg = check_config(load_train_config(args.config, args.overrides),
                       where=args.config or "<overrides>")
    result = run_training(cfg)
    console = Console(soft_wrap=True)  # paths stay on one line in log files
    best = result.best or {}
    nominal = best.get("nominal") or {}
    console.print(f"trained {result.trained_steps} steps in {result.seconds:.1f} s "
                  f"({result.steps_per_second:.0f} steps/s); run total {result.steps} steps")
    if nominal:
        console.print(f"best policy (at {best['steps']} steps): nominal return "
                      f"{nominal['mean_return']:.2f}, success {nominal['success_rate']:.0%}")
    randomized = best.get("randomized")
    if randomized:
        console.print(f"  on the randomized distribution: return "
                      f"{randomized['mean_return']:.2f}, success {randomized['success_rate']:.0%}")
    console.print(f"policy artifact: {result.policy}  (final weights: {result.last_policy})")
    console.print(f"TensorBoard logs: {result.out / 'tb'}")
    return 0


@command("sweep", "train a grid of option values (s2r train per trial) as Ray tasks; "
         "prints a results table", _overrides, settings="s2r.train.sweep:SweepConfig")
def sweep(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from s2r.config import load_structured
    from s2r.train.sweep import SweepConfig
    from s2r.train.sweep import sweep as run_sweep

    cfg = load_structured(SweepConfig, args.config, args.overrides)
    rows = run_sweep(cfg)
    table = Table("trial", "options", "best nominal return", "success", "at step")
    failed = 0
    for row in rows:
        options = " ".join(f"{k}={v}" for k, v in row["options"].items())
        nominal = (row.get("best") or {}).get("nominal")
        if "error" in row:
            failed += 1
            table.add_row(row["trial"], options, f"error: {row['error']}", "", "")
        elif nominal:
            table.add_row(row["trial"], options, f"{nominal['mean_return']:.2f}",
                          f"{nominal['success_rate']:.0%}", str(row["best"]["steps"]))
        else:
            table.add_row(row["trial"], options, "-", "-", "-")
    console = Console(soft_wrap=True)
    if not console.is_terminal:  # a log file: the whole table
        console = Console(soft_wrap=True, width=160)
    console.print(table)
    if rows:
        console.print(f"runs and sweep.json in {Path(rows[0]['out']).parent}")
    return 2 if failed else 0  # a trial failed: its error is in the table
