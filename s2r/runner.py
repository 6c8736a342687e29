"""The one episode runner of s2r, for simulation and hardware alike.

:func:`run_task` runs a policy through a :class:`~s2r.tasks.RobotTask` (the task filters
every command through the robot's safety layer, :mod:`s2r.safety`); :func:`run_signal`
sends a signal of time (an excitation for system identification). Both log through one
:class:`~s2r.logs.LogWriter` and share the guarantees:

- every tick is one log row (observation the controller saw, command actually sent,
  ``reward`` for tasks, ``t_host`` = host time of the send, ``rtt`` = round trip of the
  last reply received during the tick, 0 in simulation or if none arrived: with a
  pipelined robot whose reply was late the row repeats the previous observation, its
  ``t`` 1 µs later); a writer without some of these extra columns just omits them;
- on any exception, Ctrl-C and :class:`StopSignal` (SIGTERM, SIGHUP) included, the open
  episode gets a ``# end`` line saying why, then the robot is closed (DISABLE, port
  closed) and the exception propagates; on a normal exit the robot is closed too
  (``close=False`` leaves it open);
- the ``# end`` line of every episode holds its timing summary (achieved rate, period
  error p50/p99/max, overruns and their fraction, round trips), readable as
  ``read_log(path).episode(i).end["timing"]``; with ``max_overrun_fraction`` an episode
  whose overrun fraction is above it ends as ``timing: ...`` and raises
  :class:`~s2r.errors.TimingError`.

Pacing is for hardware: ``rate=None`` runs unpaced (simulation, a lockstep emulator);
:class:`Pacer` ticks at a fixed rate, deadline-aware: it sleeps until ``spin`` s (1 ms,
more on machines whose sleeps overshoot) before each deadline and then busy-waits on
``time.perf_counter``; a tick that starts after its deadline is an overrun, and deadlines
missed entirely are skipped rather than caught up in a burst.

>>> from s2r.policy import load_policy
>>> from s2r.tasks import PendulumSwingup
>>> env = PendulumSwingup(max_steps=20)
>>> results = run_task(env, load_policy("scripted:zero"), episodes=2, rate=None)
>>> [(r.steps, r.reason) for r in results], env.robot.client    # closed at the end
([(20, 'truncated'), (20, 'truncated')], -1)
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import numpy as np

from s2r.errors import DeviceError, SafetyStop, TimingError
from s2r.logs import LogWriter
from s2r.robot import Observation, Robot

__all__ = ["EXTRA_COLUMNS", "TASK_COLUMNS", "WARN_OVERRUN_FRACTION", "Pacer", "RunResult",
           "StopSignal", "TimingStats", "end_reason", "percentiles", "run_signal", "run_task",
           "shielded", "stop_on_signals", "timing_line", "timing_warning"]

#: Extra log columns of a signal run; a task run adds ``reward`` (:data:`TASK_COLUMNS`).
EXTRA_COLUMNS = ("t_host", "rtt")
TASK_COLUMNS = ("reward", *EXTRA_COLUMNS)
#: Above this fraction of overrun control periods a run's timing is reported as poor.
WARN_OVERRUN_FRACTION = 0.05
Signal = Callable[[float, Observation], np.ndarray]


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of ``samples`` (NaN when empty).

    >>> percentiles([1.0, 2.0, 3.0])["p50"], percentiles([])["max"]
    (2.0, nan)
    """
    if not len(samples):
        return {"p50": math.nan, "p99": math.nan, "max": math.nan}
    a = np.asarray(samples)
    return {"p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max())}


@dataclass
class TimingStats:
    """Tick times (s, host clock) and lateness of each tick relative to its deadline."""

    period: float | None
    ticks: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)
    overruns: int = 0
    missed: int = 0

    def summary(self, rtt: Any = ()) -> dict[str, float]:
        """Achieved rate, overruns (count and fraction of ticks), missed deadlines, period
        error and lateness p50/p99/max (s), round trip p50/p99/max (s)."""
        t = np.asarray(self.ticks)
        dt = np.diff(t) if len(t) > 1 else np.zeros(0)
        out: dict[str, float] = {"ticks": len(t), "overruns": self.overruns,
                                 "overrun_fraction": self.overruns / len(t) if len(t) else 0.0,
                                 "missed": self.missed,
                                 "target_rate": 1.0 / self.period if self.period else math.nan,
                                 "rate": (len(dt) / (t[-1] - t[0])) if len(dt) and t[-1] > t[0]
                                 else math.nan}
        err = np.abs(dt - self.period) if self.period else dt
        out.update({f"period_error_{k}": v for k, v in percentiles(list(err)).items()})
        out.update({f"late_{k}": v for k, v in percentiles(self.late).items()})
        out.update({f"rtt_{k}": v for k, v in percentiles(list(rtt)).items()})
        return out


class Pacer:
    """Fixed-rate ticks; ``rate=None`` ticks at once (unpaced, e.g. a lockstep emulator).

    The spin margin starts at ``spin`` (1 ms) and adapts: it is kept above the largest
    oversleep of the last 64 sleeps (plus 0.2 ms), up to half a period, because on some
    machines (VMs, power saving) ``time.sleep`` now and then wakes milliseconds late.
    """

    def __init__(self, rate: float | None, spin: float = 0.001) -> None:
        self.period = 1.0 / rate if rate else None
        self.spin = self.min_spin = spin
        self.stats = TimingStats(self.period)
        self._next = 0.0
        self._oversleep: deque[float] = deque(maxlen=64)

    def start(self) -> float:
        """The next :meth:`wait` returns at once; returns that first deadline (the origin)."""
        self._next = time.perf_counter()
        return self._next

    def wait(self) -> float:
        """Block until the next deadline; return the tick time (``perf_counter``)."""
        now = time.perf_counter()
        if self.period is not None:
            if now > self._next + 1e-6 and self.stats.ticks:
                self.stats.overruns += 1
                behind = int((now - self._next) / self.period)
                if behind:  # skip deadlines missed entirely instead of bursting
                    self.stats.missed += behind
                    self._next += behind * self.period
            remaining = self._next - now
            if remaining > self.spin:
                wake = self._next - self.spin
                time.sleep(remaining - self.spin)
                self._oversleep.append(time.perf_counter() - wake)
                self.spin = min(max(self.min_spin, max(self._oversleep) + 2e-4),
                                0.5 * self.period)
            while time.perf_counter() < self._next:
                pass
        tick = time.perf_counter()
        self.stats.ticks.append(tick)
        self.stats.late.append(tick - self._next if self.period else 0.0)
        if self.period is not None:
            self._next += self.period
        return tick


@dataclass
class RunResult:
    """How one episode went: steps, end reason, return (tasks) and timing summary."""

    index: int
    steps: int
    reason: str
    ret: float = 0.0
    timing: dict[str, float] = field(default_factory=dict)
    seed: int | None = None
    #: The task's success verdict at the episode's end (None: the task has no criterion).
    success: bool | None = None


def mean_return(results: Sequence[RunResult]) -> float:
    """The mean return of a run's episodes."""
    return sum(r.ret for r in results) / len(results)


def success_rate(results: Sequence[RunResult]) -> float | None:
    """The fraction of episodes that met the task's success criterion (None: no criterion)."""
    verdicts = [r.success for r in results if r.success is not None]
    return sum(verdicts) / len(verdicts) if verdicts else None


def episodes_line(results: Sequence[RunResult]) -> str:
    """``mean return R over N episodes[, success S/N]``: the one summary line of a run."""
    line = f"mean return {mean_return(results):.3f} over {len(results)} episodes"
    wins = [r.success for r in results if r.success is not None]
    return line + (f", success {sum(wins)}/{len(wins)}" if wins else "")


def episode_line(r: RunResult) -> str:
    """One episode: return, steps, end reason and (when the task has one) the verdict."""
    verdict = "" if r.success is None else ("  success" if r.success else "  no success")
    return f"episode {r.index}: return {r.ret:9.3f}  steps {r.steps:4d}  ({r.reason}){verdict}"


class StopSignal(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived during a run: handled like Ctrl-C (a safe stop).

    ``exit_code`` is 128 + the signal number (143 for SIGTERM, 129 for SIGHUP), the
    shell's convention for a process ended by a signal.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


@contextmanager
def stop_on_signals(signums: Sequence[int] = (signal.SIGTERM, signal.SIGHUP)
                    ) -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into :class:`StopSignal` inside the block (main thread only).

    The exception unwinds like Ctrl-C, so the actuators are disabled and the log ended;
    a second signal during that safe stop is ignored, and one arriving while the runner
    closes the robot (:func:`shielded`) waits until the close is done. The previous
    handlers come back when the block ends.

    >>> import os
    >>> with stop_on_signals():
    ...     try:
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ...         time.sleep(5)
    ...     except StopSignal as err:
    ...         print(err.name, err.exit_code)
    SIGTERM 143
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []
    raised: list[bool] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:
            return
        fired.append(signum)
        if not _shield_depth[0]:  # while a robot is being closed: after the block
            raised.append(True)
            raise StopSignal(signum)

    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if fired and not raised:  # arrived during a shielded close of a run that had ended
        raise StopSignal(fired[0])


_shield_depth = [0]


@contextmanager
def shielded() -> Iterator[None]:
    """A block (closing a robot: DISABLE and its acknowledgement) that a signal handled by
    :func:`stop_on_signals` does not interrupt; the signal is raised when its block ends."""
    _shield_depth[0] += 1
    try:
        yield
    finally:
        _shield_depth[0] -= 1


def end_reason(err: BaseException) -> str:
    """The ``# end`` reason for an exception (``safety_stop: ...``, ``interrupted``, ...)."""
    if isinstance(err, SafetyStop):
        return f"safety_stop: {err}"
    if isinstance(err, DeviceError):
        return f"device_error: {err}"
    if isinstance(err, StopSignal):
        return f"interrupted: {err.name}"
    if isinstance(err, KeyboardInterrupt):
        return "interrupted: KeyboardInterrupt"
    if isinstance(err, TimingError):
        return f"timing: {err.message}"
    return f"error: {type(err).__name__}: {err}"


def timing_line(timing: dict[str, float], rate: float | None) -> str:
    """One line of a timing summary, in Hz and ms."""
    ms = {k: v * 1e3 for k, v in timing.items() if k.startswith(("period", "rtt", "late"))}
    target = f" (target {rate:g})" if rate else " (unpaced)"
    return (f"{timing['rate']:.1f} Hz{target}; period error p50 {ms['period_error_p50']:.3f} "
            f"p99 {ms['period_error_p99']:.3f} max {ms['period_error_max']:.3f} ms; overruns "
            f"{timing['overruns']:g} ({100 * timing['overrun_fraction']:.1f} %); round trip "
            f"p50 {ms['rtt_p50']:.3f} p99 {ms['rtt_p99']:.3f} ms")


def timing_warning(timing: dict[str, float], limit: float = WARN_OVERRUN_FRACTION
                   ) -> str | None:
    """A warning if more than ``limit`` of the control periods overran, else None.

    >>> timing_warning({"ticks": 1000, "overruns": 733, "overrun_fraction": 0.733})
    '733 of 1000 control periods overran (73.3 %, limit 5.0 %)'
    >>> timing_warning({"ticks": 1000, "overruns": 3, "overrun_fraction": 0.003}) is None
    True
    """
    if timing.get("overrun_fraction", 0.0) <= limit:
        return None
    return (f"{timing['overruns']:g} of {timing['ticks']:g} control periods overran "
            f"({100 * timing['overrun_fraction']:.1f} %, limit {100 * limit:.1f} %)")


def _rtt_source(robot: Any) -> Any:
    stats = getattr(robot, "stats", None)
    return getattr(stats, "rtt", None)


def _last(samples: Any, before: int) -> float:
    return float(samples[-1]) if samples is not None and len(samples) > before else 0.0


def _row_t(t: float, previous: float) -> float:
    """A row's time: the observation's, or 1 µs after the previous row's when the
    observation did not change during the tick (a pipelined robot whose reply was late)."""
    return t if t > previous else previous + 1e-6


class _Episode:
    """Per-episode bookkeeping shared by the two loops: pacing, rtt window, log rows."""

    def __init__(self, robot: Any, rate: float | None, writer: LogWriter | None) -> None:
        self.pacer, self.rtt, self.writer = Pacer(rate), _rtt_source(robot), writer
        self.extra = writer.extra_columns if writer is not None else ()
        self.t0 = self.pacer.start()
        self.start = self._n()
        self.t_row = -math.inf

    def _n(self) -> int:
        return len(self.rtt) if self.rtt is not None else 0

    def tick(self) -> tuple[float, int]:
        """Wait for the deadline; (host time of the tick, rtt count before the send)."""
        before = self._n()
        return self.pacer.wait() - self.t0, before

    def row(self, obs: Observation, sent: Any, t_host: float, before: int,
            reward: float | None = None) -> None:
        self.t_row = _row_t(obs.t, self.t_row)
        if self.writer is None:
            return
        values = {"t_host": t_host, "rtt": _last(self.rtt, before),
                  "reward": math.nan if reward is None else reward}  # no reward: no column
        self.writer.write(self.t_row, sent, obs.q, obs.qd, obs.sensors, obs.status,
                          **{k: values[k] for k in self.extra})

    def timing(self) -> dict[str, float]:
        return self.pacer.stats.summary(self.rtt[self.start:] if self.rtt is not None else ())


def _end(writer: LogWriter | None, reason: str, timing: dict[str, float],
         max_overrun_fraction: float | None, **stats: Any) -> str:
    """End the episode in the log; with a threshold exceeded, say so and raise TimingError."""
    poor = None if max_overrun_fraction is None else \
        timing_warning(timing, max_overrun_fraction)
    if poor is not None:
        reason = f"timing: {poor}"
    if writer is not None:
        writer.end_episode(reason, timing=timing, **stats)
    if poor is not None:
        raise TimingError(f"{poor}; the log is kept and its '# end' line says so",
                          where="max_overrun_fraction")
    return reason


@contextmanager
def _stopping(robot: Robot, writer: LogWriter | None, close: bool,
              episode: Callable[[], _Episode | None]) -> Iterator[None]:
    """On any exception end the open log episode with the reason; close the robot if asked."""
    try:
        yield
    except BaseException as err:
        if writer is not None and writer.episode_open:
            ep = episode()
            with shielded():
                writer.end_episode(end_reason(err), timing=ep.timing() if ep else {})
        raise
    finally:
        if close:
            with shielded():
                robot.close()


def _rate(robot: Robot, rate: float | None) -> float | None:
    return robot.spec.control_rate if rate == -1.0 else rate


def run_signal(robot: Robot, signal: Signal, *, steps: int, rate: float | None = -1.0,
               writer: LogWriter | None = None, reset: tuple[Any, Any] | None = None,
               episode_meta: dict[str, Any] | None = None, close: bool = True,
               max_overrun_fraction: float | None = None) -> RunResult:
    """Reset the robot, then send ``signal(t, obs)`` for ``steps`` ticks at ``rate`` Hz.

    ``t`` is the nominal time of the tick (k / rate), so a signal is reproducible whatever
    the jitter. ``rate=-1`` means the robot's control rate, ``None`` unpaced.
    """
    rate = _rate(robot, rate)
    dt = 1.0 / (rate or robot.spec.control_rate)
    ep: _Episode | None = None
    with _stopping(robot, writer, close, lambda: ep):
        obs = robot.reset(*(reset or (None, None)))
        if writer is not None:
            writer.begin_episode(**(episode_meta or {}))
        ep = _Episode(robot, rate, writer)
        for k in range(steps):
            u = signal(k * dt, obs)
            t_host, before = ep.tick()
            ep.row(obs, robot.act(u), t_host, before)
            obs = robot.observe()
        timing = ep.timing()
        reason = _end(writer, "completed", timing, max_overrun_fraction)
        return RunResult(0, steps, reason, timing=timing)


def run_task(env: Any, policy: Callable[[np.ndarray], np.ndarray], *, episodes: int = 1,
             seed: int | None = 0, rate: float | None = -1.0, writer: LogWriter | None = None,
             settle: float = 0.0, on_episode: Callable[[RunResult], None] | None = None,
             on_step: Callable[[int, float], None] | None = None, close: bool = True,
             max_overrun_fraction: float | None = None) -> list[RunResult]:
    """Run ``episodes`` of ``policy`` through a RobotTask ``env`` (or a wrapper of one).

    ``rate`` Hz paces the ticks (``-1``: the robot's control rate; ``None``: unpaced, for
    simulation). Between episodes the task's reset runs (RESET + ENABLE on a device),
    after a DISABLE and ``settle`` s of rest. ``on_step(episode, return so far)`` runs
    after every step, ``on_episode(result)`` after every episode. A sim episode ended by
    a joint guard ends as ``safety_stop: ...`` (on hardware the guard raises SafetyStop).
    """
    task = getattr(env, "unwrapped", env)
    robot = task.robot
    rate, results = _rate(robot, rate), []
    ep: _Episode | None = None
    with _stopping(robot, writer, close, lambda: ep):
        for i in range(episodes):
            if i and settle > 0:
                getattr(task.robot, "disable", lambda: None)()
                time.sleep(settle)
            ep_seed = None if seed is None else seed + i
            obs, _ = env.reset(seed=ep_seed)
            raw = task.last_observation
            if writer is not None:
                writer.begin_episode(seed=ep_seed, task=type(task).__name__,
                                     reset_state={"q": raw.q.tolist(), "qd": raw.qd.tolist()})
            ep = _Episode(task.robot, rate, writer)
            ret, steps = 0.0, 0
            while True:
                action = policy(obs)
                t_host, before = ep.tick()
                obs, reward, terminated, truncated, info = env.step(action)
                ep.row(raw, info["applied_action"], t_host, before, float(reward))
                raw = task.last_observation
                ret, steps = ret + float(reward), steps + 1
                if on_step is not None:
                    on_step(i, ret)
                if terminated or truncated:
                    break
            reason = ("truncated" if not terminated else
                      f"safety_stop: {info['safety_stop']}" if "safety_stop" in info
                      else "terminated")
            timing = ep.timing()
            success = bool(info["success"]) if "success" in info else None
            verdict = {} if success is None else {"success": success}
            reason = _end(writer, reason, timing, max_overrun_fraction, ret=ret, **verdict)
            results.append(RunResult(i, steps, reason, ret, timing, ep_seed, success))
            if on_episode is not None:
                on_episode(results[-1])
    return results
