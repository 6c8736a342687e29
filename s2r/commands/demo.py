"""``s2r demo``: the whole loop on the emulated robot in one command.

Until the emulator, system identification, training and gap reports land
(their own issues), the demo runs what exists end to end: the built-in robots
and their named parameters, each task in simulation with a scripted
controller, a nominal vs. perturbed-parameter comparison, and the logs
written and read back.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from s2r.cli import _overrides, command


@dataclass
class DemoConfig:
    out: str = "s2r-demo"  # directory for logs
    episodes: int = 2
    seed: int = 0


@command("demo", "run the whole loop that exists so far, end to end, and explain it", _overrides)
def demo(args: argparse.Namespace) -> int:
    import numpy as np
    from rich.console import Console

    from s2r.config import load_structured
    from s2r.logs import LogWriter, read_log
    from s2r.rollout import log_meta, make_controller, run_episodes
    from s2r.sim import SimRobot
    from s2r.tasks.config import make_task

    cfg = load_structured(DemoConfig, args.config, args.overrides)
    console = Console()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    console.rule("s2r demo")
    console.print("Today the demo runs the simulation half of the loop: robots with named "
                  "physical parameters, Gymnasium tasks and logs. The emulated device, system "
                  "identification, training and gap reports join as their issues land.\n")
    for task in ("cartpole_balance", "pendulum_swingup", "furuta_swingup"):
        runs = {}
        for label in ("nominal", "perturbed"):
            env = make_task(task)
            robot = env.robot
            assert isinstance(robot, SimRobot)
            if label == "perturbed":  # heavier moving links, more friction: what reality may do
                params = {n: min(p.high, p.nominal * 1.5) for n, p in robot.params.items()
                          if n.endswith(".mass")}
                params.update({n: p.high * 0.5 for n, p in robot.params.items()
                               if n.endswith(".damping")})
                robot.set_params(params)
            path = out / f"{task}-{label}.s2r.csv"
            path.unlink(missing_ok=True)
            meta = log_meta(robot.spec, "sim", params=robot.get_params(),
                            policy="controller:sine", task=task, variant=label)
            with LogWriter(path, meta, extra_columns=["reward"]) as writer:
                results = run_episodes(env, make_controller("sine", env), cfg.episodes,
                                       cfg.seed, writer)
            env.close()
            log = read_log(path)
            runs[label] = (results, log)
        (nom, nlog), (per, plog) = runs["nominal"], runs["perturbed"]
        n = min(len(nlog.episodes[0].q), len(plog.episodes[0].q))
        gap = float(np.sqrt(np.mean((nlog.episodes[0].q[:n] - plog.episodes[0].q[:n]) ** 2)))
        console.print(f"[bold]{task}[/]: mean return nominal "
                      f"{np.mean([r.ret for r in nom]):8.2f}, perturbed "
                      f"{np.mean([r.ret for r in per]):8.2f}; joint RMS gap, same commands "
                      f"(episode 0): {gap:.4f}; logs in {out}/{task}-*.s2r.csv "
                      f"({len(nlog.frame) + len(plog.frame)} rows)")
    console.print("\nNext: `s2r params furuta` for the parameter vocabulary, `s2r rollout "
                  "--help`, and README.md for the workflows.")
    return 0
