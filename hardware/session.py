"""Record and deploy as library calls: open the device, run, log, always stop safely.

:func:`record` sends an excitation (or a policy's commands) for system identification;
:func:`deploy` runs evaluation episodes of a policy through its task. Both open a
:class:`~hardware.serial_robot.SerialRobot` behind the safety layer
(:class:`~s2r.safety.GuardedRobot`), run it with the one episode runner
(:mod:`s2r.runner`) and return a :class:`Session` with the per-episode results, their
timing and the link counters. ``s2r record`` / ``s2r deploy`` only map their configs to
these calls and print; ``say`` receives the progress lines (default: none).

Whatever happens, the actuators are disabled and the port closed; SIGTERM and SIGHUP are
handled like Ctrl-C (:class:`~s2r.runner.StopSignal`), and the log's open episode gets
its ``# end`` line saying why. With ``max_overrun_fraction`` set, poorer timing than that
is a :class:`~s2r.errors.TimingError` (the log is kept, ``# end`` says ``timing: ...``).

>>> from hardware.emulator import Emulator, EmulatorConfig
>>> from s2r.commands.hardware import DeployConfig
>>> import tempfile, os
>>> out = os.path.join(tempfile.mkdtemp(), "deploy.s2r.csv")
>>> with Emulator(EmulatorConfig(robot="furuta", mode="lockstep")) as emu:
...     s = deploy(DeployConfig(port=emu.port, policy="scripted:zero", max_steps=5,
...                             paced=False, out=out))
>>> [(r.steps, r.reason) for r in s.episodes], s.link.frames_sent > 5
([(5, 'truncated')], True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from s2r.errors import ConfigError
from s2r.runner import RunResult, mean_return

if TYPE_CHECKING:
    from s2r.commands.hardware import DeployConfig, RecordConfig, SerialConfig

__all__ = ["Session", "deploy", "link_line", "record"]

Say = Callable[[str], None]


@dataclass
class Session:
    """What a record or deploy did: episodes (results with timing), link counters, log."""

    episodes: list[RunResult]
    link: Any  # hardware.serial_link.LinkStats
    port: str
    firmware: str
    rate: float | None  # the paced rate (Hz), None if unpaced
    out: str
    policy: str

    @property
    def mean_return(self) -> float:
        return mean_return(self.episodes)


def link_line(stats: Any) -> str:
    """One line of link counters."""
    return (f"link: {stats.frames_sent} frames sent, {stats.frames_received} received, "
            f"{stats.crc_errors} CRC errors, {stats.framing_errors} framing errors, "
            f"{stats.retries} retries, "
            f"{stats.timeouts} timeouts, {stats.late_replies} late replies")


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


def _writer(out: str, meta: Any, extra: tuple[str, ...]) -> Any:
    from s2r.logs import LogWriter

    try:
        return LogWriter(out, meta, extra_columns=extra)
    except OSError as err:
        raise ConfigError(f"cannot write the log: {err.strerror}", where=out) from None


def _task_class(task: str) -> tuple[Any, Any]:
    from s2r.tasks import TASKS
    from s2r.tasks.config import load_task_config

    tcfg, _ = load_task_config(task)
    return tcfg, TASKS[tcfg.task][1]


def _policy(name: str | None, task: str, spec: Any, seed: int) -> tuple[Any, Any]:
    """Load a policy for a task (before any port is opened: fail fast); (policy, task class)."""
    from s2r.policy import load_policy

    tcfg, cls = _task_class(task)
    pol = load_policy(name or "scripted:sine", task=tcfg.task, obs_dim=cls.obs_dim,
                      act_dim=spec.n_actions, rate=spec.control_rate, seed=seed, robot=spec)
    return pol, cls


def _excitation(cfg: RecordConfig, spec: Any) -> Any:
    """The excitation signal of a record config (not ``policy``)."""
    import numpy as np

    from hardware import excitation as ex

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


def _max_overrun(cfg: SerialConfig) -> float | None:
    limit = getattr(cfg, "max_overrun_fraction", None)
    if limit is not None and not 0.0 <= limit <= 1.0:
        raise ConfigError(f"max_overrun_fraction: must be in [0, 1], got {limit}",
                          where="<config>")
    return limit


def record(cfg: RecordConfig, say: Say | None = None) -> Session:
    """Excite the robot on ``cfg.port`` for ``cfg.duration`` s and log it to ``cfg.out``."""
    from hardware.excitation import PolicyExcitation
    from s2r.runner import EXTRA_COLUMNS, run_signal, shielded, stop_on_signals
    from s2r.safety import GuardedRobot

    say = say or (lambda line: None)
    if not cfg.duration > 0:
        raise ConfigError(f"duration: must be > 0, got {cfg.duration}", where="<config>")
    limit = _max_overrun(cfg)
    spec = _spec(cfg.robot, cfg.rate)
    if cfg.excitation == "policy":
        pol, cls = _policy(cfg.policy, cfg.task or f"{spec.name}_swingup", spec, cfg.seed)
        policy = pol.name
    else:
        signal = _excitation(cfg, spec)
        policy = f"excitation:{cfg.excitation}"
    settings = {k: getattr(cfg, k) for k in ("excitation", "duration", "amplitude", "offset",
                                             "kp", "kd", "f0", "f1", "chirp", "bit_period",
                                             "seed")}
    steps = round(cfg.duration * spec.control_rate)
    rate = spec.control_rate if cfg.paced else None
    with stop_on_signals():
        serial = _open(cfg, spec)
        robot = GuardedRobot(serial)
        try:
            if cfg.excitation == "policy":
                signal = PolicyExcitation(pol, cls(robot), spec)
            writer = _writer(cfg.out, _meta(cfg, serial, policy, excitation=settings),
                             EXTRA_COLUMNS)
        except BaseException:
            with shielded():
                robot.close()
            raise
        say(f"recording {cfg.excitation} for {cfg.duration:g} s ({steps} steps at "
            f"{spec.control_rate:g} Hz) on {cfg.port} ({serial.device_info.firmware})")
        with writer:
            result = run_signal(robot, signal, steps=steps, writer=writer, rate=rate,
                                episode_meta={"excitation": cfg.excitation, "seed": cfg.seed},
                                max_overrun_fraction=limit)
    return Session([result], serial.stats, cfg.port, serial.device_info.firmware, rate,
                   cfg.out, policy)


def deploy(cfg: DeployConfig, say: Say | None = None,
           on_episode: Callable[[RunResult], None] | None = None) -> Session:
    """Run ``cfg.episodes`` of ``cfg.policy`` through ``cfg.task`` on the robot; log them."""
    from s2r.runner import TASK_COLUMNS, run_task, shielded, stop_on_signals
    from s2r.safety import GuardedRobot

    say = say or (lambda line: None)
    if cfg.episodes <= 0:
        raise ConfigError(f"episodes: must be > 0, got {cfg.episodes}", where="<config>")
    limit = _max_overrun(cfg)
    tcfg, cls = _task_class(cfg.task)
    spec = _spec(tcfg.robot or cls.default_robot, cfg.rate)
    policy, _ = _policy(cfg.policy, cfg.task, spec, cfg.seed)
    rate = spec.control_rate if cfg.paced else None
    with stop_on_signals():
        serial = _open(cfg, spec)
        robot = GuardedRobot(serial)
        try:
            env = cls(robot, max_steps=cfg.max_steps or tcfg.max_steps)
            writer = _writer(cfg.out, _meta(cfg, serial, policy.name, task=cfg.task),
                             TASK_COLUMNS)
        except BaseException:
            with shielded():
                robot.close()
            raise
        say(f"deploying {policy.name} on {cfg.task} for {cfg.episodes} episodes on "
            f"{cfg.port} ({serial.device_info.firmware})")
        with writer:
            results = run_task(env, policy, episodes=cfg.episodes, seed=cfg.seed, rate=rate,
                               writer=writer, settle=cfg.settle, on_episode=on_episode,
                               max_overrun_fraction=limit)
    return Session(results, serial.stats, cfg.port, serial.device_info.firmware, rate,
                   cfg.out, policy.name)
