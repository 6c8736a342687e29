"""``s2r demo``: the sim-to-real loop on an emulated robot, in one command.

1. emulate: a Furuta pendulum on a pseudo terminal whose hidden "bench" truth differs
   from the nominal model (the count is the one ``s2r emulate`` prints);
2. record: a chirp excitation over the serial protocol, logged
   (:func:`hardware.session.record`);
3. gap: the recorded commands replayed in simulation with the nominal parameters and
   with the emulator's true ones; the gap is the RMS joint error as a percentage of the
   recorded range of each joint (NRMSE, :func:`s2r.compare.nrmse`);
4. deploy and rollout: the same policy on the emulator (:func:`hardware.session.deploy`)
   and in simulation (:func:`s2r.rollout.rollout`), through the same runner and safety
   layer.

Each step is a library call; the logs land in ``out`` (default ``s2r-demo/``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from s2r.cli import _overrides, command
from s2r.settings import setting


@dataclass
class DemoConfig:
    """Options of ``s2r demo``."""

    out: str = setting("s2r-demo", "directory for the logs")
    robot: str = setting("furuta", "built-in robot to emulate", choices=("furuta", "pendulum",
                                                                         "cartpole"))
    duration: float = setting(5.0, "seconds of excitation", gt=0)
    episodes: int = setting(2, "episodes deployed and rolled out", ge=1)
    seed: int = setting(0, "seeds the emulator and the excitation", ge=0)


@command("demo", "run the loop on an emulated robot end to end, and explain it", _overrides,
         settings=DemoConfig)
def demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    from hardware.emulator import Emulator, EmulatorConfig
    from hardware.session import deploy, record
    from s2r.commands.emulate import truth_differences
    from s2r.commands.hardware import DeployConfig, RecordConfig
    from s2r.config import load_structured
    from s2r.errors import ConfigError
    from s2r.rollout import rollout
    from s2r.runner import stop_on_signals

    cfg = load_structured(DemoConfig, args.config, args.overrides)
    if cfg.duration <= 0 or cfg.episodes <= 0:
        raise ConfigError("duration and episodes must be > 0", where="<overrides>")
    console = Console()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    rec, dep, sim = (out / f"{n}.s2r.csv" for n in ("record", "deploy", "sim"))
    for path in (rec, dep, sim):
        path.unlink(missing_ok=True)
    task = f"{cfg.robot}_swingup"
    console.rule("s2r demo: the sim-to-real loop on an emulated robot")
    emu_cfg = EmulatorConfig(robot=cfg.robot, truth="bench", mode="lockstep", seed=cfg.seed)
    with stop_on_signals(), Emulator(emu_cfg) as emu:
        changed = truth_differences(emu)
        console.print(f"[bold]1. emulate[/]: {cfg.robot} on {emu.port}; its hidden truth "
                      f"differs from the nominal model in {len(changed)} parameters "
                      f"({', '.join(changed[:4])}, ...)")
        console.print(f"[bold]2. record[/]: {cfg.duration:g} s chirp over the serial protocol")
        record(RecordConfig(port=emu.port, paced=False, robot=cfg.robot,
                            duration=cfg.duration, excitation="chirp", seed=cfg.seed,
                            out=str(rec)))
        _gap(console, rec, cfg.robot, emu.truth)
        console.print(f"[bold]4. deploy[/]: scripted:sine on {task}, on the emulator and in sim")
        hw = deploy(DeployConfig(port=emu.port, paced=False, policy="scripted:sine", task=task,
                                 episodes=cfg.episodes, seed=cfg.seed, out=str(dep)))
    sm = rollout(task, "scripted:sine", episodes=cfg.episodes, seed=cfg.seed, out=sim)
    console.print(f"   mean return: emulator {hw.mean_return:.2f}, simulation "
                  f"{sm.mean_return:.2f} (same task, policy, reset seeds and safety layer)")
    console.print(f"\nLogs in {out}/ (read them with s2r.logs.read_log or pandas). See "
                  "`s2r params furuta`, hardware/README.md, and README.md for the workflows.")
    return 0


def _gap(console: Any, log_path: Path, robot_name: str, truth: dict[str, float]) -> None:
    from s2r.compare import nrmse, replay_commands
    from s2r.logs import read_log
    from s2r.sim import SimRobot

    episode = read_log(log_path).episodes[0]
    span = np.ptp(episode.q, axis=0)
    console.print("[bold]3. gap[/]: the recorded commands replayed in simulation; RMS joint "
                  "error against the recording, in % of each joint's recorded range")
    gaps = []
    with SimRobot(robot_name) as robot:
        names, units = robot.spec.joint_names, [j.units[0] for j in robot.spec.joints]
        for label, params in (("nominal model", {}), ("true parameters", truth)):
            robot.reset_params()
            robot.set_params(params)
            q, _ = replay_commands(robot, episode.q[0], episode.qd[0], episode.u)
            gaps.append(100 * nrmse(q, episode.q))
            console.print(f"   {label:16s} " + "  ".join(
                f"{n} {g:.2f} % of {s:.2f} {u}" for n, g, s, u
                in zip(names, gaps[-1], span, units, strict=True)))
    before, after = float(np.nanmean(gaps[0])), float(np.nanmean(gaps[1]))
    console.print(f"   mean gap {before:.2f} % with the nominal model, {after:.2f} % with the "
                  f"true parameters ({before / max(after, 1e-9):.0f} times smaller).")
    console.print("   The remainder is what the emulated bench draws at random on every run "
                  "(position noise and the jitter of its actuation delay), which no parameter "
                  "value reproduces. Estimating the true parameters from a recording like "
                  "this one is system identification (`s2r sysid`); here the emulator's "
                  "hidden truth stands in for that estimate.")
