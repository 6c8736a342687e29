"""``s2r record`` and ``s2r deploy``: excite or run a policy on a device over a serial port.

Defaults live in ``configs/hardware/serial.yaml`` (shared link keys at the top, each
command's own under ``record:`` / ``deploy:``); ``key=value`` overrides are flat.
A bad port, a handshake mismatch, a silent device or a safety stop is one line and a
non-zero exit (DeviceError 3, SafetyStop 4); the log written so far stays readable and
its ``# end`` line says why it stopped.
"""

from __future__ import annotations

import argparse
import dataclasses
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
    watchdog_ms: int | None = setting(None, "SET_WATCHDOG timeout in ms; null: keep the "
                                      "device's", ge=1, le=60000)
    reply_wait: float | None = setting(None, "null: wait for each reply; a fraction of the "
                                       "period: pipelined", gt=0, le=1)
    paced: bool = setting(True, "tick at the control rate; false: as fast as the device answers")
    rate: float | None = setting(None, "control rate in Hz; null: the robot's", gt=0)
    source: str = setting("auto", "log source", choices=("auto", "hardware", "emulator"))


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


def _spec(robot: str, rate: float | None) -> Any:
    from hardware.serial_robot import spec_from_description
    from s2r.sim import load_robot_description

    spec = spec_from_description(load_robot_description(robot))
    return dataclasses.replace(spec, control_rate=rate) if rate else spec


def _open(cfg: SerialConfig, spec: Any) -> Any:
    from hardware.serial_robot import SerialRobot

    return SerialRobot(spec, cfg.port, baud=cfg.baud, reply_timeout=cfg.reply_timeout,
                       max_retries=cfg.max_retries, retry_window=cfg.retry_window,
                       retry_budget=cfg.retry_budget, handshake_timeout=cfg.handshake_timeout,
                       watchdog_ms=cfg.watchdog_ms, low_latency=cfg.low_latency,
                       reply_wait=cfg.reply_wait)


def _meta(cfg: SerialConfig, serial: Any, policy: str | None, **extra: Any) -> Any:
    from s2r.rollout import log_meta

    source = cfg.source if cfg.source != "auto" else \
        ("emulator" if serial.is_emulator else "hardware")
    meta = log_meta(serial.spec, source, policy=policy, port=cfg.port, baud=cfg.baud,
                    low_latency=serial.link.low_latency, reply_wait=cfg.reply_wait, **extra)
    meta.protocol_version = serial.device_info.protocol_version
    meta.firmware_version = serial.device_info.firmware
    return meta


def _writer(out: str, meta: Any, extra: tuple[str, ...], robot: Any) -> Any:
    """The log writer; if the file cannot be created, close the robot and say why."""
    from s2r.errors import ConfigError
    from s2r.logs import LogWriter

    try:
        return LogWriter(out, meta, extra_columns=extra)
    except OSError as err:
        robot.close()
        raise ConfigError(f"cannot write the log: {err.strerror}", where=out) from None
    except BaseException:
        robot.close()
        raise


def _task_class(task: str) -> tuple[Any, Any]:
    from s2r.tasks import TASKS
    from s2r.tasks.config import load_task_config

    tcfg, _ = load_task_config(task)
    return tcfg, TASKS[tcfg.task][1]


def _timing(timing: dict[str, float], rate: float | None) -> str:
    ms = {k: v * 1e3 for k, v in timing.items() if k.startswith(("period", "rtt", "late"))}
    target = f" (target {rate:g})" if rate else " (unpaced)"
    return (f"{timing['rate']:.1f} Hz{target}; period error p50 {ms['period_error_p50']:.3f} "
            f"p99 {ms['period_error_p99']:.3f} max {ms['period_error_max']:.3f} ms; overruns "
            f"{timing['overruns']:g}; round trip p50 {ms['rtt_p50']:.3f} p99 "
            f"{ms['rtt_p99']:.3f} ms")


def _link(stats: Any) -> str:
    return (f"link: {stats.frames_sent} frames sent, {stats.frames_received} received, "
            f"{stats.crc_errors + stats.framing_errors} bad frames, {stats.retries} retries, "
            f"{stats.timeouts} timeouts, {stats.late_replies} late replies")


def _policy(name: str | None, task: str, spec: Any, seed: int) -> tuple[Any, Any]:
    """Load a policy for a task (before any port is opened: fail fast); (policy, task class)."""
    from s2r.policy import load_policy

    tcfg, cls = _task_class(task)
    pol = load_policy(name or "scripted:sine", task=tcfg.task, obs_dim=cls.obs_dim,
                      act_dim=spec.n_actions, rate=spec.control_rate, seed=seed)
    return pol, cls


def _excitation(cfg: RecordConfig, spec: Any) -> Any:
    """The excitation signal of a record config (not ``policy``)."""
    import numpy as np

    from hardware import excitation as ex
    from s2r.errors import ConfigError

    rate, T = spec.control_rate, cfg.duration
    if not 0 < cfg.f0 <= cfg.f1:
        raise ConfigError(f"need 0 < f0 <= f1, got f0={cfg.f0}, f1={cfg.f1}", where="<config>")
    if cfg.excitation == "chirp":
        wave: Any = ex.Chirp(cfg.f0, cfg.f1, T, cfg.chirp)
    elif cfg.excitation == "prbs":
        bit = cfg.bit_period or max(1, round(0.44 / cfg.f1 * rate)) / rate
        wave = ex.PRBS(bit, cfg.seed, min_period=min(T, 1.0 / cfg.f0))
    elif cfg.excitation == "multisine":
        freqs = cfg.frequencies or np.geomspace(cfg.f0, cfg.f1, cfg.n_frequencies)
        snapped = np.unique(np.maximum(np.round(np.asarray(freqs) * T), 1) / T)  # periodic in T
        wave = ex.Multisine(snapped, np.arange(round(T * rate)) / rate, cfg.seed)
    else:
        raise ConfigError(f"excitation: unknown {cfg.excitation!r} (chirp, prbs, multisine, "
                          "policy)", where="<config>")
    return ex.Excitation(wave, spec, cfg.amplitude, cfg.offset, cfg.kp, cfg.kd)


@command("record", "excite a robot over a serial port and log it (for system identification)",
         _overrides, settings=RecordConfig, defaults="configs/hardware/serial.yaml")
def record(args: argparse.Namespace) -> int:
    from hardware.excitation import PolicyExcitation
    from hardware.runner import EXTRA_COLUMNS, run_signal
    from hardware.safety import GuardedRobot
    from s2r.errors import ConfigError

    cfg: RecordConfig = load_config(RecordConfig, "record", args)
    if not cfg.duration > 0:
        raise ConfigError(f"duration: must be > 0, got {cfg.duration}", where="<config>")
    spec = _spec(cfg.robot, cfg.rate)
    if cfg.excitation == "policy":
        pol, cls = _policy(cfg.policy, cfg.task or f"{spec.name}_swingup", spec, cfg.seed)
    else:
        signal = _excitation(cfg, spec)
    serial = _open(cfg, spec)
    robot = GuardedRobot(serial)
    if cfg.excitation == "policy":
        signal = PolicyExcitation(pol, cls(robot), spec)
    policy = cfg.policy if cfg.excitation == "policy" else f"excitation:{cfg.excitation}"
    settings = {k: getattr(cfg, k) for k in ("excitation", "duration", "amplitude", "offset",
                                             "kp", "kd", "f0", "f1", "chirp", "bit_period",
                                             "seed")}
    meta = _meta(cfg, serial, policy, excitation=settings)
    steps = round(cfg.duration * spec.control_rate)
    print(f"recording {cfg.excitation} for {cfg.duration:g} s ({steps} steps at "
          f"{spec.control_rate:g} Hz) on {cfg.port} ({serial.device_info.firmware})")
    with _writer(cfg.out, meta, EXTRA_COLUMNS, robot) as writer:
        result = run_signal(robot, signal, steps=steps, writer=writer,
                            rate=spec.control_rate if cfg.paced else None,
                            episode_meta={"excitation": cfg.excitation, "seed": cfg.seed})
    print("timing: " + _timing(result.timing, spec.control_rate if cfg.paced else None))
    print(_link(serial.stats))
    print(f"log written to {cfg.out}")
    return 0


@command("deploy", "run a policy on a robot over a serial port through its task, and log it",
         _overrides, settings=DeployConfig, defaults="configs/hardware/serial.yaml")
def deploy(args: argparse.Namespace) -> int:
    from hardware.runner import EXTRA_COLUMNS, RunResult, run_task
    from hardware.safety import GuardedRobot
    from s2r.errors import ConfigError

    cfg: DeployConfig = load_config(DeployConfig, "deploy", args)
    if cfg.episodes <= 0:
        raise ConfigError(f"episodes: must be > 0, got {cfg.episodes}", where="<config>")
    tcfg, cls = _task_class(cfg.task)
    spec = _spec(tcfg.robot or cls.default_robot, cfg.rate)
    policy, _ = _policy(cfg.policy, cfg.task, spec, cfg.seed)
    serial = _open(cfg, spec)
    robot = GuardedRobot(serial)
    try:
        env = cls(robot, max_steps=cfg.max_steps or tcfg.max_steps)
    except BaseException:
        robot.close()
        raise
    meta = _meta(cfg, serial, policy.name, task=cfg.task)
    rate = spec.control_rate if cfg.paced else None

    def show(r: RunResult) -> None:
        print(f"episode {r.index}: return {r.ret:9.3f}  steps {r.steps:4d}  ({r.reason})")
        print("  timing: " + _timing(r.timing, rate))

    print(f"deploying {policy.name} on {cfg.task} for {cfg.episodes} episodes on {cfg.port} "
          f"({serial.device_info.firmware})")
    with _writer(cfg.out, meta, ("reward", *EXTRA_COLUMNS), robot) as writer:
        results = run_task(env, policy, episodes=cfg.episodes, seed=cfg.seed, rate=rate,
                           writer=writer, settle=cfg.settle, on_episode=show)
    print(_link(serial.stats))
    print(f"mean return {sum(r.ret for r in results) / len(results):.3f} over {len(results)} "
          "episodes")
    print(f"log written to {cfg.out}")
    return 0
