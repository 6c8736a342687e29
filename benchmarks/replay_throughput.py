"""Replay throughput: a log replayed as many short segments from logged states, in one
process and in worker processes (multiple shooting, the inner loop of system identification).

The script first records its own log, so it needs nothing external: a SimRobot driven by a
chirp (:class:`hardware.excitation.Chirp` through :func:`s2r.runner.run_signal`, with a
centring feedback that keeps the furuta's arm in its range) written by the log writer and
read back with :func:`s2r.logs.read_log`. It then cuts the log into segments of
``--segment`` seconds; each segment starts from the logged state of its first row (joint
state plus the commands still in the action delay, :func:`s2r.sim.state.state_from_log`)
and replays the logged commands (:func:`s2r.sim.rollout.rollout`); the squared error
against the logged joint states is summed, as a sysid cost would be. The robot that replays
is the one that recorded, so that error must be exactly 0, and the script checks it.

Side by side in one run, alternating ``--repeats`` times (medians):

- ``one process``: all segments in this process;
- ``N workers``: the segments in chunks over a ``ProcessPoolExecutor`` (spawn) whose
  workers each got the pickled SimRobot (rebuilt in the worker's own physics client) and
  the log once, at start-up (start-up is not timed: sysid keeps its pool).

Columns: simulated seconds replayed per CPU second (all processes' CPU time: equal in both
rows when spreading the work costs nothing) and per wall-clock second, and ``speed-up``,
the wall-clock throughput over that of one process. The speed-up is bounded by the number
of *free* cores: the load average, printed before and after, says how many there were.
Run: ``.venv/bin/python benchmarks/replay_throughput.py [--robot furuta] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from hardware.excitation import Chirp, Excitation
from s2r.logs import LogWriter, read_log
from s2r.rollout import log_meta
from s2r.runner import run_signal
from s2r.sim import SimRobot
from s2r.sim.rollout import rollout
from s2r.sim.state import SimState, state_from_log


@dataclass(frozen=True)
class LogArrays:
    """One logged episode: row times, commands sent, joint states measured at those times."""

    t: np.ndarray
    u: np.ndarray
    q: np.ndarray
    qd: np.ndarray

    @property
    def period(self) -> float:
        return float(np.median(np.diff(self.t)))


def record_log(robot: SimRobot, path: str | os.PathLike[str], seconds: float, *,
               f0: float = 0.5, f1: float = 8.0, amplitude: float | None = None,
               kp: float = 0.0, kd: float = 0.0) -> LogArrays:
    """Drive ``robot`` with a chirp for ``seconds``, log it to ``path``, read the log back.

    The robot stays open (``close=False``) and ends in the log's last state.
    """
    steps = round(seconds * robot.spec.control_rate)
    signal = Excitation(Chirp(f0, f1, seconds), robot.spec, amplitude=amplitude, kp=kp, kd=kd)
    with LogWriter(path, log_meta(robot.spec, params=robot.get_params())) as writer:
        run_signal(robot, signal, steps=steps, rate=None, writer=writer, close=False)
    episode = read_log(path).episodes[0]
    return LogArrays(episode.t, episode.u, episode.q, episode.qd)


def segment_starts(log: LogArrays, length: int) -> list[int]:
    """First rows of back-to-back segments of ``length`` commands (row 0 has no command
    before it, and the last row no state after it)."""
    return list(range(1, len(log.t) - length, length))


def segment_state(log: LogArrays, start: int, action_delay: float) -> SimState:
    """The state at row ``start``: its joint state plus the commands sent in the last
    ``action_delay`` (and the one before, which the actuators apply now)."""
    back = math.ceil(action_delay / log.period + 1e-9) + 2  # a row more than needed
    rows = range(max(0, start - back), start)
    return state_from_log(float(log.t[start]), log.q[start], log.qd[start],
                          [(float(log.t[j]), log.u[j]) for j in rows], action_delay)


def replay_segment(robot: SimRobot, log: LogArrays, start: int, length: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Replay ``length`` logged commands from the logged state of row ``start``.

    Returns (q, qd) after each command: the prediction of rows ``start + 1`` to
    ``start + length``. A robot with the logging robot's parameters reproduces them exactly.
    """
    state = segment_state(log, start, robot.get("delay.action"))
    run = rollout(robot, log.u[start:start + length], state)
    return run.q, run.qd


def segment_error(robot: SimRobot, log: LogArrays, start: int, length: int) -> float:
    """Sum of squared differences between the replayed and the logged joint states."""
    q, qd = replay_segment(robot, log, start, length)
    rows = slice(start + 1, start + length + 1)
    return float(np.sum((q - log.q[rows]) ** 2) + np.sum((qd - log.qd[rows]) ** 2))


# ------------------------------------------------------------------ worker processes
_WORKER: dict[str, object] = {}


def _init_worker(robot: SimRobot, log: LogArrays, length: int) -> None:
    """Runs once in each worker: the robot arrives pickled and is rebuilt here."""
    _WORKER.update(robot=robot, log=log, length=length)


def _replay_chunk(starts: Sequence[int]) -> tuple[list[float], float]:
    """Errors of the segments at ``starts`` and the worker's CPU seconds spent on them."""
    c0 = time.process_time()
    robot, log, length = _WORKER["robot"], _WORKER["log"], _WORKER["length"]
    errors = [segment_error(robot, log, s, length) for s in starts]  # type: ignore[arg-type]
    return errors, time.process_time() - c0


def chunks(starts: Sequence[int], n: int) -> list[list[int]]:
    """``starts`` in ``n`` interleaved chunks of nearly equal size."""
    return [list(starts[i::n]) for i in range(n) if starts[i::n]]


def make_pool(robot: SimRobot, log: LogArrays, length: int, workers: int
              ) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes, each with its own copy of robot and log."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(robot, log, length))


def replay_pool(pool: ProcessPoolExecutor, starts: Sequence[int], workers: int,
                per_worker: int = 2) -> tuple[list[float], float]:
    """Segment errors in ``starts`` order, and the workers' CPU seconds.

    ``per_worker`` chunks each: more balance a worker slowed by other load, but each costs
    the main process ~0.25 ms of CPU and a round trip (a 30 s furuta log, 60 ms of replay:
    2 workers took 31.7 ms of wall time with 2 chunks, 31.5 ms with 4, 34.8 ms with 8).
    """
    parts = chunks(starts, per_worker * workers)
    errors: dict[int, float] = {}
    cpu = 0.0
    for part, (errs, seconds) in zip(parts, pool.map(_replay_chunk, parts)):
        errors.update(zip(part, errs))
        cpu += seconds
    return [errors[s] for s in starts], cpu


# ------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robot", default="furuta")
    parser.add_argument("--control-rate", type=float, default=None,
                        help="override the robot's control rate (Hz)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the log")
    parser.add_argument("--segment", type=float, default=0.2, help="segment length (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=2, help="chunks per worker and pass")
    args = parser.parse_args()
    overrides = [] if args.control_rate is None else [f"control_rate={args.control_rate}"]
    robot = SimRobot(args.robot, overrides=overrides)
    with tempfile.TemporaryDirectory() as tmp:
        log = record_log(robot, os.path.join(tmp, "chirp.s2r.csv"), args.seconds,
                         amplitude=0.6 * float(robot.spec.action_high[0]), kp=3.0, kd=0.1)
    length = max(1, round(args.segment * robot.spec.control_rate))
    starts = segment_starts(log, length)
    sim_seconds = len(starts) * length / robot.spec.control_rate
    print(f"{args.robot} at {robot.spec.control_rate:g} Hz, timestep "
          f"{robot.get('world.timestep'):g} s: {len(starts)} segments of {length} steps "
          f"({sim_seconds:.1f} simulated s per pass), {os.cpu_count()} CPUs")

    load = os.getloadavg()
    t0 = time.perf_counter()
    pool = make_pool(robot, log, length, args.workers)
    replay_pool(pool, starts, args.workers)  # starts every worker (untimed warm-up)
    startup = time.perf_counter() - t0
    rates: dict[str, list[tuple[float, float]]] = {"one": [], "pool": []}
    worst = 0.0
    try:
        for _ in range(args.repeats):  # alternating, so drift hits both alike
            c0, w0 = time.process_time(), time.perf_counter()
            errors = [segment_error(robot, log, s, length) for s in starts]
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            rates["one"].append((sim_seconds / cpu, sim_seconds / wall))
            worst = max(worst, *errors)
            c0, w0 = time.process_time(), time.perf_counter()
            errors, worker_cpu = replay_pool(pool, starts, args.workers, args.chunks)
            cpu, wall = time.process_time() - c0 + worker_cpu, time.perf_counter() - w0
            rates["pool"].append((sim_seconds / cpu, sim_seconds / wall))
            worst = max(worst, *errors)
    finally:
        pool.shutdown()
        robot.close()
    one_wall = statistics.median(w for _, w in rates["one"])
    print(f"{'mode':12s} {'sim s/CPU s':>12s} {'sim s/wall s':>13s} {'speed-up':>9s}")
    for key, label in (("one", "one process"), ("pool", f"{args.workers} workers")):
        cpu_rate = statistics.median(c for c, _ in rates[key])
        wall_rate = statistics.median(w for _, w in rates[key])
        print(f"{label:12s} {cpu_rate:12.1f} {wall_rate:13.1f} {wall_rate / one_wall:9.2f}")
    print(f"pool start-up {startup:.2f} s (untimed); largest segment error {worst:g} "
          "(0: the replaying robot is the logging one)")
    print(f"load average before {load[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    if worst != 0.0:
        raise SystemExit("replay did not reproduce the log exactly")


if __name__ == "__main__":
    main()
