"""Excitation signals for system identification: chirp, PRBS, multisine, policy.

A waveform maps time (s, vectorised) to [-1, 1]; :class:`Excitation` scales it to
``offset + amplitude * waveform(t)`` for every actuator and passes the result through a
:class:`~s2r.safety.SafetyGuard`, so what it returns is always within the action
limits and the rate limit (``max_action_delta`` per control step) of the robot.

- :class:`Chirp`: a sweep from ``f0`` to ``f1`` Hz over ``duration`` s, ``log`` (equal
  time per octave) or ``linear``.
- :class:`PRBS`: a maximal-length binary sequence (LFSR), one bit per ``bit_period``,
  seeded start state; flat spectrum up to about ``0.44 / bit_period`` Hz.
- :class:`Multisine`: a sum of sines at given frequencies with random phases; the
  phases with the lowest crest factor out of ``trials`` draws are kept.
- :class:`PolicyExcitation`: a policy's commands through a task (obs -> action).

>>> from s2r.sim import load_robot_description
>>> from hardware.serial_robot import spec_from_description
>>> spec = spec_from_description(load_robot_description("furuta"))
>>> exc = Excitation(Chirp(0.5, 5.0, duration=2.0), spec, amplitude=3.0)
>>> u = exc.sample(np.arange(200) / spec.control_rate)
>>> u.shape, bool(np.abs(u).max() <= 3.0), bool(np.abs(np.diff(u[:, 0])).max() <= 2.0)
((200, 1), True, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from s2r.errors import ConfigError
from s2r.robot import Observation, RobotSpec
from s2r.safety import SafetyGuard

__all__ = ["PRBS", "Chirp", "Excitation", "Multisine", "PolicyExcitation", "lfsr_sequence"]

#: Feedback taps (1-based) of maximal-length Fibonacci LFSRs, by register length.
LFSR_TAPS = {3: (3, 2), 4: (4, 3), 5: (5, 3), 6: (6, 5), 7: (7, 6), 8: (8, 6, 5, 4),
             9: (9, 5), 10: (10, 7), 11: (11, 9), 12: (12, 11, 10, 4), 13: (13, 12, 11, 8),
             14: (14, 13, 12, 2), 15: (15, 14), 16: (16, 15, 13, 4), 17: (17, 14),
             18: (18, 11), 19: (19, 18, 17, 14), 20: (20, 17)}
Waveform = Callable[[np.ndarray], np.ndarray]


class Chirp:
    """``sin`` of a phase sweeping ``f0`` → ``f1`` Hz over ``duration`` s (then held at f1).

    >>> round(float(Chirp(1.0, 10.0, 5.0, "linear").frequency(2.5)), 3)
    5.5
    """

    def __init__(self, f0: float, f1: float, duration: float, method: str = "log") -> None:
        if not 0 < f0 and f1 > 0 and duration > 0:
            raise ConfigError(f"chirp needs f0 > 0, f1 > 0, duration > 0 (got {f0}, {f1}, "
                              f"{duration})")
        if method not in ("log", "linear"):
            raise ConfigError(f"chirp method must be log or linear, got {method!r}")
        self.f0, self.f1, self.duration, self.method = f0, f1, duration, method

    def frequency(self, t: float | np.ndarray) -> np.ndarray:
        """Instantaneous frequency (Hz) at ``t``."""
        s = np.clip(np.asarray(t, dtype=float) / self.duration, 0.0, 1.0)
        if self.method == "linear" or self.f0 == self.f1:
            return self.f0 + (self.f1 - self.f0) * s
        return self.f0 * (self.f1 / self.f0) ** s

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        tc, T, f0, f1 = np.clip(t, 0.0, self.duration), self.duration, self.f0, self.f1
        if self.method == "linear" or f0 == f1:
            phase = f0 * tc + (f1 - f0) * tc**2 / (2 * T)
        else:
            k = math.log(f1 / f0) / T
            phase = f0 * np.expm1(k * tc) / k
        phase = phase + f1 * np.maximum(t - T, 0.0)
        return np.asarray(np.sin(2 * np.pi * phase))


def lfsr_sequence(order: int, state: int = 1) -> np.ndarray:
    """One period (2**order - 1 bits, 0/1) of the maximal-length LFSR of ``order``.

    >>> lfsr_sequence(3).tolist()
    [1, 0, 0, 1, 0, 1, 1]
    """
    if order not in LFSR_TAPS:
        raise ConfigError(f"PRBS order must be in {min(LFSR_TAPS)}..{max(LFSR_TAPS)}")
    n, mask = (1 << order) - 1, (1 << order) - 1
    state &= mask
    state = state or 1
    out = np.empty(n, dtype=np.int8)
    for i in range(n):
        out[i] = state & 1
        fb = 0
        for tap in LFSR_TAPS[order]:
            fb ^= (state >> (order - tap)) & 1
        state = (state >> 1) | (fb << (order - 1))
    return out


class PRBS:
    """±1 maximal-length sequence, one bit per ``bit_period`` s; the seed picks the start.

    ``order`` defaults to the shortest register whose period covers ``min_period`` s.
    """

    def __init__(self, bit_period: float, seed: int = 0, order: int | None = None,
                 min_period: float = 10.0) -> None:
        if not bit_period > 0:
            raise ConfigError(f"bit_period must be > 0, got {bit_period}")
        if order is None:
            order = int(np.clip(math.ceil(math.log2(min_period / bit_period + 1)), 3, 20))
        start = int(np.random.default_rng(seed).integers(1, 1 << order))
        self.bit_period, self.order, self.seed = bit_period, order, seed
        self.bits = lfsr_sequence(order, start) * 2.0 - 1.0

    def __call__(self, t: np.ndarray) -> np.ndarray:
        k = np.floor(np.asarray(t, dtype=float) / self.bit_period + 1e-9).astype(np.int64)
        return np.asarray(self.bits[k % len(self.bits)])


class Multisine:
    """Sum of sines at ``frequencies`` (Hz), peak-normalised to 1 on ``grid``.

    Random phases (seeded): of ``trials`` draws the one with the lowest crest factor
    (peak / RMS on ``grid``) is kept and stored as ``crest_factor``.
    """

    def __init__(self, frequencies: Sequence[float] | np.ndarray, grid: np.ndarray, seed: int = 0,
                 trials: int = 64) -> None:
        freqs = np.unique(np.asarray([f for f in frequencies if f > 0], dtype=float))
        if not len(freqs):
            raise ConfigError("multisine needs at least one frequency > 0")
        rng = np.random.default_rng(seed)
        grid = np.asarray(grid, dtype=float)
        best: tuple[float, np.ndarray] = (math.inf, np.zeros(len(freqs)))
        for _ in range(max(1, trials)):
            phases = rng.uniform(0, 2 * np.pi, len(freqs))
            x = self._raw(grid, freqs, phases)
            crest = float(np.abs(x).max() / np.sqrt(np.mean(x**2)))
            if crest < best[0]:
                best = (crest, phases)
        self.frequencies, self.phases, self.crest_factor = freqs, best[1], best[0]
        self.scale = 1.0 / float(np.abs(self._raw(grid, freqs, best[1])).max())

    @staticmethod
    def _raw(t: np.ndarray, freqs: np.ndarray, phases: np.ndarray) -> np.ndarray:
        return np.sin(2 * np.pi * np.outer(t, freqs) + phases).sum(axis=1)  # type: ignore[no-any-return]

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return np.clip(self.scale * self._raw(t, self.frequencies, self.phases), -1.0, 1.0)


class Excitation:
    """``offset + amplitude * waveform(t)`` per actuator, within the robot's safety limits.

    ``amplitude`` and ``offset`` are in the actuator unit (default: a quarter of the
    range, centred); ``offset ± amplitude`` must lie within the action limits. With
    ``kp``/``kd`` a centring feedback ``-kp*q - kd*qd`` of each actuated joint is added
    (when an observation is given), which keeps a free joint such as the furuta's arm
    from drifting into its limits. Calls are stateful (the rate limit counts from the
    previous call); :meth:`reset` restarts.
    """

    def __init__(self, waveform: Waveform, spec: RobotSpec,
                 amplitude: float | Sequence[float] | None = None,
                 offset: float | Sequence[float] | None = None,
                 kp: float = 0.0, kd: float = 0.0) -> None:
        lo, hi = spec.action_low, spec.action_high
        self.offset = (lo + hi) / 2 if offset is None else np.broadcast_to(offset, lo.shape)
        self.amplitude = ((hi - lo) / 4 if amplitude is None
                          else np.broadcast_to(amplitude, lo.shape).astype(float))
        if np.any(self.amplitude < 0) or np.any(self.offset - self.amplitude < lo - 1e-9) or \
                np.any(self.offset + self.amplitude > hi + 1e-9):
            raise ConfigError(f"excitation offset {self.offset.tolist()} +- amplitude "
                              f"{self.amplitude.tolist()} leaves the action range "
                              f"[{lo.tolist()}, {hi.tolist()}]")
        self.waveform, self.spec, self.kp, self.kd = waveform, spec, kp, kd
        self._joint = [spec.joint_names.index(a.joint) for a in spec.actuators]
        self.guard = SafetyGuard(spec)

    def reset(self) -> None:
        """Restart the rate limit from a zero output."""
        self.guard.reset()

    def __call__(self, t: float, obs: Observation | None = None) -> np.ndarray:
        w = float(np.asarray(self.waveform(np.array([t]))).reshape(-1)[0])
        u = self.offset + self.amplitude * w
        if obs is not None and (self.kp or self.kd):  # centring feedback (closed loop)
            u = u - self.kp * obs.q[self._joint] - self.kd * obs.qd[self._joint]
        return self.guard.filter(u)

    def sample(self, t: np.ndarray) -> np.ndarray:
        """The commands at times ``t`` (rows), from a fresh rate limit."""
        self.reset()
        w = np.asarray(self.waveform(np.asarray(t, dtype=float))).reshape(-1, 1)
        return np.array([self.guard.filter(self.offset + self.amplitude * wi[0]) for wi in w])


class PolicyExcitation:
    """A policy's commands: ``task.to_command(policy(task.observation(obs)))``, guarded."""

    def __init__(self, policy: Callable[[np.ndarray], np.ndarray], task: Any,
                 spec: RobotSpec) -> None:
        self.policy, self.task = policy, task
        self.guard = SafetyGuard(spec)

    def reset(self) -> None:
        self.guard.reset()

    def __call__(self, t: float, obs: Observation | None = None) -> np.ndarray:
        if obs is None:
            raise ConfigError("a policy excitation needs the observation")
        action = self.policy(self.task.observation(obs))
        return self.guard.filter(self.task.to_command(action))
