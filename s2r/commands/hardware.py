"""``s2r record`` and ``s2r deploy``: excite or run a policy on a device over a serial port.

Defaults live in ``configs/hardware/serial.yaml`` (shared link keys at the top, each
command's own under ``record:`` / ``deploy:``); ``key=value`` overrides are flat.
The work is done by library calls (:func:`hardware.session.record`,
:func:`hardware.session.deploy`); these commands map their configs and print.
A bad port, a handshake mismatch, a silent device or a safety stop is one line and a
non-zero exit (DeviceError 3, SafetyStop 4, TimingError 5 when ``max_overrun_fraction``
is set and exceeded); the log written so far stays readable and its ``# end`` line says
why it stopped. Ctrl-C exits 130, SIGTERM 143 and SIGHUP 129 (128 + the signal number),
each after the actuators are disabled (the device acknowledges the DISABLE) and the
log's ``# end`` line says ``interrupted: ...``. More than 5 % of the control periods
overrun prints a warning on stderr (the timing summary is in every ``# end`` line).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s2r.cli import _overrides, command
from s2r.settings import setting


@dataclass
class SerialConfig:
    """Link and runner settings shared by record and deploy (see serial.yaml)."""

    port: str = setting("???", "device path (/dev/ttyUSB0, /dev/pts/N) or a pyserial URL")
    baud: int = setting(1_000_000, "baud rate; must match the firmware", gt=0)
    low_latency: bool = setting(True, "ask the driver for low-latency mode (FTDI: 1 ms)")
    handshake_timeout: float = setting(3.0, "s to keep sending HELLO (boards reboot on open)",
                                       gt=0)
    reply_timeout: float | None = setting(None, "s to wait for one reply; null: 2 control "
                                          "periods, at least 5 ms", gt=0)
    max_retries: int = setting(2, "extra attempts per exchange before 'device silent'", ge=0)
    retry_window: int = setting(100, "exchanges the retry budget counts over", ge=1)
    retry_budget: int = setting(10, "most retries in the window before 'link unreliable'",
                                ge=0)
    watchdog_ms: int | None = setting(None, "device watchdog the host sets (SET_WATCHDOG, read "
                                      "back); null: 100 ms", ge=1, le=60000)
    reply_wait: float | None = setting(None, "null: wait for each reply; a fraction of the "
                                       "period: pipelined", gt=0, le=1)
    paced: bool = setting(True, "tick at the control rate; false: as fast as the device answers")
    rate: float | None = setting(None, "control rate in Hz; null: the robot's", gt=0)
    source: str = setting("auto", "log source", choices=("auto", "hardware", "emulator"))
    max_overrun_fraction: float | None = setting(None, "fail (exit 5) when more control periods "
                                                 "overran; null: warn above 5 %", ge=0, le=1)


@dataclass
class RecordConfig(SerialConfig):
    """Options of ``s2r record``."""

    robot: str = setting("furuta", "built-in robot name or a robot YAML path")
    excitation: str = setting("chirp", "excitation signal",
                              choices=("chirp", "prbs", "multisine", "policy"))
    duration: float = setting(10.0, "s of excitation", gt=0)
    amplitude: float | None = setting(None, "in the actuator unit; null: a quarter of the range",
                                      ge=0)
    offset: float | None = setting(None, "centre of the signal; null: middle of the range")
    kp: float = setting(2.0, "centring feedback u -= kp*q on the actuated joint", ge=0)
    kd: float = setting(0.0, "centring feedback u -= kd*qd on the actuated joint", ge=0)
    f0: float = setting(0.2, "Hz, low end of the band", gt=0)
    f1: float = setting(10.0, "Hz, high end of the band", gt=0)
    chirp: str = setting("log", "chirp sweep", choices=("log", "linear"))
    bit_period: float | None = setting(None, "PRBS s per bit; null: 0.44/f1", gt=0)
    frequencies: list[float] | None = setting(None, "multisine lines in Hz; null: "
                                              "n_frequencies log-spaced in [f0, f1]", gt=0)
    n_frequencies: int = setting(20, "multisine lines when frequencies is null", ge=1)
    seed: int = setting(0, "PRBS start state, multisine phases, random policy", ge=0)
    policy: str | None = setting(None, "excitation=policy: scripted:zero|sine|random or a .pt")
    task: str | None = setting(None, "excitation=policy: the task the policy observes; null: "
                               "<robot>_swingup")
    out: str = setting("rec.s2r.csv", "the log; an existing file is refused")


@dataclass
class DeployConfig(SerialConfig):
    """Options of ``s2r deploy``."""

    policy: str = setting("???", "a policy .pt file or scripted:sine|zero|random")
    task: str = setting("furuta_swingup", "built-in task name or a task YAML path")
    episodes: int = setting(1, "number of episodes", ge=1)
    seed: int = setting(0, "seeds the task's resets (episode i uses seed + i)", ge=0)
    max_steps: int | None = setting(None, "episode length; null: the task's", ge=1)
    settle: float = setting(0.0, "s with the actuators off between episodes", ge=0)
    out: str = setting("deploy.s2r.csv", "the log; an existing file is refused")


def load_config(schema: type[Any], section: str, args: argparse.Namespace) -> Any:
    """serial.yaml (shared keys + ``section``), then ``--config``, then overrides."""
    from omegaconf import OmegaConf

    from s2r.config import configs_dir, merge_into, parse_overrides, read_yaml
    from s2r.errors import ConfigError

    def flat(path: str) -> tuple[Any, str]:
        d = OmegaConf.to_container(read_yaml(path), resolve=False)
        assert isinstance(d, dict)
        own = d.get(section) or {}
        if not isinstance(own, dict):
            raise ConfigError(f"{section}: expected a mapping of {section} settings, got "
                              f"{own!r}", where=path)
        return {k: v for k, v in d.items() if k not in ("record", "deploy")} | own, path

    sources = [flat(str(configs_dir() / "hardware" / "serial.yaml"))]
    if args.config:
        sources.append(flat(args.config))
    if args.overrides:
        sources.append((parse_overrides(args.overrides), "<overrides>"))
    try:
        cfg = merge_into(schema, *sources)
    except ConfigError as err:
        if "missing mandatory value" not in err.message:
            raise
        key = err.message.split(":", 1)[0]
        hint = " (a device path such as /dev/ttyUSB0 or a pyserial URL)" if key == "port" else ""
        raise ConfigError(f"{key}= is required{hint}", where=err.where) from None
    if Path(cfg.out).exists() and Path(cfg.out).stat().st_size:
        raise ConfigError("file exists (remove it or choose another out=)", where=cfg.out)
    return cfg


def _report(session: Any, cfg: SerialConfig) -> None:
    """Print the link counters; poor timing goes to stderr, loudly (unless the user chose
    a ``max_overrun_fraction``, which the run then met)."""
    import sys

    from hardware.session import link_line
    from s2r.runner import timing_warning

    print(link_line(session.link))
    for r in session.episodes if cfg.max_overrun_fraction is None else ():
        poor = timing_warning(r.timing)
        if poor is not None:
            where = f" in episode {r.index}" if len(session.episodes) > 1 else ""
            print(f"s2r: warning: poor timing{where}: {poor}; rows came late or irregularly "
                  "(a loaded machine?), which biases system identification; "
                  "max_overrun_fraction= makes this an error", file=sys.stderr)


def _paced_rate(timing: dict[str, float]) -> float | None:
    target = timing.get("target_rate", float("nan"))
    return target if target == target else None  # NaN: unpaced


@command("record", "excite a robot over a serial port and log it (for system identification)",
         _overrides, settings=RecordConfig, defaults="configs/hardware/serial.yaml")
def record(args: argparse.Namespace) -> int:
    from hardware.session import record as record_session
    from s2r.runner import timing_line

    cfg: RecordConfig = load_config(RecordConfig, "record", args)
    session = record_session(cfg, say=print)
    print("timing: " + timing_line(session.episodes[0].timing, session.rate))
    _report(session, cfg)
    print(f"log written to {cfg.out}")
    return 0


@command("deploy", "run a policy on a robot over a serial port through its task, and log it",
         _overrides, settings=DeployConfig, defaults="configs/hardware/serial.yaml")
def deploy(args: argparse.Namespace) -> int:
    from hardware.session import deploy as deploy_session
    from s2r.runner import RunResult, episode_line, episodes_line, timing_line

    cfg: DeployConfig = load_config(DeployConfig, "deploy", args)

    def show(r: RunResult) -> None:
        print(episode_line(r))
        print("  timing: " + timing_line(r.timing, _paced_rate(r.timing)))

    session = deploy_session(cfg, say=print, on_episode=show)
    _report(session, cfg)
    print(episodes_line(session.episodes))
    print(f"log written to {cfg.out}")
    return 0
