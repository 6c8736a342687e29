"""``s2r demo``: the loop on the emulated robot, in one command.

What runs today (system identification, training and gap reports join as their
issues land):

1. ``s2r emulate``: a Furuta pendulum on a pseudo terminal whose hidden "bench"
   truth differs from the nominal model;
2. ``s2r record``: a chirp excitation over the serial protocol, logged;
3. the recorded commands replayed in simulation with the nominal parameters
   and with the emulator's true ones: the reality gap, and how much of it
   identified parameters close;
4. ``s2r deploy`` of the same policy on the emulator and ``s2r rollout`` in sim.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

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
    from s2r.cli import main
    from s2r.config import load_structured
    from s2r.errors import ConfigError, DeviceError

    cfg = load_structured(DemoConfig, args.config, args.overrides)
    if cfg.duration <= 0 or cfg.episodes <= 0:
        raise ConfigError("duration and episodes must be > 0", where="<overrides>")
    console = Console()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    rec, dep, sim = (out / f"{n}.s2r.csv" for n in ("record", "deploy", "sim"))
    for path in (rec, dep, sim):
        path.unlink(missing_ok=True)
    console.rule("s2r demo: the sim-to-real loop on an emulated robot")
    emu_cfg = EmulatorConfig(robot=cfg.robot, truth="bench", mode="lockstep", seed=cfg.seed)
    with Emulator(emu_cfg) as emu:
        nominal = _nominal(cfg.robot)
        changed = sorted(n for n, v in emu.truth.items() if nominal.get(n) != v)
        console.print(f"[bold]1. emulate[/]: {cfg.robot} on {emu.port}; its hidden truth "
                      f"differs from the nominal model in {len(changed)} parameters "
                      f"({', '.join(changed[:4])}, ...)")
        console.print(f"[bold]2. record[/]: {cfg.duration:g} s chirp over the serial protocol")
        common = [f"port={emu.port}", "paced=false"]
        if main(["record", *common, f"robot={cfg.robot}", f"duration={cfg.duration}",
                 "excitation=chirp", f"seed={cfg.seed}", f"out={rec}"]) != 0:
            raise DeviceError("the recording failed (see above)")
        _gap(console, rec, cfg.robot, emu.truth)
        task = f"{cfg.robot}_swingup"
        console.print(f"[bold]4. deploy[/]: scripted:sine on {task}, on the emulator and in sim")
        if main(["deploy", *common, "policy=scripted:sine", f"task={task}",
                 f"episodes={cfg.episodes}", f"out={dep}"]) != 0:
            raise DeviceError("the deployment failed (see above)")
    main(["rollout", f"task={task}", "controller=sine", f"episodes={cfg.episodes}",
          f"out={sim}"])
    console.print(f"\nLogs in {out}/ (read them with s2r.logs.read_log or pandas). Next: "
                  "`s2r params furuta`, hardware/README.md, and README.md for the workflows.")
    return 0


def _nominal(robot_name: str) -> dict[str, float]:
    from s2r.sim import SimRobot

    with SimRobot(robot_name) as robot:
        return robot.params.nominal()


def _gap(console, log_path: Path, robot_name: str, truth: dict[str, float]) -> None:
    import numpy as np

    from s2r.compare import replay_commands, rms_gap
    from s2r.logs import read_log
    from s2r.sim import SimRobot

    episode = read_log(log_path).episodes[0]
    console.print("[bold]3. gap[/]: the recorded commands replayed in simulation, RMS joint "
                  "error against the recording")
    with SimRobot(robot_name) as robot:
        names = robot.spec.joint_names
        rows = []
        for label, params in (("nominal model", {}), ("true parameters", truth)):
            robot.reset_params()
            robot.set_params(params)
            q, _ = replay_commands(robot, episode.q[0], episode.qd[0], episode.u)
            gap = rms_gap(q, episode.q)
            rows.append(gap)
            console.print(f"   {label:16s} " + "  ".join(
                f"{n} {g:.4f} rad" for n, g in zip(names, gap, strict=True)))
    closed = 1.0 - float(np.sum(rows[1]) / max(float(np.sum(rows[0])), 1e-12))
    console.print(f"   the true parameters close {100 * closed:.0f} % of the gap; the rest is "
                  "noise, quantization, latency and friction the replay cannot see. System "
                  "identification (next issue) estimates them from logs like this one.")
