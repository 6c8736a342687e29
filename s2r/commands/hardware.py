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


@dataclass
class SerialConfig:
    """Link and runner settings shared by record and deploy (see serial.yaml)."""

    port: str = "???"
    baud: int = 1_000_000
    low_latency: bool = True
    handshake_timeout: float = 3.0
    reply_timeout: float | None = None
    max_retries: int = 2
    retry_window: int = 100
    retry_budget: int = 10
    watchdog_ms: int | None = None
    reply_wait: float | None = None
    paced: bool = True
    rate: float | None = None
    source: str = "auto"
    max_overrun_fraction: float | None = None  # fail (exit 5) above this; None: warn only


@dataclass
class RecordConfig(SerialConfig):
    """Options of ``s2r record``."""

    robot: str = "furuta"
    excitation: str = "chirp"
    duration: float = 10.0
    amplitude: float | None = None
    offset: float | None = None
    kp: float = 2.0
    kd: float = 0.0
    f0: float = 0.2
    f1: float = 10.0
    chirp: str = "log"
    bit_period: float | None = None
    frequencies: list[float] | None = None
    n_frequencies: int = 20
    seed: int = 0
    policy: str | None = None
    task: str | None = None
    out: str = "rec.s2r.csv"


@dataclass
class DeployConfig(SerialConfig):
    """Options of ``s2r deploy``."""

    policy: str = "???"
    task: str = "furuta_swingup"
    episodes: int = 1
    seed: int = 0
    max_steps: int | None = None
    settle: float = 0.0
    out: str = "deploy.s2r.csv"


def load_config(schema: type[Any], section: str, args: argparse.Namespace) -> Any:
    """serial.yaml (shared keys + ``section``), then ``--config``, then overrides."""
    from omegaconf import OmegaConf

    from s2r.config import configs_dir, merge_into, parse_overrides, read_yaml
    from s2r.errors import ConfigError

    def flat(path: str) -> tuple[Any, str]:
        d = OmegaConf.to_container(read_yaml(path), resolve=False)
        assert isinstance(d, dict)
        own = d.get(section) or {}
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
    if cfg.source not in ("auto", "hardware", "emulator"):
        raise ConfigError(f"source: must be auto, hardware or emulator, got {cfg.source!r}",
                          where="<config>")
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
         _overrides)
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
         _overrides)
def deploy(args: argparse.Namespace) -> int:
    from hardware.session import deploy as deploy_session
    from s2r.runner import RunResult, timing_line

    cfg: DeployConfig = load_config(DeployConfig, "deploy", args)

    def show(r: RunResult) -> None:
        print(f"episode {r.index}: return {r.ret:9.3f}  steps {r.steps:4d}  ({r.reason})")
        print("  timing: " + timing_line(r.timing, _paced_rate(r.timing)))

    session = deploy_session(cfg, say=print, on_episode=show)
    _report(session, cfg)
    print(f"mean return {session.mean_return:.3f} over {len(session.episodes)} episodes")
    print(f"log written to {cfg.out}")
    return 0
