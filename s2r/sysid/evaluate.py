"""Normalised multiple-shooting residuals, evaluated in this process or over worker processes.

An :class:`Evaluator` holds the segments, the channels and each channel's scale (its
standard deviation over the fitting data, so radians and amperes weigh alike) and turns
parameter values into the residual vector ``(simulated - measured) / scale`` of every
segment row and channel. Several parameter sets (a Jacobian's columns, a CMA-ES
population) are evaluated in one call: with ``workers > 1`` the (parameter set, segment
chunk) pairs are spread over worker processes, each holding its own copy of the robot
(a pickled :class:`~s2r.sim.SimRobot` is rebuilt in its own physics client). With
``ray_address`` the same tasks run on Ray actors instead (:mod:`s2r.sysid.raypool`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import numpy as np

from s2r.sysid.segments import Segment, simulate

#: residual given to a non-finite simulated value (a simulation that blew up)
BLOWUP = 1e3

_WORKER: dict[str, Any] = {}


#: an offset of every segment's start state: (q0 offset, qd0 offset), one entry per joint
Shift = tuple[tuple[float, ...], tuple[float, ...]]


def _shifted(seg: Segment, shift: Shift | None) -> Segment:
    if shift is None:
        return seg
    dq, dqd = shift
    return dataclasses.replace(seg, q0=tuple(a + b for a, b in zip(seg.q0, dq, strict=True)),
                               qd0=tuple(a + b for a, b in zip(seg.qd0, dqd, strict=True)))


def _residuals(robot: Any, values: Mapping[str, float], segments: Sequence[Segment],
               spec: tuple[list[str], list[str], list[str]], scales: np.ndarray,
               shift: Shift | None = None) -> np.ndarray:
    robot.set_params(values)
    out = []
    for seg in segments:
        r = (simulate(robot, _shifted(seg, shift), *spec) - seg.target) / scales
        out.append(np.where(np.isfinite(r), np.clip(r, -BLOWUP, BLOWUP), BLOWUP).ravel())
    return np.concatenate(out) if out else np.empty(0)


def _init(robot: Any, segments: list[Segment], spec: tuple[list[str], list[str], list[str]],
          scales: np.ndarray) -> None:
    _WORKER.update(robot=robot, segments=segments, spec=spec, scales=scales)


def _task(values: Mapping[str, float], lo: int, hi: int, shift: Shift | None = None
          ) -> np.ndarray:
    w = _WORKER
    return _residuals(w["robot"], values, w["segments"][lo:hi], w["spec"], w["scales"], shift)


class Evaluator:
    """Residual vectors of parameter values on fixed segments.

    Args:
        robot: a SimRobot (its current values are the base the evaluated values are set on).
        segments: the segments to simulate.
        columns, joints, sensors: the channels compared, and the robot's joint and
            sensor names (to find them in an observation).
        scales: one positive scale per channel.
        workers: processes to spread the work over (1: this process).
        ray_address: run the worker processes as Ray actors (``local``, ``auto`` or a
            cluster address) instead of a local process pool.
    """

    def __init__(self, robot: Any, segments: Sequence[Segment], columns: Sequence[str],
                 joints: Sequence[str], sensors: Sequence[str], scales: np.ndarray,
                 workers: int = 1, ray_address: str | None = None) -> None:
        self.robot, self.segments = robot, list(segments)
        self.ray_address = ray_address
        self.spec = (list(columns), list(joints), list(sensors))
        self.scales = np.asarray(scales, dtype=float)
        self.workers = max(1, min(int(workers), len(self.segments)))
        #: in this process (no pool): one worker and no Ray
        self.local = self.workers == 1 and ray_address is None
        self.base = robot.get_params()
        self._touched: set[str] = set()
        self.calls = 0
        self._pool: Any = None  # a ProcessPoolExecutor or a RayPool
        n = len(self.segments)
        k = 1 if self.local else min(n, self.workers * 4)
        edges = np.linspace(0, n, k + 1).round().astype(int)
        self._chunks = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]

    @property
    def size(self) -> int:
        """Length of a residual vector."""
        return sum(seg.target.size for seg in self.segments)

    def __call__(self, values: Mapping[str, float]) -> np.ndarray:
        """The residual vector of one set of parameter values."""
        return self.many([values])[0]

    def many(self, value_sets: Sequence[Mapping[str, float]],
             shifts: Sequence[Shift | None] | None = None) -> list[np.ndarray]:
        """The residual vectors of several sets of parameter values; ``shifts`` (one per
        set, or None) offset the start state of every segment (see :data:`Shift`)."""
        shifts = list(shifts) if shifts is not None else [None] * len(value_sets)
        self.calls += len(value_sets)
        # every set names every parameter any set has changed, so none keeps a value from
        # the set evaluated before it (and a centre of mass is only reloaded when changed)
        self._touched.update(n for v in value_sets for n in v)
        full = [{**{n: self.base[n] for n in self._touched}, **v} for v in value_sets]
        if self.local:
            try:
                return [_residuals(self.robot, v, self.segments, self.spec, self.scales, d)
                        for v, d in zip(full, shifts, strict=True)]
            finally:
                self.robot.set_params({n: self.base[n] for n in self._touched})
        pool = self._start()
        futures = [[pool.submit(_task, v, lo, hi, d) for lo, hi in self._chunks]
                   for v, d in zip(full, shifts, strict=True)]
        return [np.concatenate([f.result() for f in row]) for row in futures]

    def _start(self) -> Any:
        if self._pool is None and self.ray_address is not None:
            from s2r.sysid.raypool import RayPool

            self._pool = RayPool(self.workers, self.ray_address, _init,
                                 (self.robot, self.segments, self.spec, self.scales))
        elif self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=get_context("spawn"), initializer=_init,
                initargs=(self.robot, self.segments, self.spec, self.scales))
        return self._pool

    def close(self) -> None:
        """Stop the worker processes (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_workers() -> int:
    """The number of cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

