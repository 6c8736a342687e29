"""The fixed-rate runner: paces a controller at the control rate, logs every tick, stops safely.

:class:`Pacer` ticks at a fixed rate, deadline-aware: it sleeps until ``spin`` s (1 ms,
more on machines whose sleeps overshoot) before each deadline and then busy-waits on
``time.perf_counter``; a tick that starts
after its deadline is an overrun, and deadlines missed entirely are skipped rather than
caught up in a burst. :class:`TimingStats` keeps period errors and lateness.

:func:`run_signal` (recording: an excitation signal of time) and :func:`run_task`
(deployment: a policy through a :class:`~s2r.tasks.RobotTask`) share the guarantees:

- every tick is one log row (observation the controller saw, command actually sent,
  ``t_host`` = host time of the send, ``rtt`` = round trip of the last reply received
  during the tick, 0 if none arrived: with a pipelined robot whose reply was late the
  row repeats the previous observation, its ``t`` 1 µs later);
- on any exception, Ctrl-C included, the open episode gets a ``# end`` line saying why,
  then the robot is closed (DISABLE, port closed) and the exception propagates; on a
  normal exit the robot is closed too (``close=False`` leaves it open).

>>> from s2r.sim import SimRobot
>>> robot = SimRobot("pendulum")
>>> res = run_signal(robot, lambda t, obs: np.array([np.sin(t)]), steps=5, rate=None)
>>> res.steps, res.reason, robot.client     # closed at the end
(5, 'completed', -1)
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hardware.serial_link import percentiles
from s2r.errors import DeviceError, SafetyStop
from s2r.logs import LogWriter
from s2r.robot import Observation, Robot

__all__ = ["EXTRA_COLUMNS", "Pacer", "RunResult", "TimingStats", "end_reason", "run_signal",
           "run_task"]

#: Extra log columns the runner writes (``reward`` is added by :func:`run_task`).
EXTRA_COLUMNS = ("t_host", "rtt")
Signal = Callable[[float, Observation], np.ndarray]


@dataclass
class TimingStats:
    """Tick times (s, host clock) and lateness of each tick relative to its deadline."""

    period: float | None
    ticks: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)
    overruns: int = 0
    missed: int = 0

    def summary(self, rtt: Any = ()) -> dict[str, float]:
        """Achieved rate, period error and lateness p50/p99/max (s), overruns, rtt."""
        t = np.asarray(self.ticks)
        dt = np.diff(t) if len(t) > 1 else np.zeros(0)
        out: dict[str, float] = {"ticks": len(t), "overruns": self.overruns,
                                 "missed": self.missed,
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


def end_reason(err: BaseException) -> str:
    """The ``# end`` reason for an exception (``safety_stop: ...``, ``interrupted``, ...)."""
    if isinstance(err, SafetyStop):
        return f"safety_stop: {err}"
    if isinstance(err, DeviceError):
        return f"device_error: {err}"
    if isinstance(err, KeyboardInterrupt):
        return "interrupted: KeyboardInterrupt"
    return f"error: {type(err).__name__}: {err}"


def _rtt_source(robot: Any) -> Any:
    stats = getattr(robot, "stats", None)
    return getattr(stats, "rtt", None)


def _last(samples: Any, before: int) -> float:
    return float(samples[-1]) if samples is not None and len(samples) > before else 0.0


def _row_t(t: float, previous: float) -> float:
    """A row's time: the observation's, or 1 µs after the previous row's when the
    observation did not change during the tick (a pipelined robot whose reply was late)."""
    return t if t > previous else previous + 1e-6


@contextmanager
def _stopping(robot: Robot, writer: LogWriter | None, close: bool,
              pacer: Callable[[], Pacer]) -> Iterator[None]:
    """On any exception end the open log episode with the reason; close the robot if asked."""
    try:
        yield
    except BaseException as err:
        if writer is not None and writer.episode_open:
            writer.end_episode(end_reason(err), timing=pacer().stats.summary())
        raise
    finally:
        if close:
            robot.close()


def run_signal(robot: Robot, signal: Signal, *, steps: int, rate: float | None = -1.0,
               writer: LogWriter | None = None, reset: tuple[Any, Any] | None = None,
               episode_meta: dict[str, Any] | None = None, close: bool = True) -> RunResult:
    """Reset the robot, then send ``signal(t, obs)`` for ``steps`` ticks at ``rate`` Hz.

    ``t`` is the nominal time of the tick (k / rate), so a signal is reproducible whatever
    the jitter. ``rate=-1`` means the robot's control rate, ``None`` unpaced.
    """
    rate = robot.spec.control_rate if rate == -1.0 else rate
    pacer, rtt = Pacer(rate), _rtt_source(robot)
    dt = 1.0 / (rate or robot.spec.control_rate)
    with _stopping(robot, writer, close, lambda: pacer):
        obs = robot.reset(*(reset or (None, None)))
        if writer is not None:
            writer.begin_episode(**(episode_meta or {}))
        t0, start = pacer.start(), len(rtt) if rtt is not None else 0
        t_row = -math.inf
        for k in range(steps):
            u = signal(k * dt, obs)
            before = len(rtt) if rtt is not None else 0
            t_host = pacer.wait() - t0
            sent = robot.act(u)
            t_row = _row_t(obs.t, t_row)
            if writer is not None:
                writer.write(t_row, sent, obs.q, obs.qd, obs.sensors, obs.status,
                             t_host=t_host, rtt=_last(rtt, before))
            obs = robot.observe()
        timing = pacer.stats.summary(rtt[start:] if rtt is not None else ())
        if writer is not None:
            writer.end_episode("completed", timing=timing)
        return RunResult(0, steps, "completed", timing=timing)


def run_task(env: Any, policy: Callable[[np.ndarray], np.ndarray], *, episodes: int = 1,
             seed: int | None = 0, rate: float | None = -1.0, writer: LogWriter | None = None,
             settle: float = 0.0, on_episode: Callable[[RunResult], None] | None = None,
             close: bool = True) -> list[RunResult]:
    """Run ``episodes`` of ``policy`` through a RobotTask ``env``, paced at ``rate`` Hz.

    Between episodes the task's reset runs (RESET + ENABLE on a device), after a DISABLE
    and ``settle`` s of rest. ``writer`` must have the extra columns ``reward``, ``t_host``
    and ``rtt``.
    """
    robot = env.robot
    rate = robot.spec.control_rate if rate == -1.0 else rate
    rtt, results = _rtt_source(robot), []
    pacer = Pacer(rate)
    with _stopping(robot, writer, close, lambda: pacer):
        for i in range(episodes):
            if i and settle > 0:
                getattr(robot, "disable", lambda: None)()
                time.sleep(settle)
            ep_seed = None if seed is None else seed + i
            obs, _ = env.reset(seed=ep_seed)
            raw = env.last_observation
            pacer = Pacer(rate)
            if writer is not None:
                writer.begin_episode(seed=ep_seed, task=type(env).__name__,
                                     reset_state={"q": raw.q.tolist(), "qd": raw.qd.tolist()})
            ret, steps, reason = 0.0, 0, "truncated"
            t0, start = pacer.start(), len(rtt) if rtt is not None else 0
            t_row = -math.inf
            while True:
                action = policy(obs)
                before = len(rtt) if rtt is not None else 0
                t_host = pacer.wait() - t0
                obs, reward, terminated, truncated, info = env.step(action)
                t_row = _row_t(raw.t, t_row)
                if writer is not None:
                    writer.write(t_row, info["applied_action"], raw.q, raw.qd, raw.sensors,
                                 raw.status, reward=float(reward), t_host=t_host,
                                 rtt=_last(rtt, before))
                raw = env.last_observation
                ret, steps = ret + float(reward), steps + 1
                if terminated or truncated:
                    reason = "terminated" if terminated else "truncated"
                    break
            timing = pacer.stats.summary(rtt[start:] if rtt is not None else ())
            if writer is not None:
                writer.end_episode(reason, ret=ret, timing=timing)
            results.append(RunResult(i, steps, reason, ret, timing))
            if on_episode is not None:
                on_episode(results[-1])
    return results
